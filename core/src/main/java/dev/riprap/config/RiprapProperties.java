package dev.riprap.config;

import dev.riprap.Policy;
import dev.riprap.RetryBudget;
import dev.riprap.TimeSource;
import dev.riprap.config.Setting.Strategy;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Policy settings read from flat properties, validated as a whole when parsed. Keys:
 *
 * <pre>
 * riprap.defaults.&lt;setting&gt;=value          applies to every policy configured here
 * riprap.policies.&lt;name&gt;.&lt;setting&gt;=value   configures the policy &lt;name&gt;
 * </pre>
 *
 * <p>A policy's own keys override the defaults key by key; {@code <strategy>.enabled=false} in a
 * policy removes a strategy the defaults turned on. Keys outside the {@code riprap.} prefix are
 * ignored. The settings and their forms are listed in {@code docs/configuration.md}.
 *
 * <p>Most users never touch this class: {@code PolicyRegistry.builder().properties(..)} uses it.
 * Immutable and thread-safe.
 */
public final class RiprapProperties {
  /** The prefix of every key read; other keys are ignored. */
  public static final String PREFIX = "riprap.";

  static final String DEFAULTS = "riprap.defaults.";
  static final String POLICIES = "riprap.policies.";

  /** resilience4j's default; a short first wait makes a transient blip cheap to ride out. */
  static final int DEFAULT_MAX_ATTEMPTS = 3;

  static final Duration DEFAULT_WAIT = Duration.ofMillis(500);
  static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(30);
  static final double DEFAULT_MULTIPLIER = 2.0;

  /** ±50% spreads retrying clients apart, as Policy.Builder#retry(int, Duration, Duration) does. */
  static final double DEFAULT_JITTER = 0.5;

  static final int DEFAULT_LIMIT_FOR_PERIOD = 50;
  static final Duration DEFAULT_LIMIT_REFRESH_PERIOD = Duration.ofSeconds(1);
  static final int DEFAULT_MAX_CONCURRENT_CALLS = 25;

  private static final RiprapProperties EMPTY =
      new RiprapProperties(new EnumMap<>(Setting.class), new TreeMap<>(), new Extras(List.of()));

  private final Map<Setting, Value> defaults;
  private final SortedMap<String, Map<Setting, Value>> policies;
  private final Extras extras;

  private RiprapProperties(
      Map<Setting, Value> defaults,
      SortedMap<String, Map<Setting, Value>> policies,
      Extras extras) {
    this.defaults = defaults;
    this.policies = policies;
    this.extras = extras;
  }

  /**
   * No settings at all: every policy built from it has no strategy.
   *
   * @return the empty configuration
   */
  public static RiprapProperties empty() {
    return EMPTY;
  }

  /**
   * Parses the string entries of {@code properties} (other entries are ignored).
   *
   * @param properties the properties
   * @return the parsed settings
   * @throws IllegalArgumentException for an unknown key under {@code riprap.} (naming the closest
   *     valid key, or listing the valid settings) or a value of the wrong form (naming the key, the
   *     value and the expected form)
   * @throws IllegalStateException for two keys of one scope that exclude each other
   */
  public static RiprapProperties from(Properties properties) {
    Objects.requireNonNull(properties, "properties");
    Map<String, String> map = new TreeMap<>();
    for (String key : properties.stringPropertyNames()) {
      map.put(key, properties.getProperty(key));
    }
    return from(map);
  }

  /**
   * Parses {@code entries}. Keys are checked in sorted order, so the first error reported does not
   * depend on map order.
   *
   * @param entries keys and values
   * @return the parsed settings
   * @throws IllegalArgumentException for an unknown key under {@code riprap.} or a bad value
   * @throws IllegalStateException for two keys of one scope that exclude each other
   */
  public static RiprapProperties from(Map<String, String> entries) {
    return from(entries, List.of());
  }

