package dev.riprap.endpoint;

import dev.riprap.AttemptContext;
import dev.riprap.Fallback;
import dev.riprap.Policy;
import dev.riprap.RetryBudget;
import dev.riprap.TimeSource;
import dev.riprap.event.EventStream;
import dev.riprap.internal.Check;
import dev.riprap.internal.EndpointAccess;
import dev.riprap.internal.EngineAccess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A named set of interchangeable endpoints of any type (a {@code URI}, a {@code DataSource}, a
 * gRPC channel), one of which each attempt of a call gets: balanced, with failing endpoints taken
 * out of rotation for a while (outlier ejection), and retries sent to endpoints the call has not
 * tried yet, so that a dead replica costs one attempt, not the call.
 *
 * <pre>{@code
 * EndpointGroup<Replica> replicas = EndpointGroup.builder("orders-db", List.of(a, b, c))
 *     .name(Replica::host)             // names in events and metrics; default toString()
 *     .build();
 * Policy policy = Policy.builder("orders")
 *     .retry(3, Duration.ofMillis(50), Duration.ofSeconds(1))
 *     .attemptTimeout(Duration.ofSeconds(2))
 *     .build();
 * // Each attempt gets a replica; a retry goes to one this call has not tried yet.
 * Order order = replicas.call(policy, replica -> orders.load(replica, id));
 * }</pre>
 *
 * <p>The policy runs the call as usual (its retry, breaker, limiter, bulkhead and timeouts, in its
 * one order); the group adds the choice of the endpoint inside each attempt. Defaults (each
 * documented on its builder method and in {@code docs/endpoints.md}): power of two choices over
 * least outstanding attempts; ejection after 5 consecutive failures for 30 s x the number of times
 * ejected, at most 300 s, back on probation; at most 50% of the endpoints ejected (at least one,
 * never all); panic mode (spread over all) below 50% in rotation; no hedging ({@link
 * Builder#hedging}: a parallel attempt on another endpoint when one is slow).
 *
 * <p>What an attempt's outcome does to its endpoint: a result counts as a success unless {@link
 * Builder#failureOnResult} says otherwise; an exception counts as a failure when {@link
 * Builder#failureOn} says so (default: any {@link Exception}, not an {@link Error}); an attempt
 * that ran out of time (the policy's attempt or total timeout) counts as a {@code
 * TimeoutException}; an attempt the caller gave up on before its deadline (the call's future
 * cancelled, the calling thread interrupted) is not counted. Each attempt holds one outstanding
 * count on its endpoint from the choice until it ends, given back exactly once however it ends.
 *
 * <p>Immutable settings, thread-safe state: choosing takes no lock (it reads an immutable snapshot
 * of the endpoints in rotation and per-endpoint atomic counters); ejections, returns and {@link
 * #update} take the group's lock. Returns run on the time source's timer; the group holds no
 * thread and needs no closing.
 *
 * @param <E> the endpoint type; endpoints are told apart by {@code equals}
 */
// Size: the call API (four entry points mirroring Policy's, each with a fallback form), the set's
// checks and the nested public Builder (a type users name as EndpointGroup.Builder); the choice,
// the ejection and the attempts live in Chooser, Rotation and GroupCall.
public final class EndpointGroup<E> {
  static {
    // The HTTP adapter runs a call's attempts through a group inside its own work (EndpointAccess).
    EndpointAccess.install(new EndpointAccess() {
      @Override
      protected <T> Attempts<T> call(EndpointGroup<T> group) {
        return new GroupCall<>(group);
      }

      @Override
      protected <T> Attempts<T> call(EndpointGroup<T> group, Hedging hedging, RetryBudget budget,
          Executor executor, Consumer<Object> discard) {
        if (hedging.byPercentile()) {
          group.window();
        }
        return new GroupCall<>(group, hedging, budget, executor, discard);
      }
    });
  }

  final String name;
  final TimeSource time;
  final EventStream events;
  final Chooser chooser;
  final Rotation<E> rotation;
  final Predicate<? super Throwable> failureOn;
  final Predicate<Object> failureOnResult;
  private final Function<? super E, String> namer;
  private final Builder<E> settings;
  /** Recent latencies, from the first call that hedges by a percentile on; else null. */
  volatile LatencyWindow latencies;

  private EndpointGroup(Builder<E> b, Member<E>[] members) {
    this.name = b.name;
    this.time = b.timeSource;
    this.events = new EventStream(b.parentEvents);
    this.chooser = new Chooser(b.balancer);
    this.failureOn = b.failureOn;
    this.failureOnResult = b.failureOnResult;
    this.namer = b.namer;
    this.settings = b;
    this.rotation = new Rotation<>(b, events, members);
    if (b.hedging != null && b.hedging.byPercentile()) {
      this.latencies = new LatencyWindow();
    }
  }

  /** The latency window, made by the first call that needs it. */
  LatencyWindow window() {
    LatencyWindow w = latencies;
    if (w == null) {
      synchronized (this) {
        w = latencies;
        if (w == null) {
          latencies = w = new LatencyWindow();
        }
      }
    }
    return w;
  }

  /** One call's attempts, hedged by the group's hedging (paid from the policy's budget) if set. */
  private GroupCall<E> newCall(Policy policy) {
    Hedging h = settings.hedging;
    if (h == null) {
      return new GroupCall<>(this);
    }
    return new GroupCall<>(this, h, policy.retryBudget().orElse(null),
        h.executorOr(EngineAccess.asyncExecutor(policy)), r -> EngineAccess.discard(policy, r));
  }

  /**
   * Starts a builder for a group called {@code name} of {@code endpoints}.
   *
   * @param name the group's name, not blank; it names the group in its events
   * @param endpoints the endpoints, at least one, no null, no two equal
   * @param <E> the endpoint type
   * @return a new builder with the defaults
   * @throws IllegalArgumentException if {@code name} is blank, {@code endpoints} is empty, has a
   *     null or two equal endpoints
   * @throws NullPointerException if an argument is null
   */
  public static <E> Builder<E> builder(String name, Collection<? extends E> endpoints) {
    return new Builder<>(name, endpoints);
  }

  // ---------------------------------------------------------------- calls

  /**
   * Calls {@code work} through {@code policy}, each attempt on the endpoint this group chooses for
   * it (one the call has not tried yet, when one is in rotation).
   *
   * @param policy the policy that runs the call
   * @param work one attempt's work on its endpoint
   * @param <T> the result type
   * @param <X> the work's checked exception
   * @return the work's result
   * @throws X the work's own exception, as itself, when the last attempt failed with it
   * @throws dev.riprap.RejectedException when the policy refused the call or it timed out
   * @throws NullPointerException if an argument is null
   */
  public <T, X extends Throwable> T call(Policy policy, EndpointFunction<? super E, ? extends T, X> work)
      throws X {
    Check.notNull(work, "work");
    return execute(policy, (endpoint, attempt) -> work.apply(endpoint));
  }

  /**
   * {@link #call} for work that wants its attempt's context (the time left, to pass a deadline
   * down to its I/O), through {@link Policy#execute}.
   *
   * @param policy the policy that runs the call
   * @param work one attempt's work on its endpoint, with the attempt's context
   * @param <T> the result type
   * @param <X> the work's checked exception
   * @return the work's result
   * @throws X the work's own exception, as itself, when the last attempt failed with it
   * @throws dev.riprap.RejectedException when the policy refused the call or it timed out
   * @throws NullPointerException if an argument is null
   */
  public <T, X extends Throwable> T execute(
      Policy policy, EndpointAttemptFunction<? super E, ? extends T, X> work) throws X {
    Check.notNull(policy, "policy");
    Check.notNull(work, "work");
    GroupCall<E> call = newCall(policy);
    return policy.execute(ctx -> call.attempt(ctx, work));
  }

  /**
   * {@link #call(Policy, EndpointFunction)} with a per-call fallback, the outermost layer as in
   * {@link Policy#call(dev.riprap.ThrowingSupplier, Fallback)}.
   *
   * @param policy the policy that runs the call
   * @param work one attempt's work on its endpoint
   * @param fallback produces the result for the failures it handles
   * @param <T> the result type
   * @param <X> the work's checked exception
   * @return the work's or the fallback's result
   * @throws X the work's own exception when the fallback does not handle it
   * @throws NullPointerException if an argument is null
   */
  public <T, X extends Throwable> T call(
      Policy policy, EndpointFunction<? super E, ? extends T, X> work, Fallback<T> fallback)
      throws X {
    Check.notNull(work, "work");
    return execute(policy, (endpoint, attempt) -> work.apply(endpoint), fallback);
  }

  /**
   * {@link #execute(Policy, EndpointAttemptFunction)} with a per-call fallback.
   *
   * @param policy the policy that runs the call
   * @param work one attempt's work on its endpoint, with the attempt's context
   * @param fallback produces the result for the failures it handles
   * @param <T> the result type
   * @param <X> the work's checked exception
   * @return the work's or the fallback's result
   * @throws X the work's own exception when the fallback does not handle it
   * @throws NullPointerException if an argument is null
   */
  public <T, X extends Throwable> T execute(Policy policy,
      EndpointAttemptFunction<? super E, ? extends T, X> work, Fallback<T> fallback) throws X {
    Check.notNull(policy, "policy");
    Check.notNull(work, "work");
    Check.notNull(fallback, "fallback");
    GroupCall<E> call = newCall(policy);
    return policy.execute(ctx -> call.attempt(ctx, work), fallback);
  }

  /**
   * Calls async {@code work} through {@code policy} ({@link Policy#executeAsync}), each attempt on
   * the endpoint this group chooses for it. When the policy cancels an attempt (its timeout, or
   * the caller cancelling the returned future), the stage the work returned is cancelled too
   * (through {@code toCompletableFuture()}); the attempt's outstanding count is given back when
   * that stage completes, which for a stage that cannot be cancelled is when its work ends.
   *
   * @param policy the policy that runs the call
   * @param work supplies one attempt's stage on its endpoint
   * @param <T> the result type
   * @return a future of the result
   * @throws NullPointerException if an argument is null
   */
  public <T> CompletableFuture<T> callAsync(
      Policy policy, Function<? super E, ? extends CompletionStage<? extends T>> work) {
    Check.notNull(work, "work");
    return executeAsync(policy, (endpoint, attempt) -> work.apply(endpoint));
  }

  /**
   * {@link #callAsync} for work that wants its attempt's context.
   *
   * @param policy the policy that runs the call
   * @param work supplies one attempt's stage on its endpoint, from the attempt's context
   * @param <T> the result type
   * @return a future of the result
   * @throws NullPointerException if an argument is null
   */
  public <T> CompletableFuture<T> executeAsync(
      Policy policy,
      BiFunction<? super E, AttemptContext, ? extends CompletionStage<? extends T>> work) {
    Check.notNull(policy, "policy");
    Check.notNull(work, "work");
    GroupCall<E> call = newCall(policy);
    return policy.executeAsync(ctx -> call.attemptAsync(ctx, work));
  }

  /**
   * {@link #callAsync(Policy, Function)} with a per-call fallback.
   *
   * @param policy the policy that runs the call
   * @param work supplies one attempt's stage on its endpoint
   * @param fallback produces the result for the failures it handles
   * @param <T> the result type
   * @return a future of the work's or the fallback's result
   * @throws NullPointerException if an argument is null
   */
  public <T> CompletableFuture<T> callAsync(Policy policy,
      Function<? super E, ? extends CompletionStage<? extends T>> work, Fallback<T> fallback) {
    Check.notNull(work, "work");
    return executeAsync(policy, (endpoint, attempt) -> work.apply(endpoint), fallback);
  }

  /**
   * {@link #executeAsync(Policy, BiFunction)} with a per-call fallback.
   *
   * @param policy the policy that runs the call
   * @param work supplies one attempt's stage on its endpoint, from the attempt's context
   * @param fallback produces the result for the failures it handles
   * @param <T> the result type
   * @return a future of the work's or the fallback's result
   * @throws NullPointerException if an argument is null
   */
  public <T> CompletableFuture<T> executeAsync(Policy policy,
      BiFunction<? super E, AttemptContext, ? extends CompletionStage<? extends T>> work,
      Fallback<T> fallback) {
    Check.notNull(policy, "policy");
    Check.notNull(work, "work");
    Check.notNull(fallback, "fallback");
    GroupCall<E> call = newCall(policy);
    return policy.executeAsync(ctx -> call.attemptAsync(ctx, work), fallback);
  }

  // ---------------------------------------------------------------- the set

  /**
   * Replaces the endpoints (service discovery, DNS). An endpoint equal to one already in the group
   * keeps its state (ejected or not, its counts, its latency); the others start fresh, and those
   * no longer listed leave (their attempts in flight end as usual). Checked as at build; a panic
   * mode change is published.
   *
   * @param endpoints the new endpoints, at least one, no null, no two equal
   * @throws IllegalArgumentException if {@code endpoints} is empty, has a null or two equal
   *     endpoints, or two with the same name, or the name function fails on one (the group is then
   *     unchanged)
   * @throws NullPointerException if {@code endpoints} is null
   */
  public void update(Collection<? extends E> endpoints) {
    List<E> list = checked(name, endpoints);
    Map<E, Member<E>> current = new HashMap<>();
    for (Member<E> m : rotation.view.all) {
      current.put(m.endpoint, m);
    }
    Member<E>[] next = members(name, list, namer, current);
    rotation.replace(next);
  }

  /**
   * The endpoints now in the group, in the order last given.
   *
   * @return an unmodifiable list
   */
  public List<E> endpoints() {
    List<E> out = new ArrayList<>();
    for (Member<E> m : rotation.view.all) {
      out.add(m.endpoint);
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * Each endpoint's state now, in the order last given: for health checks, metrics and tests.
   *
   * @return an unmodifiable list
   */
  public List<EndpointStatus<E>> status() {
    long now = chooser.readsTime() ? time.nanoTime() : 0;
    List<EndpointStatus<E>> out = new ArrayList<>();
    for (Member<E> m : rotation.view.all) {
      Optional<Duration> latency = Optional.empty();
      if (chooser.readsTime() && m.latency.get() != null) {
        latency = Optional.of(Duration.ofNanos(
            (long) Math.min(Long.MAX_VALUE, m.estimate(chooser.balancer().decayNanos, now))));
      }
      out.add(new EndpointStatus<>(m.endpoint, m.name, m.ejected, m.probation,
          m.outstanding.get(), m.consecutiveFailures.get(), m.ejections, latency));
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * Whether the group is in panic mode: fewer endpoints in rotation than the panic threshold, so
   * attempts go to all of them.
   *
   * @return {@code true} in panic mode
   */
  public boolean panic() {
    return rotation.view.panic;
  }

  /**
   * The group's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The group's events ({@code EndpointEjected}, {@code EndpointRestored}, {@code
   * EndpointPanicChanged}, and with hedging {@code HedgeSent} and {@code HedgeWon}); forwarded to
   * the parent stream given to the builder, if any.
   *
   * @return the stream
   */
  public EventStream events() {
    return events;
  }

  /**
   * The balancer the group chooses with.
   *
   * @return the balancer
   */
  public Balancer balancer() {
    return chooser.balancer();
  }

  @Override
  public String toString() {
    return "EndpointGroup{" + name + ", " + rotation.view.all.length + " endpoints, "
        + chooser.balancer() + ", outlier detection " + (settings.outlierDetection ? "on" : "off")
        + (settings.hedging != null ? ", " + settings.hedging : "") + '}';
  }

  @SuppressWarnings("unchecked")
  static <X extends Throwable> X sneaky(Throwable t) throws X {
    throw (X) t;
  }

  // ---------------------------------------------------------------- checks

  private static <E> List<E> checked(String group, Collection<? extends E> endpoints) {
    Check.notNull(endpoints, "endpoints");
    List<E> list = new ArrayList<>(endpoints);
    Check.requireArgument(!list.isEmpty(), "EndpointGroup '" + group + "': endpoints",
        "at least one endpoint", "[]");
    Map<E, Integer> seen = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      E e = list.get(i);
      Check.requireArgument(e != null, "EndpointGroup '" + group + "': endpoints", "non-null",
          "null at index " + i);
      Integer before = seen.putIfAbsent(e, i);
      Check.requireArgument(before == null, "EndpointGroup '" + group + "': endpoints",
          "distinct", "the same endpoint at index " + before + " and " + i);
    }
    return list;
  }

  /** Members for {@code list}: those in {@code current} kept, the others new and named. */
  private static <E> Member<E>[] members(String group, List<E> list,
      Function<? super E, String> namer, Map<E, Member<E>> current) {
    @SuppressWarnings("unchecked")
    Member<E>[] out = new Member[list.size()];
    Map<String, Integer> names = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      E e = list.get(i);
      Member<E> kept = current.get(e);
      String n = kept != null ? kept.name : nameOf(group, namer, e, i);
      Integer before = names.putIfAbsent(n, i);
      Check.requireArgument(before == null, "EndpointGroup '" + group + "': endpoint names",
          "distinct", "'" + n + "' for the endpoints at index " + before + " and " + i);
      out[i] = kept != null ? kept : new Member<>(e, n);
    }
    return out;
  }

  private static <E> String nameOf(String group, Function<? super E, String> namer, E e, int i) {
    String n;
    try {
      n = namer.apply(e);
    } catch (RuntimeException x) {
      throw new IllegalArgumentException("EndpointGroup '" + group
          + "': the name function threw on the endpoint at index " + i + ": " + x, x);
    }
    Check.requireArgument(n != null && !n.isBlank(),
        "EndpointGroup '" + group + "': the name of the endpoint at index " + i, "a non-blank text",
        n == null ? "null" : "'" + n + "'");
    return n;
  }

  // ---------------------------------------------------------------- builder

  /**
   * Builds an {@link EndpointGroup}. Every setter checks its argument at once ({@link
   * IllegalArgumentException} naming it, the value and what was expected); settings that
   * contradict each other fail in {@link #build()} ({@link IllegalStateException}). Not
   * thread-safe; the group it builds is thread-safe.
   *
   * @param <E> the endpoint type
   */
  public static final class Builder<E> {
    final String name;
    private final List<E> endpoints;
    Function<? super E, String> namer = String::valueOf;
    Balancer balancer = Balancer.leastOutstanding();
    boolean outlierDetection = true;
    int consecutiveFailures = 5;
    Duration baseEjectionTime = Duration.ofSeconds(30);
    Duration maxEjectionTime = Duration.ofSeconds(300);
    int maxEjectionPercent = 50;
    int panicThresholdPercent = 50;
    Predicate<? super Throwable> failureOn = e -> e instanceof Exception;
    Predicate<Object> failureOnResult = r -> false;
    TimeSource timeSource = TimeSource.system();
    EventStream parentEvents;
    Hedging hedging;
    private final Map<String, String> tags = new LinkedHashMap<>();

    private Builder(String name, Collection<? extends E> endpoints) {
      this.name = Check.notBlank(name, "name");
      this.endpoints = checked(name, endpoints);
    }

    private String key(String setting) {
      return "EndpointGroup '" + name + "': " + setting;
    }

    /**
     * How endpoints are named in events, messages and {@link EndpointStatus}: called once per
     * endpoint when the group is built or updated, never during a call. Names must be distinct and
     * not blank; keep them few and free of secrets (they become metric tags). Default {@code
     * String.valueOf(endpoint)}, fine for a {@code URI} without credentials, not for a type whose
     * {@code toString} shows a password or an identity hash.
     *
     * @param namer the name function
     * @return this builder
     * @throws NullPointerException if {@code namer} is null
     */
    public Builder<E> name(Function<? super E, String> namer) {
      this.namer = Check.notNull(namer, "namer");
      return this;
    }

    /**
     * How each attempt's endpoint is chosen. Default {@link Balancer#leastOutstanding()}.
     *
     * @param balancer the balancer
     * @return this builder
     * @throws NullPointerException if {@code balancer} is null
     */
    public Builder<E> balancer(Balancer balancer) {
      this.balancer = Check.notNull(balancer, "balancer");
      return this;
    }

    /**
     * Whether failing endpoints are ejected. Default {@code true}.
     *
     * @param enabled {@code false} to keep every endpoint in rotation whatever it does
     * @return this builder
     */
    public Builder<E> outlierDetection(boolean enabled) {
      this.outlierDetection = enabled;
      return this;
    }

    /**
     * The consecutive failures that eject an endpoint. Default 5 (Envoy's {@code
     * consecutive_5xx}). Any {@code int} from 1: the count saturates.
     *
     * @param failures at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder<E> consecutiveFailures(int failures) {
      this.consecutiveFailures = Check.atLeast(failures, 1, key("consecutiveFailures"));
      return this;
    }

    /**
     * How long a first ejection lasts; the n-th lasts n times as long, up to {@link
     * #maxEjectionTime}. Default 30 s (Envoy's and gRPC's {@code base_ejection_time}).
     *
     * @param time positive; above 36,500 days taken as 36,500 days
     * @return this builder
     * @throws IllegalArgumentException if zero or negative
     * @throws NullPointerException if {@code time} is null
     */
    public Builder<E> baseEjectionTime(Duration time) {
      this.baseEjectionTime = Check.positive(time, key("baseEjectionTime"));
      return this;
    }

    /**
     * The longest an ejection lasts. Default 300 s (Envoy's and gRPC's {@code max_ejection_time}).
     *
     * @param time positive, at least the base ejection time (checked at {@link #build()}); above
     *     36,500 days taken as 36,500 days
     * @return this builder
     * @throws IllegalArgumentException if zero or negative
     * @throws NullPointerException if {@code time} is null
     */
    public Builder<E> maxEjectionTime(Duration time) {
      this.maxEjectionTime = Check.positive(time, key("maxEjectionTime"));
      return this;
    }

    /**
     * The largest share of the endpoints ejected at once, in percent, rounded down; whatever the
     * share, one endpoint may be ejected in a group of two or more, and at least one endpoint
     * always stays in rotation. Default 50: see {@code docs/endpoints.md} for why not Envoy's and
     * gRPC's 10.
     *
     * @param percent from 1 to 100
     * @return this builder
     * @throws IllegalArgumentException if outside [1, 100]
     */
    public Builder<E> maxEjectionPercent(int percent) {
      this.maxEjectionPercent = Check.inRange(percent, 1, 100, key("maxEjectionPercent"));
      return this;
    }

    /**
     * Panic mode: while fewer than this percentage of the endpoints are in rotation, attempts are
     * spread over all of them, ejected ones included (Envoy's {@code healthy_panic_threshold}).
     * Default 50; 0 turns panic mode off.
     *
     * @param percent from 0 to 100
     * @return this builder
     * @throws IllegalArgumentException if outside [0, 100]
     */
    public Builder<E> panicThresholdPercent(int percent) {
      this.panicThresholdPercent = Check.inRange(percent, 0, 100, key("panicThresholdPercent"));
      return this;
    }

    /**
     * Which exceptions count as a failure of the endpoint. Called on the thread that ends the
     * attempt; one that throws makes the attempt fail with what it threw (the work's exception
     * suppressed in it) and records nothing. A timed-out attempt is tested as a {@code
     * TimeoutException}. Default: any {@link Exception}; an {@link Error} is not the endpoint's
     * doing.
     *
     * @param predicate {@code true} for a failure
     * @return this builder
     * @throws NullPointerException if {@code predicate} is null
     */
    public Builder<E> failureOn(Predicate<? super Throwable> predicate) {
      this.failureOn = Check.notNull(predicate, "predicate");
      return this;
    }

    /**
     * Which results count as a failure of the endpoint (an error status in a response, say).
     * Called like {@link #failureOn}; one that throws makes the attempt fail with what it threw,
     * the result then not returned. Default: no result is a failure.
     *
     * @param predicate {@code true} for a failure; it may see {@code null}
     * @return this builder
     * @throws NullPointerException if {@code predicate} is null
     */
    public Builder<E> failureOnResult(Predicate<Object> predicate) {
      this.failureOnResult = Check.notNull(predicate, "predicate");
      return this;
    }

    /**
     * Hedges the attempts of calls through this group: when an attempt's endpoint has not
     * answered after the hedge delay, a parallel attempt goes to another endpoint in rotation
     * that is not already in flight for the call, at most {@link Hedging#maxHedges} of them; the
     * first acceptable outcome (a result or an exception that is no failure of its endpoint by
     * {@link #failureOn} and {@link #failureOnResult}, and no {@code RejectedException}) wins
     * and the others are cancelled, counting for nothing against their endpoints. A failure while another attempt of the race is in
     * flight does not end the attempt; when all in flight failed, the last failure is the
     * attempt's, and the policy's retry decides as for any failed attempt. Each hedge takes one
     * token of the policy's retry budget (none configured: hedges are free); none is sent when
     * the budget is empty, when no other endpoint is in rotation, or past the attempt's deadline.
     * The policy's breaker, limiter and bulkhead see one attempt, however many hedges it sent.
     * Default: no hedging. See {@code docs/endpoints.md}, "Hedging".
     *
     * @param hedging the hedging settings
     * @return this builder
     * @throws NullPointerException if {@code hedging} is null
     */
    public Builder<E> hedging(Hedging hedging) {
      this.hedging = Check.notNull(hedging, "hedging");
      return this;
    }

    /**
     * The time source for ejection times and latencies. Default {@link TimeSource#system()}.
     *
     * @param timeSource the time source
     * @return this builder
     * @throws NullPointerException if {@code timeSource} is null
     */
    public Builder<E> timeSource(TimeSource timeSource) {
      this.timeSource = Check.notNull(timeSource, "timeSource");
      return this;
    }

    /**
     * A stream the group's events are forwarded to (a registry's {@code events()}). Default: none.
     *
     * @param parent the parent stream
     * @return this builder
     * @throws NullPointerException if {@code parent} is null
     */
    public Builder<E> parentEvents(EventStream parent) {
      this.parentEvents = Check.notNull(parent, "parent");
      return this;
    }

    /**
     * A tag copied into every event of the group. Default: none.
     *
     * @param key the tag's key
     * @param value its value
     * @return this builder
     * @throws NullPointerException if an argument is null
     */
    public Builder<E> tag(String key, String value) {
      tags.put(Check.notNull(key, "key"), Check.notNull(value, "value"));
      return this;
    }

    Map<String, String> tagsCopy() {
      return Collections.unmodifiableMap(new LinkedHashMap<>(tags));
    }

    /**
     * Builds the group, naming every endpoint.
     *
     * @return the group
     * @throws IllegalStateException if the maximum ejection time is below the base ejection time
     * @throws IllegalArgumentException if two endpoints get the same name, a name is blank or the
     *     name function throws
     */
    public EndpointGroup<E> build() {
      Check.requireState(maxEjectionTime.compareTo(baseEjectionTime) >= 0,
          "EndpointGroup '%s': maxEjectionTime (%s) must be at least baseEjectionTime (%s)",
          name, maxEjectionTime, baseEjectionTime);
      Builder<E> copy = new Builder<>(name, endpoints);
      copy.namer = namer;
      copy.balancer = balancer;
      copy.outlierDetection = outlierDetection;
      copy.consecutiveFailures = consecutiveFailures;
      copy.baseEjectionTime = baseEjectionTime;
      copy.maxEjectionTime = maxEjectionTime;
      copy.maxEjectionPercent = maxEjectionPercent;
      copy.panicThresholdPercent = panicThresholdPercent;
      copy.failureOn = failureOn;
      copy.failureOnResult = failureOnResult;
      copy.timeSource = timeSource;
      copy.parentEvents = parentEvents;
      copy.hedging = hedging;
      copy.tags.putAll(tags);
      return new EndpointGroup<>(copy, members(name, endpoints, namer, Map.of()));
    }
  }
}
