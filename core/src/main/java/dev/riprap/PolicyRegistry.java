package dev.riprap;

import dev.riprap.config.LimiterProvider;
import dev.riprap.config.RiprapProperties;
import dev.riprap.config.Spelling;
import dev.riprap.event.EventStream;
import dev.riprap.internal.Check;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Consumer;

/**
 * Named policies, built from code or from properties, sharing one event stream and one shutdown
 * gate.
 *
 * <pre>{@code
 * PolicyRegistry registry = PolicyRegistry.builder()
 *     .propertiesFile(Path.of("riprap.properties"))   // riprap.policies.inventory.retry.max-attempts=3 ...
 *     .policy("payments", p -> p.bulkhead(10).attemptTimeout(Duration.ofSeconds(2)))
 *     .build();
 * Stock stock = registry.policy("inventory").call(() -> inventory.stock(sku));
 * registry.events().subscribe(CallCompleted.class, metrics::record);
 * DrainReport report = registry.drain(Duration.ofSeconds(20));   // on shutdown
 * }</pre>
 *
 * <p>Everything is validated when {@link Builder#build()} runs: unknown keys, bad values and
 * conflicting settings fail there, never on a call. Immutable and thread-safe after build; {@link
 * #policy(String)} returns the same instance every time.
 *
 * <p>Every policy of the registry forwards its events to {@link #events()} and is counted by the
 * registry's {@link ShutdownGate}, so {@link #drain(Duration)} drains them all together.
 */
public final class PolicyRegistry {
  private final TimeSource timeSource;
  private final Executor asyncExecutor;
  private final EventStream events;
  private final ShutdownGate gate;
  private final RiprapProperties properties;
  private final RetryBudget defaultBudget;
  private final SortedMap<String, Policy> configured;
  private final ConcurrentMap<String, Policy> fromDefaults = new ConcurrentHashMap<>();

  private PolicyRegistry(Builder b) {
    this.timeSource = b.timeSource;
    this.asyncExecutor = b.asyncExecutor;
    this.events = new EventStream();
    this.gate = new ShutdownGate(timeSource);
    this.properties = RiprapProperties.from(b.entries, b.limiterProviders);
    this.defaultBudget = properties.newDefaultBudget(timeSource).orElse(null);
    properties.validateDefaults(timeSource, defaultBudget);
    SortedMap<String, Policy> policies = new TreeMap<>();
    for (Map.Entry<String, Consumer<Policy.Builder>> e : b.codePolicies.entrySet()) {
      String name = e.getKey();
      if (properties.policyNames().contains(name)) {
        throw new IllegalStateException(
            "Policy '"
                + name
                + "' is configured both in code and in properties (riprap.policies."
                + name
                + ".*); configure it in one place");
      }
      Policy.Builder builder = start(name);
      e.getValue().accept(builder);
      policies.put(name, wire(builder).build());
    }
    for (String name : properties.policyNames()) {
      policies.put(name, fromProperties(name));
    }
    this.configured = Collections.unmodifiableSortedMap(policies);
  }

  private Policy.Builder wire(Policy.Builder builder) {
    return builder.parentEvents(events).shutdownGate(gate);
  }

  private Policy.Builder start(String name) {
    return Policy.builder(name).timeSource(timeSource).asyncExecutor(asyncExecutor);
  }

  private Policy fromProperties(String name) {
    Policy.Builder builder = wire(start(name));
    return properties.configure(builder, name, timeSource, defaultBudget);
  }

  /**
   * Starts a builder with no policies, the system time source and no properties.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A registry of the policies configured in {@code properties}, on the system time source.
   *
   * @param properties the properties; entries outside {@code riprap.} are ignored
   * @return the registry
   * @throws IllegalArgumentException for an unknown key or a bad value
   * @throws IllegalStateException for conflicting settings
   */
  public static PolicyRegistry fromProperties(Properties properties) {
    return builder().properties(properties).build();
  }

  /**
   * The policy configured under {@code name}: always the same instance.
   *
   * @param name the policy's name
   * @return the policy
   * @throws IllegalArgumentException if no policy has that name; the message names it, the closest
   *     known name if one is close, and the known names
   * @throws NullPointerException if {@code name} is null
   */
  public Policy policy(String name) {
    Objects.requireNonNull(name, "name");
    Policy p = configured.get(name);
    if (p == null) {
      throw new IllegalArgumentException(unknownPolicy(name));
    }
    return p;
  }

  private String unknownPolicy(String name) {
    if (configured.isEmpty()) {
      return "Unknown policy '" + name + "': this registry has no policies";
    }
    String known = String.join(", ", configured.keySet());
    return Spelling.closest(name, configured.keySet())
        .map(c -> "Unknown policy '" + name + "': did you mean '" + c + "'? Known policies: " + known)
        .orElseGet(() -> "Unknown policy '" + name + "'. Known policies: " + known);
  }

  /**
   * The policy configured under {@code name}, or else one built from the {@code riprap.defaults.*}
   * settings under that name (with no strategy when there are none). A policy built from the
   * defaults is built once and cached: asking again returns the same instance, from any thread.
   * Meant for a bounded set of names (those in annotations or code): every distinct name asked for
   * stays cached for the registry's life.
   *
   * @param name the policy's name, not blank
   * @return the policy
   * @throws IllegalArgumentException if {@code name} is blank
   * @throws NullPointerException if {@code name} is null
   */
  public Policy policyOrDefault(String name) {
    Objects.requireNonNull(name, "name");
    Policy p = configured.get(name);
    if (p != null) {
      return p;
    }
    Check.notBlank(name, "name");
    return fromDefaults.computeIfAbsent(name, this::fromProperties);
  }