  /**
   * Parses {@code entries}, with the keys of {@code providers} ({@code
   * rate-limiter.<provider>.<setting>}) valid besides Riprap's own.
   *
   * @param entries keys and values
   * @param providers the limiter providers whose keys are read, each checking its own values
   * @return the parsed settings
   * @throws IllegalArgumentException for an unknown key under {@code riprap.} or a bad value
   * @throws IllegalStateException for two keys of one scope that exclude each other
   */
  public static RiprapProperties from(
      Map<String, String> entries, List<LimiterProvider> providers) {
    Objects.requireNonNull(entries, "entries");
    Extras extras = new Extras(List.copyOf(providers));
    Map<Setting, Value> defaults = new EnumMap<>(Setting.class);
    SortedMap<String, Map<Setting, Value>> policies = new TreeMap<>();
    for (Map.Entry<String, String> e : new TreeMap<>(entries).entrySet()) {
      String key = e.getKey();
      if (!key.startsWith(PREFIX)) {
        continue;
      }
      String prefix;
      Map<Setting, Value> scope;
      if (key.startsWith(DEFAULTS)) {
        prefix = DEFAULTS;
        scope = defaults;
      } else if (key.startsWith(POLICIES) && key.indexOf('.', POLICIES.length()) >= 0) {
        String name = key.substring(POLICIES.length(), key.indexOf('.', POLICIES.length()));
        if (name.isBlank()) {
          // Named here, with its key: Policy.builder would refuse the name without it.
          throw new IllegalArgumentException(
              "Unknown key '"
                  + key
                  + "': the policy name is "
                  + (name.isEmpty() ? "empty" : "blank")
                  + " (expected riprap.policies.<name>.<setting>)");
        }
        prefix = POLICIES + name + ".";
        scope = policies.computeIfAbsent(name, n -> new EnumMap<>(Setting.class));
      } else {
        throw new IllegalArgumentException(unknownPrefix(key));
      }
      String suffix = key.substring(prefix.length());
      Setting setting = Setting.forSuffix(suffix);
      if (setting == null) {
        if (!extras.read(prefix, suffix, key, e.getValue())) {
          throw new IllegalArgumentException(unknownSetting(key, prefix, extras));
        }
        continue;
      }
      scope.put(setting, Value.parse(setting, key, e.getValue()));
    }
    checkExclusive(defaults, extras.scope(DEFAULTS));
    for (Map.Entry<String, Map<Setting, Value>> e : policies.entrySet()) {
      checkExclusive(e.getValue(), extras.scope(POLICIES + e.getKey() + "."));
    }
    return new RiprapProperties(defaults, policies, extras);
  }

  /**
   * Reads a {@code .properties} file (UTF-8) for {@link #from(Properties)}.
   *
   * @param file the file
   * @return its entries
   * @throws UncheckedIOException if the file cannot be read, naming it
   */
  public static Properties read(Path file) {
    Objects.requireNonNull(file, "file");
    Properties p = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(reader);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read Riprap properties from " + file, e);
    }
    return p;
  }

  /**
   * Every setting a scope accepts, as the key suffix after {@code riprap.defaults.} or {@code
   * riprap.policies.<name>.} ({@code attempt-timeout}, {@code retry.max-attempts}, ...), in the
   * order of {@code docs/configuration.md}. For tools that list or complete the keys (the Spring
   * Boot starter's configuration metadata is checked against it).
   *
   * @return an unmodifiable list
   */
  public static List<String> settingNames() {
    List<String> names = new ArrayList<>();
    for (Setting s : Setting.values()) {
      names.add(s.suffix);
    }
    return Collections.unmodifiableList(names);
  }

  private static String unknownSetting(String key, String prefix, Extras extras) {
    List<String> candidates = new ArrayList<>();
    for (Setting s : Setting.values()) {
      candidates.add(prefix + s.suffix);
    }
    for (String suffix : extras.suffixes()) {
      candidates.add(prefix + suffix);
    }
    String valid = extras.suffixes().isEmpty()
        ? settingList() : settingList() + ", " + String.join(", ", extras.suffixes());
    return Spelling.closest(key, candidates)
        .map(c -> "Unknown key '" + key + "': did you mean '" + c + "'?")
        .orElseGet(() -> "Unknown key '" + key + "': valid settings are " + valid);
  }

  /** A key under riprap. but neither riprap.defaults.* nor riprap.policies.<name>.*. */
  private static String unknownPrefix(String key) {
    List<String> candidates = new ArrayList<>();
    // riprap.<typo>.<setting>, such as riprap.default.retry.max-attempts
    int second = key.indexOf('.', PREFIX.length());
    if (second > 0 && Setting.forSuffix(key.substring(second + 1)) != null) {
      candidates.add(DEFAULTS + key.substring(second + 1));
    }
    // riprap.<typo>.<name>.<setting>, such as riprap.policy.inventory.retry.max-attempts
    String[] parts = key.split("\\.", 4);
    for (Setting s : Setting.values()) {
      if (parts.length == 4) {
        candidates.add(POLICIES + parts[2] + "." + s.suffix);
      }
      candidates.add(DEFAULTS + s.suffix);
    }
    return Spelling.closest(key, candidates)
        .map(c -> "Unknown key '" + key + "': did you mean '" + c + "'?")
        .orElseGet(
            () ->
                "Unknown key '"
                    + key
                    + "': expected riprap.defaults.<setting> or riprap.policies.<name>.<setting>"
                    + " where <setting> is one of "
                    + settingList());
  }

  private static String settingList() {
    return String.join(", ", settingNames());
  }

  private static void checkExclusive(Map<Setting, Value> scope, Map<String, Value> extra) {
    if (!extra.isEmpty()) {
      Value external = extra.values().iterator().next();
      for (Setting s : List.of(
          Setting.RL_PACED_RATE, Setting.RL_LIMIT_FOR_PERIOD, Setting.RL_LIMIT_REFRESH_PERIOD)) {
        Value other = scope.get(s);
        if (other != null) {
          throw new IllegalStateException(
              "Keys " + external.describe() + " and " + other.describe()
                  + " exclude each other: set one kind of rate limiter per policy");
        }
      }
      for (Value v : extra.values()) {
        if (!v.key.startsWith(external.key.substring(0, external.key.lastIndexOf('.') + 1))) {
          throw new IllegalStateException(
              "Keys " + external.describe() + " and " + v.describe()
                  + " exclude each other: set one kind of rate limiter per policy");
        }
      }
    }
    Value paced = scope.get(Setting.RL_PACED_RATE);
    if (paced == null) {
      return;
    }
    for (Setting s : List.of(Setting.RL_LIMIT_FOR_PERIOD, Setting.RL_LIMIT_REFRESH_PERIOD)) {
      Value other = scope.get(s);
      if (other != null) {
        throw new IllegalStateException(
            "Keys '"
                + paced.key
                + "' ("
                + paced.raw
                + ") and '"
                + other.key
                + "' ("
                + other.raw
                + ") exclude each other: set either a paced rate or a limit per period");
      }
    }
  }

  /**
   * The names of the policies configured under {@code riprap.policies.}.
   *
   * @return an unmodifiable sorted set
   */
  public SortedSet<String> policyNames() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(policies.keySet()));
  }

  /**
   * Whether any key under {@code riprap.} was given.
   *
   * @return {@code true} when there are no settings
   */
  public boolean isEmpty() {
    return defaults.isEmpty() && policies.isEmpty();
  }

  /**
   * The retry budget the defaults declare, if they turn one on: one new instance, to be shared by
   * every policy that inherits it (passed back to {@link #configure}). A budget shared across
   * policies caps the extra load of all their retries together, which is the point of a budget.
   *
   * @param timeSource the time source of the budget's window
   * @return a new budget, or empty if the defaults have none
   */
  public Optional<RetryBudget> newDefaultBudget(TimeSource timeSource) {
    Objects.requireNonNull(timeSource, "timeSource");
    Resolved r = new Resolved(defaults, Map.of(), extras, DEFAULTS, "riprap.defaults");
    return r.enabled(Strategy.RETRY_BUDGET)
        ? Optional.of(r.newBudget(timeSource))
        : Optional.empty();
  }

  /**
   * Builds the policy {@code name} on {@code builder} (which carries the name and the wiring: time
   * source, parent events, shutdown gate): the defaults, overridden key by key by the policy's own
   * keys. A name with no keys of its own gets the defaults alone.
   *
   * @param builder a builder for the policy, with no strategy set yet
   * @param name the policy's name (as given to {@code Policy.builder})
   * @param timeSource the time source for a retry budget of the policy's own
   * @param defaultBudget the budget from {@link #newDefaultBudget}, or {@code null} if none
   * @return the built policy
   * @throws IllegalStateException when settings conflict (retry max-wait-duration below
   *     wait-duration; the attempt timeout above the total timeout; a time-based breaker window
   *     shorter than twice the attempt timeout), naming the keys
   */
  public Policy configure(
      Policy.Builder builder, String name, TimeSource timeSource, RetryBudget defaultBudget) {
    Objects.requireNonNull(builder, "builder");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(timeSource, "timeSource");
    Resolved r = new Resolved(defaults, policies.getOrDefault(name, Map.of()), extras,
        POLICIES + name + ".", name);
    r.applyTo(builder, timeSource, defaultBudget);
    try {
      return builder.build();
    } catch (IllegalStateException e) {
      String keys = r.timingKeys();
      throw keys.isEmpty() ? e : new IllegalStateException(e.getMessage() + " (" + keys + ")", e);
    }
  }

  /**
   * Builds the defaults alone once, so that settings invalid on their own (for policies made later
   * from the defaults) fail now.
   *
   * @param timeSource the time source
   * @param defaultBudget the shared budget, or {@code null}
   * @throws IllegalArgumentException as {@link #configure}
   * @throws IllegalStateException as {@link #configure}, the policy being named {@code
   *     riprap.defaults}
   */
  public void validateDefaults(TimeSource timeSource, RetryBudget defaultBudget) {
    Resolved r = new Resolved(defaults, Map.of(), extras, DEFAULTS, "riprap.defaults");
    Policy.Builder builder = Policy.builder("riprap.defaults").timeSource(timeSource);
    r.applyTo(builder, timeSource, defaultBudget);
    try {
      builder.build();
    } catch (IllegalStateException e) {
      String keys = r.timingKeys();
      throw keys.isEmpty() ? e : new IllegalStateException(e.getMessage() + " (" + keys + ")", e);
    }
  }

  @Override
  public String toString() {
    return "RiprapProperties{defaults="
        + defaults.values().stream().map(Value::toString).collect(Collectors.joining(", ", "[", "]"))
        + ", policies="
        + policies.keySet()
        + '}';
  }

  /** One parsed entry, with its full key and its text for error messages. */
  static final class Value {
    final Setting setting;
    final String key;
    final String raw;
    final Object parsed;

    private Value(Setting setting, String key, String raw, Object parsed) {
      this.setting = setting;
      this.key = key;
      this.raw = raw;
      this.parsed = parsed;
    }

    /** @throws IllegalArgumentException {@code <key>: expected <form>, was '<raw>'} */
    static Value parse(Setting setting, String key, String raw) {
      return new Value(setting, key, raw, setting.kind.parse(key, raw));
    }

    /** A value of a limiter provider's setting, checked by the provider. */
    static Value extra(LimiterProvider provider, String setting, String key, String raw) {
      return new Value(null, key, raw, provider.parse(setting, key, raw));
    }

    boolean fromDefaults() {
      return key.startsWith(DEFAULTS);
    }

    @Override
    public String toString() {
      return key + "=" + raw;
    }

    String describe() {
      return "'" + key + "' (" + raw + ")";
    }
  }
}