  /**
   * Looks a policy up without failing.
   *
   * @param name the policy's name
   * @return the configured policy, or empty (policies made by {@link #policyOrDefault} included)
   */
  public Optional<Policy> find(String name) {
    Objects.requireNonNull(name, "name");
    Policy p = configured.get(name);
    return p != null ? Optional.of(p) : Optional.ofNullable(fromDefaults.get(name));
  }

  /**
   * The names of the configured policies (from code and from properties), sorted. Policies made
   * later by {@link #policyOrDefault} are not included.
   *
   * @return an unmodifiable sorted set
   */
  public SortedSet<String> names() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(configured.keySet()));
  }

  /**
   * The stream that receives the events of every policy of this registry (each policy's own stream
   * forwards here).
   *
   * @return the registry's stream
   */
  public EventStream events() {
    return events;
  }

  /**
   * The gate shared by all the registry's policies.
   *
   * @return the gate
   */
  public ShutdownGate shutdownGate() {
    return gate;
  }

  /**
   * Drains every policy of the registry: new calls are rejected with {@link
   * RejectionReason#SHUTTING_DOWN}, retry backoff waits are cut short, and this waits until no call
   * is in flight or {@code timeout} passes. Returns at once when idle. Irreversible.
   *
   * @param timeout the longest wait, zero or more
   * @return what the drain did
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws InterruptedException if interrupted while waiting
   */
  public DrainReport drain(Duration timeout) throws InterruptedException {
    return gate.drain(timeout);
  }

  /**
   * Whether {@link #drain} has been called.
   *
   * @return {@code true} once draining started
   */
  public boolean isDraining() {
    return gate.isDraining();
  }

  @Override
  public String toString() {
    return "PolicyRegistry" + configured.keySet();
  }

  /**
   * Builds a {@link PolicyRegistry}. Not thread-safe. Properties and code policies are only recorded
   * here (a properties file is read at once); everything is built and validated by {@link #build()}.
   */
  public static final class Builder {
    private TimeSource timeSource = TimeSource.system();
    private Executor asyncExecutor = ForkJoinPool.commonPool();
    private final Map<String, String> entries = new TreeMap<>();
    private final Map<String, Consumer<Policy.Builder>> codePolicies = new LinkedHashMap<>();
    private final List<LimiterProvider> limiterProviders = new ArrayList<>();

    private Builder() {}

    /**
     * Makes the keys of an external limiter valid in the properties: {@code
     * rate-limiter.<provider>.<setting>}, such as riprap-bucket4j's {@code
     * rate-limiter.distributed.permits}. The provider checks the values and builds each policy's
     * limiter; it carries the backend's wiring (a store connection), which properties cannot.
     * Without it, such keys are unknown keys. Default: none.
     *
     * @param provider the provider
     * @return this builder
     * @throws NullPointerException if {@code provider} is null
     * @throws IllegalStateException if a provider of the same {@link LimiterProvider#name()} was
     *     already added
     */
    public Builder limiterProvider(LimiterProvider provider) {
      Objects.requireNonNull(provider, "provider");
      for (LimiterProvider p : limiterProviders) {
        Check.requireState(!p.name().equals(provider.name()),
            "a limiter provider named '%s' was already added", provider.name());
      }
      limiterProviders.add(provider);
      return this;
    }

    /**
     * The time source of every policy, of the shared gate and of retry budgets. Default {@link
     * TimeSource#system()}; tests pass a {@code FakeTimeSource}.
     *
     * @param timeSource the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
      return this;
    }

    /**
     * Where every policy runs async attempts after a backoff wait (see {@link
     * Policy.Builder#asyncExecutor}). Default {@link ForkJoinPool#commonPool()}.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder asyncExecutor(Executor executor) {
      this.asyncExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * A policy configured in code. {@code configurer} receives a builder already named {@code name}
     * and on the registry's time source and async executor; the registry's event stream and gate are set after it
     * runs. Properties defaults do not apply to it: its settings are exactly the code's.
     *
     * @param name the policy's name, not blank
     * @param configurer sets the policy's strategies; run by {@link #build()}
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     * @throws IllegalStateException if a policy of that name was already added in code
     */
    public Builder policy(String name, Consumer<Policy.Builder> configurer) {
      Check.notBlank(name, "name");
      Objects.requireNonNull(configurer, "configurer");
      if (codePolicies.containsKey(name)) {
        throw new IllegalStateException("policy '" + name + "' was already added");
      }
      codePolicies.put(name, configurer);
      return this;
    }

    /**
     * Adds the string entries of {@code properties}; keys outside {@code riprap.} are ignored. May
     * be called several times: a later key replaces an earlier one (a file, then system properties).
     *
     * @param properties the properties
     * @return this builder
     */
    public Builder properties(Properties properties) {
      Objects.requireNonNull(properties, "properties");
      for (String key : properties.stringPropertyNames()) {
        entries.put(key, properties.getProperty(key));
      }
      return this;
    }

    /**
     * Reads a {@code .properties} file (UTF-8) now and adds its entries as {@link
     * #properties(Properties)} does.
     *
     * @param file the file
     * @return this builder
     * @throws java.io.UncheckedIOException if the file cannot be read
     */
    public Builder propertiesFile(Path file) {
      return properties(RiprapProperties.read(file));
    }

    /**
     * Builds every policy and validates every setting.
     *
     * @return the registry
     * @throws IllegalArgumentException for an unknown {@code riprap.} key (naming the closest valid
     *     key), or a bad value (naming the key, the value and the expected form)
     * @throws IllegalStateException for conflicting settings (attempt timeout above total timeout, a
     *     time-based breaker window under twice the attempt timeout, retry max wait below the first
     *     wait, a paced rate with a limit per period), or a policy configured both in code and in
     *     properties
     */
    public PolicyRegistry build() {
      return new PolicyRegistry(this);
    }
  }
}
