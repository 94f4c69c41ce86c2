package dev.riprap;

import dev.riprap.event.AttemptTimedOut;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.CallRejected;
import dev.riprap.event.CircuitStateChanged;
import dev.riprap.event.EventStream;
import dev.riprap.event.FallbackApplied;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import dev.riprap.internal.Check;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.core.functions.Either;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * An immutable, thread-safe composition of resilience strategies around a call, sync or async.
 * Every strategy is optional; those present always nest in this one order, outermost first:
 *
 * <pre>
 * Fallback( TotalTimeout( Retry( CircuitBreaker( RateLimiter( Bulkhead( AttemptTimeout( call )))))))
 * </pre>
 *
 * <ul>
 *   <li>The fallback is outermost, so it sees every failure, rejections and timeouts included.
 *   <li>The total timeout bounds the whole call, backoff waits included; a backoff that would end
 *       past it is not waited for: the call ends at once with its last outcome.
 *   <li>Each retry attempt passes the breaker, the limiter and the bulkhead again, so the breaker
 *       records every attempt once and every attempt takes one permit.
 *   <li>The breaker does not count Riprap's own rejections (rate limited, bulkhead full): they say
 *       nothing about the downstream's health. A call rejected by an open breaker is not retried
 *       (it would only spin) unless {@link Builder#retryWhenCircuitOpen(boolean)} says so.
 * </ul>
 *
 * <p>Sync ({@link #call}, {@link #run}) and async ({@link #callAsync}) calls go through the same
 * decisions with the same semantics. A checked exception thrown by the work comes back as itself.
 * Refusals and timeouts are {@link RejectedException}s naming the policy and the reason.
 *
 * <pre>{@code
 * Policy policy = Policy.builder("inventory")
 *     .retry(3, Duration.ofMillis(100), Duration.ofSeconds(2))
 *     .circuitBreaker(CircuitBreakerConfig.ofDefaults())
 *     .bulkhead(20)
 *     .attemptTimeout(Duration.ofSeconds(2))
 *     .totalTimeout(Duration.ofSeconds(5))
 *     .build();
 * Stock stock = policy.call(() -> inventory.stock(sku)); // throws IOException as itself
 * }</pre>
 *
 * <p>The resilience4j primitives are driven directly (acquire permission, record the outcome) from
 * one execution loop, not stacked as decorators: a call allocates nothing on the success path when
 * no one listens to the events and no timeout is set.
 */
// Size: the execution API, its accessors and the nested Builder (a public type users name as
// Policy.Builder, so it cannot move to a file of its own); the engine lives in Pipeline, Step,
// Call, SyncCall and AsyncCall.
public final class Policy {
  private final Pipeline pipeline;
  private final Builder source;

  private Policy(Builder b, Pipeline pipeline) {
    this.pipeline = pipeline;
    this.source = b.copy();
  }

  /**
   * Starts a builder for a policy called {@code name}. The name appears in every rejection message,
   * event and metric.
   *
   * @param name the policy name, not blank
   * @return a new builder with no strategy set
   * @throws IllegalArgumentException if {@code name} is blank
   * @throws NullPointerException if {@code name} is null
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * A builder holding this policy's settings under a new name: strategies configured from
   * resilience4j configs get fresh instances when it builds; instances given to the original builder
   * (a shared breaker, say) stay shared. The HTTP client uses it to make per-host policies from one
   * template.
   *
   * @param newName the name of the policy to build
   * @return a new builder
   */
  public Builder toBuilder(String newName) {
    Builder b = source.copy();
    b.name = Builder.checkName(newName);
    return b;
  }

  // ---------------------------------------------------------------- sync API

  /**
   * Calls {@code work} through the pipeline and returns its result.
   *
   * @param work the work; it may throw its own checked exception
   * @param <T> the result type
   * @param <E> the work's checked exception
   * @return the work's result
   * @throws E the work's own exception, as itself, when the last attempt failed with it
   * @throws RejectedException when the policy refused the call or it timed out
   */
  public <T, E extends Throwable> T call(ThrowingSupplier<? extends T, E> work) throws E {
    return execSync(Objects.requireNonNull(work, "work"), false, null);
  }

  /**
   * Calls {@code work} through the pipeline with a per-call fallback as the outermost layer.
   *
   * @param work the work
   * @param fallback produces the result for the failures it handles
   * @param <T> the result type
   * @param <E> the work's checked exception
   * @return the work's result, or the fallback's
   * @throws E the work's own exception when the fallback does not handle it
   * @throws RejectedException when the fallback does not handle the rejection
   */
  public <T, E extends Throwable> T call(ThrowingSupplier<? extends T, E> work, Fallback<T> fallback)
      throws E {
    return execSync(work, false, Objects.requireNonNull(fallback, "fallback"));
  }

  /**
   * Runs void {@code work} through the pipeline.
   *
   * @param work the work
   * @param <E> the work's checked exception
   * @throws E the work's own exception, as itself
   * @throws RejectedException when the policy refused the call or it timed out
   */
  public <E extends Throwable> void run(ThrowingRunnable<E> work) throws E {
    Objects.requireNonNull(work, "work");
    execSync(
        (ThrowingSupplier<Object, E>)
            () -> {
              work.run();
              return null;
            },
        false,
        null);
  }

  /**
   * Calls attempt-aware {@code work} through the pipeline. The work gets an {@link AttemptContext}
   * with the attempt number and the time left; adapters use it to pass deadlines down.
   *
   * @param work the work
   * @param <T> the result type
   * @param <E> the work's checked exception
   * @return the work's result
   * @throws E the work's own exception
   * @throws RejectedException when the policy refused the call or it timed out
   */
  public <T, E extends Throwable> T execute(AttemptFunction<? extends T, E> work) throws E {
    return execSync(work, true, null);
  }

  /**
   * {@link #execute(AttemptFunction)} with a per-call fallback.
   *
   * @param work the work
   * @param fallback the fallback
   * @param <T> the result type
   * @param <E> the work's checked exception
   * @return the work's or the fallback's result
   * @throws E the work's own exception when the fallback does not handle it
   */
  public <T, E extends Throwable> T execute(AttemptFunction<? extends T, E> work, Fallback<T> fallback)
      throws E {
    return execSync(work, true, Objects.requireNonNull(fallback, "fallback"));
  }

  // ---------------------------------------------------------------- async API

  /**
   * Calls async {@code work} through the pipeline without blocking: retries wait on a timer, not a
   * sleeping thread, and timeouts complete the returned future from the timer. The next attempt
   * after a backoff runs on the policy's async executor ({@link Builder#asyncExecutor}).
   *
   * <p>Cancelling the returned future stops the retries and cancels the attempt in flight. The
   * future completes exceptionally with the work's own exception or a {@link RejectedException}.
   * A bulkhead with a non-zero wait blocks the calling thread while it waits for a permit.
   *
   * @param work supplies one attempt's stage
   * @param <T> the result type
   * @return a future of the result
   */
  public <T> CompletableFuture<T> callAsync(Supplier<? extends CompletionStage<? extends T>> work) {
    Objects.requireNonNull(work, "work");
    return execAsync(ctx -> work.get(), null);
  }

  /**
   * {@link #callAsync(Supplier)} with a per-call fallback.
   *
   * @param work supplies one attempt's stage
   * @param fallback the fallback
   * @param <T> the result type
   * @return a future of the work's or the fallback's result
   */
  public <T> CompletableFuture<T> callAsync(
      Supplier<? extends CompletionStage<? extends T>> work, Fallback<T> fallback) {
    Objects.requireNonNull(work, "work");
    return execAsync(ctx -> work.get(), Objects.requireNonNull(fallback, "fallback"));
  }

  /**
   * Async, attempt-aware form of {@link #execute(AttemptFunction)}.
   *
   * @param work supplies one attempt's stage from its context
   * @param <T> the result type
   * @return a future of the result
   */
  public <T> CompletableFuture<T> executeAsync(
      Function<AttemptContext, ? extends CompletionStage<? extends T>> work) {
    return execAsync(Objects.requireNonNull(work, "work"), null);
  }

  /**
   * {@link #executeAsync(Function)} with a per-call fallback.
   *
   * @param work supplies one attempt's stage from its context
   * @param fallback the fallback
   * @param <T> the result type
   * @return a future of the work's or the fallback's result
   */
  public <T> CompletableFuture<T> executeAsync(
      Function<AttemptContext, ? extends CompletionStage<? extends T>> work, Fallback<T> fallback) {
    return execAsync(Objects.requireNonNull(work, "work"), Objects.requireNonNull(fallback, "fallback"));
  }

  // ---------------------------------------------------------------- decorators

  /**
   * A supplier that calls {@code supplier} through this policy on every {@code get()}.
   *
   * @param supplier the supplier
   * @param <T> the result type
   * @return the resilient supplier
   */
  public <T> Supplier<T> decorateSupplier(Supplier<? extends T> supplier) {
    Objects.requireNonNull(supplier, "supplier");
    return () -> call(supplier::get);
  }

  /**
   * A callable that calls {@code callable} through this policy; its checked exception passes
   * through as itself.
   *
   * @param callable the callable
   * @param <T> the result type
   * @return the resilient callable
   */
  public <T> Callable<T> decorateCallable(Callable<? extends T> callable) {
    Objects.requireNonNull(callable, "callable");
    return () -> call(callable::call);
  }

  /**
   * A function that applies {@code function} through this policy.
   *
   * @param function the function
   * @param <A> the argument type
   * @param <R> the result type
   * @return the resilient function
   */
  public <A, R> Function<A, R> decorateFunction(Function<? super A, ? extends R> function) {
    Objects.requireNonNull(function, "function");
    return a -> call(() -> function.apply(a));
  }

  /**
   * A stage supplier that runs {@code supplier} through this policy on every {@code get()}.
   *
   * @param supplier the async supplier
   * @param <T> the result type
   * @return the resilient async supplier
   */
  public <T> Supplier<CompletableFuture<T>> decorateAsync(
      Supplier<? extends CompletionStage<? extends T>> supplier) {
    Objects.requireNonNull(supplier, "supplier");
    return () -> callAsync(supplier);
  }

  /**
   * This policy with {@code fallback} as its outermost layer, typed for results of {@code T}.
   *
   * @param fallback the fallback
   * @param <T> the result type
   * @return a reusable policy with the fallback
   */
  public <T> FallbackPolicy<T> withFallback(Fallback<T> fallback) {
    return new FallbackPolicy<>(this, Objects.requireNonNull(fallback, "fallback"));
  }

  // ---------------------------------------------------------------- accessors

  /**
   * The policy's name.
   *
   * @return the name
   */
  public String name() {
    return pipeline.name;
  }

  /**
   * The policy's tags, copied into every event.
   *
   * @return an unmodifiable map
   */
  public Map<String, String> tags() {
    return pipeline.tags;
  }

  /**
   * The policy's event stream: subscribe to see its breaker transitions, retries, rejections,
   * timeouts, fallbacks and completed calls.
   *
   * @return the stream
   */
  public EventStream events() {
    return pipeline.events;
  }

  /**
   * The circuit breaker, if the policy has one.
   *
   * @return the breaker
   */
  public Optional<CircuitBreaker> circuitBreaker() {
    return pipeline.breaker == null ? Optional.empty() : Optional.of(pipeline.breaker.breaker);
  }

  /**
   * The resilience4j rate limiter, if the policy has one (a paced rate is a {@link
   * #pacedLimiter()} instead).
   *
   * @return the limiter
   */
  public Optional<RateLimiter> rateLimiter() {
    return pipeline.limiter == null
        ? Optional.empty()
        : Optional.ofNullable(pipeline.limiter.limiter);
  }

  /**
   * The paced limiter, if the policy's rate limit is one ({@link Builder#pacedRate} or {@link
   * Builder#rateLimiter(PacedLimiter)}); {@link #rateLimiter()} is then empty.
   *
   * @return the paced limiter
   */
  public Optional<PacedLimiter> pacedLimiter() {
    return pipeline.limiter == null ? Optional.empty() : Optional.ofNullable(pipeline.limiter.paced);
  }

  /**
   * The external limiter, if the policy's rate limit is one ({@link
   * Builder#rateLimiter(ExternalLimiter)}); {@link #rateLimiter()} and {@link #pacedLimiter()} are
   * then empty.
   *
   * @return the external limiter
   */
  public Optional<ExternalLimiter> externalLimiter() {
    return pipeline.limiter == null
        ? Optional.empty()
        : Optional.ofNullable(pipeline.limiter.external);
  }

  /**
   * The bulkhead, if the policy has one.
   *
   * @return the bulkhead
   */
  public Optional<Bulkhead> bulkhead() {
    return pipeline.bulkhead == null
        ? Optional.empty()
        : Optional.of(pipeline.bulkhead.bulkhead);
  }

  /**
   * The resilience4j retry config, if the policy retries with one ({@link
   * Builder#retry(RetryConfig)}); Riprap's own settings are {@link #retrySettings()}.
   *
   * @return the resilience4j retry config
   */
  public Optional<RetryConfig> retryConfig() {
    return Optional.ofNullable(source.retryConfig);
  }

  /**
   * How many attempts a call may make in all, whichever way the retry was configured.
   *
   * @return 1 when the policy does not retry
   */
  public int maxAttempts() {
    return pipeline.retry == null ? 1 : pipeline.retry.maxAttempts;
  }

  /**
   * Riprap's own retry settings, if the policy retries with them ({@link
   * Builder#retry(RetrySettings)}, the short form {@link Builder#retry(int, Duration, Duration)},
   * properties, annotations); {@link #retryConfig()} is then empty.
   *
   * @return the retry settings
   */
  public Optional<RetrySettings> retrySettings() {
    return Optional.ofNullable(source.retrySettings);
  }

  /**
   * The retry budget, if the policy has one.
   *
   * @return the budget
   */
  public Optional<RetryBudget> retryBudget() {
    return Optional.ofNullable(pipeline.budget);
  }

  /**
   * The attempt timeout, if set.
   *
   * @return the attempt timeout
   */
  public Optional<Duration> attemptTimeout() {
    return Optional.ofNullable(source.attemptTimeout);
  }

  /**
   * The total timeout, if set.
   *
   * @return the total timeout
   */
  public Optional<Duration> totalTimeout() {
    return Optional.ofNullable(source.totalTimeout);
  }

  /**
   * How long a call the open breaker refuses may wait for its next probe ({@link
   * Builder#awaitProbe}), if set.
   *
   * @return the longest wait
   */
  public Optional<Duration> awaitProbe() {
    return Optional.ofNullable(source.probeWait);
  }

  /**
   * The shutdown gate that counts this policy's calls, if it has one.
   *
   * @return the gate
   */
  public Optional<ShutdownGate> shutdownGate() {
    return Optional.ofNullable(pipeline.gate);
  }

  /**
   * The time source the policy measures time with.
   *
   * @return the time source
   */
  public TimeSource timeSource() {
    return pipeline.time;
  }

  @Override
  public String toString() {
    return "Policy{" + pipeline.name + (pipeline.tags.isEmpty() ? "" : ", tags=" + pipeline.tags)
        + '}';
  }

  // ---------------------------------------------------------------- the drivers

  @SuppressWarnings("unchecked")
  private <T, E extends Throwable> T execSync(Object work, boolean contextual, Fallback<T> fallback)
      throws E {
    try {
      return (T) SyncCall.run(pipeline, work, contextual, fallback);
    } catch (Throwable t) {
      throw (E) t;
    }
  }

  private <T> CompletableFuture<T> execAsync(
      Function<AttemptContext, ? extends CompletionStage<? extends T>> work, Fallback<T> fallback) {
    return new AsyncCall<T>(pipeline, work, fallback).start();
  }

  // ---------------------------------------------------------------- builder

  /**
   * Builds a {@link Policy}. Every setter validates its argument at once and throws {@link
   * IllegalArgumentException} naming the argument, the bad value and what was expected ({@code
   * attemptTimeout must be positive, was -1s}); settings that conflict with each other fail in
   * {@link #build()} with {@link IllegalStateException} naming both values. Strategies not set are
   * absent from the pipeline. Not thread-safe; the policy it builds is immutable and thread-safe.
   *
   * <p>Setting twice: a strategy (circuit breaker, rate limiter, bulkhead, retry), a timeout, the
   * probe wait and the retry budget can each be set once; a second call throws {@link
   * IllegalStateException} ({@code attemptTimeout was already set to 1s}), as it is almost always
   * two pieces of configuration disagreeing. The wiring (tags, time source, parent events, shutdown
   * gate, executors, discarded-result handler) and the {@link #retryWhenCircuitOpen} flag take the
   * last value given: registries and the HTTP client set them around the user's own settings.
   *
   * <p>Limits: a duration longer than 36,500 days (100 years) is accepted and treated as 36,500
   * days, a wait that never ends in practice (see {@code docs/core.md}). A circuit breaker's window
   * and its half-open calls are at most 100,000: resilience4j allocates one object per slot, so a
   * larger window would cost megabytes per breaker or fail with {@code OutOfMemoryError}.
   */
  public static final class Builder {
    String name;
    private final Map<String, String> tags = new LinkedHashMap<>();
    private TimeSource timeSource = TimeSource.system();
    private EventStream parentEvents;
    private ShutdownGate gate;
    private CircuitBreakerConfig breakerConfig;
    private CircuitBreaker breakerInstance;
    private RateLimiterConfig limiterConfig;
    private RateLimiter limiterInstance;
    private PacedLimiter pacedInstance;
    private ExternalLimiter externalInstance;
    private int pacedPerSecond;
    private Duration pacedMaxWait;
    private BulkheadConfig bulkheadConfig;
    private Bulkhead bulkheadInstance;
    RetryConfig retryConfig;
    RetrySettings retrySettings;
    private boolean retryWhenCircuitOpen;
    Duration probeWait;
    private RetryBudget budget;
    Duration attemptTimeout;
    Duration totalTimeout;
    private Executor asyncExecutor = ForkJoinPool.commonPool();
    private Consumer<Object> discarded;
    private Executor timeoutExecutor;
    /** The adapter's outcome hooks (set through {@link dev.riprap.internal.EngineAccess}). */
    private dev.riprap.internal.OutcomeHooks<?, ?> hooks;

    static {
      dev.riprap.internal.EngineAccess.install(new dev.riprap.internal.EngineAccess() {
        @Override
        protected void setHooks(Builder builder, dev.riprap.internal.OutcomeHooks<?, ?> hooks) {
          builder.hooks = hooks;
        }

        @Override
        protected Executor executorOf(Policy policy) {
          return policy.pipeline.asyncExecutor;
        }

        @Override
        protected void discardFor(Policy policy, Object result) {
          policy.pipeline.discard(result);
        }
      });
    }

    private Builder(String name) {
      this.name = checkName(name);
    }

    static String checkName(String name) {
      return Check.notBlank(name, "name");
    }

    Builder copy() {
      Builder b = new Builder(name);
      b.tags.putAll(tags);
      b.timeSource = timeSource;
      b.parentEvents = parentEvents;
      b.gate = gate;
      b.breakerConfig = breakerConfig;
      b.breakerInstance = breakerInstance;
      b.limiterConfig = limiterConfig;
      b.limiterInstance = limiterInstance;
      b.pacedInstance = pacedInstance;
      b.externalInstance = externalInstance;
      b.pacedPerSecond = pacedPerSecond;
      b.pacedMaxWait = pacedMaxWait;
      b.bulkheadConfig = bulkheadConfig;
      b.bulkheadInstance = bulkheadInstance;
      b.retryConfig = retryConfig;
      b.retrySettings = retrySettings;
      b.retryWhenCircuitOpen = retryWhenCircuitOpen;
      b.probeWait = probeWait;
      b.budget = budget;
      b.attemptTimeout = attemptTimeout;
      b.totalTimeout = totalTimeout;
      b.asyncExecutor = asyncExecutor;
      b.discarded = discarded;
      b.timeoutExecutor = timeoutExecutor;
      b.hooks = hooks;
      return b;
    }

    private static void requireUnset(Object current, Object other, String what) {
      Check.requireUnset(current != null || other != null, what, current != null ? current : other);
    }

    /**
     * A breaker's window and half-open calls are sizes of arrays resilience4j allocates, when the
     * breaker is made and at each transition: bounded by {@link Check#MAX_BREAKER_SLOTS}.
     */
    private static void checkSlots(CircuitBreakerConfig config) {
      Check.requireArgument(
          config.getSlidingWindowSize() <= Check.MAX_BREAKER_SLOTS,
          "slidingWindowSize",
          "<= " + Check.MAX_BREAKER_SLOTS,
          config.getSlidingWindowSize());
      Check.requireArgument(
          config.getPermittedNumberOfCallsInHalfOpenState() <= Check.MAX_BREAKER_SLOTS,
          "permittedNumberOfCallsInHalfOpenState",
          "<= " + Check.MAX_BREAKER_SLOTS,
          config.getPermittedNumberOfCallsInHalfOpenState());
    }

    /**
     * Adds a tag copied into every event of the policy (the HTTP client tags per-host policies with
     * {@code host}). Default: no tags.
     *
     * @param key the tag key, not blank
     * @param value the tag value
     * @return this builder
     * @throws IllegalArgumentException if {@code key} is blank
     */
    public Builder tag(String key, String value) {
      Check.notBlank(key, "key");
      Check.notNull(value, "value");
      tags.put(key, value);
      return this;
    }

    /**
     * The time source for timeouts, backoff waits, event timestamps and the breakers this builder
     * creates. Default {@link TimeSource#system()}. Tests pass a {@code FakeTimeSource}.
     *
     * @param timeSource the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = Check.notNull(timeSource, "timeSource");
      return this;
    }

    /**
     * A parent stream that receives every event of this policy too (a registry's stream). Default:
     * none.
     *
     * @param parent the parent stream
     * @return this builder
     */
    public Builder parentEvents(EventStream parent) {
      this.parentEvents = Check.notNull(parent, "parent");
      return this;
    }

    /**
     * The gate that counts this policy's calls for drain. Default: none (the policy cannot be
     * drained on its own). Registries and the HTTP client set their own.
     *
     * @param gate the gate
     * @return this builder
     */
    public Builder shutdownGate(ShutdownGate gate) {
      this.gate = Check.notNull(gate, "gate");
      return this;
    }

    /**
     * A circuit breaker made from {@code config}, named after the policy and, when the builder's
     * time source is not the system's, reading that time source.
     *
     * @param config the resilience4j breaker config; its sliding window and half-open calls at most
     *     100,000
     * @return this builder
     * @throws IllegalArgumentException if the window or the half-open calls exceed 100,000
     * @throws IllegalStateException if a breaker was already set
     */
    public Builder circuitBreaker(CircuitBreakerConfig config) {
      requireUnset(breakerConfig, breakerInstance, "circuitBreaker");
      checkSlots(Check.notNull(config, "config"));
      this.breakerConfig = config;
      return this;
    }

    /**
     * An existing circuit breaker, shared with whatever else uses it: its state and metrics are one.
     *
     * @param breaker the breaker; its config's half-open calls at most 100,000 (resilience4j
     *     allocates that many slots at each transition to half-open)
     * @return this builder
     * @throws IllegalArgumentException if its config's window or half-open calls exceed 100,000
     * @throws IllegalStateException if a breaker was already set
     */
    public Builder circuitBreaker(CircuitBreaker breaker) {
      requireUnset(breakerConfig, breakerInstance, "circuitBreaker");
      checkSlots(Check.notNull(breaker, "breaker").getCircuitBreakerConfig());
      this.breakerInstance = breaker;
      return this;
    }

    /**
     * A rate limiter made from {@code config}, named after the policy.
     *
     * @param config the resilience4j limiter config
     * @return this builder
     * @throws IllegalStateException if a limiter was already set
     */
    public Builder rateLimiter(RateLimiterConfig config) {
      requireUnset(limiterConfig, limiterInstance != null ? limiterInstance : pacedOrRate(),
          "rateLimiter");
      this.limiterConfig = Check.notNull(config, "config");
      return this;
    }

    /**
     * An existing rate limiter, shared.
     *
     * @param limiter the limiter
     * @return this builder
     * @throws IllegalStateException if a limiter was already set
     */
    public Builder rateLimiter(RateLimiter limiter) {
      requireUnset(limiterConfig, limiterInstance != null ? limiterInstance : pacedOrRate(),
          "rateLimiter");
      this.limiterInstance = Check.notNull(limiter, "limiter");
      return this;
    }

    /**
     * A paced rate: {@code permitsPerSecond} calls a second spread evenly (one every {@code
     * 1s / permitsPerSecond}, as uber-go/ratelimit paces), so a burst is smoothed rather than let
     * through. A call waits up to {@code maxWait} for its slot (never past the total timeout),
     * then is rejected with {@link RejectionReason#RATE_LIMITED}. Built as a {@link PacedLimiter}
     * on the builder's time source, with no slack: one atomic word, nothing allocated per call,
     * and a refused call claims no slot. For slack or a limiter shared between policies, build a
     * {@code PacedLimiter} and pass it to {@link #rateLimiter(PacedLimiter)}.
     *
     * @param permitsPerSecond calls per second, 1 to 1,000,000
     * @param maxWait the longest a call waits for its slot, zero or more; above 36,500 days taken
     *     as 36,500 days
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     * @throws IllegalStateException if a limiter was already set
     */
    public Builder pacedRate(int permitsPerSecond, Duration maxWait) {
      requireUnset(limiterConfig, limiterInstance != null ? limiterInstance : pacedOrRate(),
          "rateLimiter");
      // Checked now with PacedLimiter's own messages; built in build() on the final time source.
      PacedLimiter.builder(permitsPerSecond).maxWait(maxWait);
      this.pacedPerSecond = permitsPerSecond;
      this.pacedMaxWait = maxWait;
      return this;
    }

    /**
     * An existing {@link PacedLimiter}, shared with whatever else uses it (other policies, code that
     * calls {@link PacedLimiter#take()} itself): one stream of evenly spaced slots. A call waits up
     * to the limiter's {@link PacedLimiter#maxWait()} for its slot, never past the total timeout,
     * then is rejected with {@link RejectionReason#RATE_LIMITED}.
     *
     * @param limiter the limiter
     * @return this builder
     * @throws IllegalStateException if a limiter was already set
     * @throws NullPointerException if {@code limiter} is null
     */
    public Builder rateLimiter(PacedLimiter limiter) {
      Check.notNull(limiter, "limiter");
      requireUnset(limiterConfig, limiterInstance != null ? limiterInstance : pacedOrRate(),
          "rateLimiter");
      this.pacedInstance = limiter;
      return this;
    }

    /**
     * An {@link ExternalLimiter}: permits decided outside the policy, such as riprap-bucket4j's
     * fleet-wide quota shared by every replica through a store. Asked once per attempt, in the
     * limiter's place of the order; sync calls use {@link ExternalLimiter#acquire}, async calls
     * {@link ExternalLimiter#acquireAsync}, and the policy's total timeout and a cancel end an
     * async call on time while the limiter's answer is pending. A refusal is a {@link
     * RejectedException} with {@link RejectionReason#RATE_LIMITED}. The limiter is told about each
     * policy built with it ({@link ExternalLimiter#attach}), so that its events reach the policy's
     * stream.
     *
     * @param limiter the limiter, shared with whatever else uses it
     * @return this builder
     * @throws IllegalStateException if a limiter was already set
     * @throws NullPointerException if {@code limiter} is null
     */
    public Builder rateLimiter(ExternalLimiter limiter) {
      Check.notNull(limiter, "limiter");
      requireUnset(limiterConfig, limiterInstance != null ? limiterInstance : pacedOrRate(),
          "rateLimiter");
      this.externalInstance = limiter;
      return this;
    }

    private Object pacedOrRate() {
      return pacedInstance != null ? pacedInstance
          : externalInstance != null ? externalInstance
          : pacedPerSecond > 0 ? pacedPerSecond + "/s paced" : null;
    }


    /**
     * A bulkhead made from {@code config}, named after the policy.
     *
     * @param config the resilience4j bulkhead config
     * @return this builder
     * @throws IllegalStateException if a bulkhead was already set
     */
    public Builder bulkhead(BulkheadConfig config) {
      requireUnset(bulkheadConfig, bulkheadInstance, "bulkhead");
      this.bulkheadConfig = Check.notNull(config, "config");
      return this;
    }

    /**
     * An existing bulkhead, shared.
     *
     * @param bulkhead the bulkhead
     * @return this builder
     * @throws IllegalStateException if a bulkhead was already set
     */
    public Builder bulkhead(Bulkhead bulkhead) {
      requireUnset(bulkheadConfig, bulkheadInstance, "bulkhead");
      this.bulkheadInstance = Check.notNull(bulkhead, "bulkhead");
      return this;
    }

    /**
     * A bulkhead of {@code maxConcurrentCalls} that rejects at once when full.
     *
     * @param maxConcurrentCalls the limit, at least 1; any {@code int} above is fine (resilience4j
     *     keeps it as the permits of one {@code Semaphore}, allocating nothing per permit)
     * @return this builder
     * @throws IllegalArgumentException if {@code maxConcurrentCalls} is below 1
     * @throws IllegalStateException if a bulkhead was already set
     */
    public Builder bulkhead(int maxConcurrentCalls) {
      requireUnset(bulkheadConfig, bulkheadInstance, "bulkhead");
      Check.atLeast(maxConcurrentCalls, 1, "maxConcurrentCalls");
      return bulkhead(
          BulkheadConfig.custom()
              .maxConcurrentCalls(maxConcurrentCalls)
              .maxWaitDuration(Duration.ZERO)
              .build());
    }

    /**
     * Retries as {@code config} says: its max attempts, exception and result predicates and its
     * interval function (which sees the failed outcome, so a delay can come from the response).
     * resilience4j's {@code Retry} instance and its events are not used; Riprap publishes its own.
     *
     * @param config the resilience4j retry config
     * @return this builder
     * @throws IllegalStateException if retry was already set
     */
    public Builder retry(RetryConfig config) {
      requireUnset(retryConfig, retrySettings, "retry");
      this.retryConfig = Check.notNull(config, "config");
      return this;
    }

    /**
     * Retries up to {@code maxAttempts} attempts in all on any exception, waiting an exponential
     * backoff with jitter between them: {@code initialDelay}, then doubling, each randomized by
     * ±50% (so retrying clients do not move in step), never above {@code maxDelay}. The short form
     * of {@link #retry(RetrySettings)}.
     *
     * @param maxAttempts attempts in all, including the first, at least 1 (any {@code int})
     * @param initialDelay the first wait, positive; above 36,500 days taken as 36,500 days
     * @param maxDelay the longest wait, at least {@code initialDelay}; above 36,500 days taken as
     *     36,500 days
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     * @throws IllegalStateException if retry was already set
     */
    public Builder retry(int maxAttempts, Duration initialDelay, Duration maxDelay) {
      requireUnset(retryConfig, retrySettings, "retry");
      Check.atLeast(maxAttempts, 1, "maxAttempts");
      Check.positive(initialDelay, "initialDelay");
      Check.notBelow(maxDelay, "maxDelay", initialDelay, "initialDelay");
      return retry(RetrySettings.builder(maxAttempts).backoff(initialDelay, maxDelay).build());
    }

    /**
     * Retries as Riprap's own {@link RetrySettings} say: attempts, which failures and results,
     * and an exponential backoff with jitter computed to the nanosecond without allocating.
     *
     * @param settings the retry settings
     * @return this builder
     * @throws IllegalStateException if retry was already set
     * @throws NullPointerException if {@code settings} is null
     */
    public Builder retry(RetrySettings settings) {
      requireUnset(retryConfig, retrySettings, "retry");
      this.retrySettings = Check.notNull(settings, "settings");
      return this;
    }

    /**
     * Whether a call rejected by an open breaker is retried. Default {@code false}: the breaker
     * would only reject again. Turn it on where a later attempt can reach a different breaker.
     *
     * @param retry {@code true} to retry such rejections
     * @return this builder
     */
    public Builder retryWhenCircuitOpen(boolean retry) {
      this.retryWhenCircuitOpen = retry;
      return this;
    }

    /**
     * Lets a call that the circuit breaker refuses wait for the breaker's next probe instead of
     * failing at once: it waits until the open period ends and, if another call is the probe,
     * until the probe's outcome is known (it looks every twentieth of the open wait, at least
     * every millisecond). If the breaker then lets calls through, the call goes ahead as the same
     * attempt (no retry is counted and the retry budget is not touched); if the probe failed and
     * the breaker opened again, or the wait would last longer than {@code maxWait} or past the
     * total timeout, the call is refused as before with {@link RejectionReason#CIRCUIT_OPEN}. An
     * attempt waits for one probe at most, so during a long outage callers fail after at most one
     * open period plus a probe, and the downstream still sees only the probes. (An attempt that
     * failed as the probe may be retried as usual, and that retry may wait for the next probe.)
     *
     * <p>This trades fast failure for availability when the downstream heals: without it, every
     * call made in the last open period after the recovery fails. Sync calls wait on the caller's
     * thread: an interrupt ends the call with {@link InterruptedException} and the thread's
     * interrupt flag stays set, and a drain of the policy's gate ends the wait. Async calls wait on
     * the timer without blocking, up to {@code maxWait}. The end of the open
     * period is timed from when this policy saw the breaker open, with the breaker's wait for a
     * first opening; a breaker shared with other policies or opened by hand may make the call wait
     * longer than needed, never past {@code maxWait}. Default: off.
     *
     * @param maxWait the longest a call waits for a probe, positive; typically the breaker's open
     *     wait plus the time a probe takes; above 36,500 days taken as 36,500 days
     * @return this builder
     * @throws IllegalArgumentException if {@code maxWait} is zero or negative
     * @throws IllegalStateException if the probe wait was already set
     * @throws NullPointerException if {@code maxWait} is null
     */
    public Builder awaitProbe(Duration maxWait) {
      requireUnset(probeWait, null, "awaitProbe");
      this.probeWait = Check.positive(maxWait, "Policy '" + name + "': awaitProbe");
      return this;
    }

    /**
     * A retry budget, possibly shared with other policies. Default: none.
     *
     * @param budget the budget
     * @return this builder
     * @throws IllegalStateException if a budget was already set
     */
    public Builder retryBudget(RetryBudget budget) {
      requireUnset(this.budget, null, "retryBudget");
      this.budget = Check.notNull(budget, "budget");
      return this;
    }

    /**
     * Bounds each attempt. A sync attempt runs on the calling thread and a timer interrupts it at
     * the deadline: no thread hop, one timer task per attempt, and the interrupt is cleared before
     * the call returns, so it never leaks into the caller's later code. Work that ignores interrupts
     * is not cut short by it (the attempt still counts as timed out when it returns); for such work
     * set a {@link #timeoutExecutor(Executor)}, which bounds the wait at the cost of a thread hop.
     * An async
     * attempt's stage is cancelled and the attempt fails from the timer. A timed-out attempt is a
     * failure for the breaker (recorded as a {@code TimeoutException}) and for the retry. Default:
     * none.
     *
     * @param timeout the attempt timeout, positive; above 36,500 days taken as 36,500 days
     * @return this builder
     * @throws IllegalArgumentException if not positive
     * @throws IllegalStateException if already set
     */
    public Builder attemptTimeout(Duration timeout) {
      requireUnset(attemptTimeout, null, "attemptTimeout");
      this.attemptTimeout = Check.positive(timeout, "attemptTimeout");
      return this;
    }

    /**
     * Bounds the whole call: every attempt and every backoff wait. An attempt in flight at the
     * deadline is cut as by the attempt timeout and the call ends with {@link
     * RejectionReason#TIMED_OUT}; a backoff that would end past the deadline is skipped and the call
     * ends with its last outcome. Default: none.
     *
     * @param timeout the total timeout, positive; above 36,500 days taken as 36,500 days
     * @return this builder
     * @throws IllegalArgumentException if not positive
     * @throws IllegalStateException if already set
     */
    public Builder totalTimeout(Duration timeout) {
      requireUnset(totalTimeout, null, "totalTimeout");
      this.totalTimeout = Check.positive(timeout, "totalTimeout");
      return this;
    }

    /**
     * Where async attempts after a backoff wait run (the first attempt runs on the caller's
     * thread). Default {@link ForkJoinPool#commonPool()}.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder asyncExecutor(Executor executor) {
      this.asyncExecutor = Check.notNull(executor, "executor");
      return this;
    }

    /**
     * Runs each sync attempt that has a timeout (attempt or total) on {@code executor} instead of the
     * calling thread, so the timeout bounds the caller's wait even when the work ignores interrupts
     * (a busy loop, blocking socket I/O). Cost: a thread hop per attempt (microseconds, against none
     * by default) and, on timeout, the abandoned work keeps its executor thread until it ends (it is
     * interrupted). Async calls are not affected. Default: none; attempts run on the caller's thread
     * and a timer interrupts them.
     *
     * @param executor runs sync attempts; give it enough threads for the concurrent calls
     * @return this builder
     */
    public Builder timeoutExecutor(Executor executor) {
      this.timeoutExecutor = Check.notNull(executor, "executor");
      return this;
    }

    /**
     * Receives every non-null result the work produced that the call does not return, so that a
     * result holding a resource (an open response body, a connection) can be released: a result
     * the retry retried, when the next attempt starts (after the retry config's own {@code
     * consumeResultBeforeRetryAttempt}; a wait that a drain or an interrupt cuts short ends the
     * call with that result instead, untouched), a sync result that arrived after its attempt
     * timed out, and an async result that arrived after its attempt or the call timed out or was
     * cancelled. Called on whichever thread produced or handles the result; a handler that throws
     * is logged and ignored. Default: none (such results are dropped).
     *
     * @param handler releases a discarded result
     * @return this builder
     */
    public Builder onDiscardedResult(Consumer<Object> handler) {
      this.discarded = Check.notNull(handler, "handler");
      return this;
    }

    /**
     * Builds the policy, checking the settings against each other.
     *
     * @return the policy
     * @throws IllegalStateException when {@link #awaitProbe} is set without a circuit breaker, the
     *     attempt timeout exceeds the total timeout, or a
     *     time-based breaker window is shorter than twice the attempt timeout (a window that short
     *     cannot see two timed-out attempts, so a hanging downstream never trips it); the message
     *     names both values
     */
    public Policy build() {
      Check.requireState(
          probeWait == null || breakerConfig != null || breakerInstance != null,
          "Policy '%s': awaitProbe (%s) needs a circuit breaker, and none is configured",
          name,
          probeWait);
      Check.requireState(
          attemptTimeout == null || totalTimeout == null
              || attemptTimeout.compareTo(totalTimeout) <= 0,
          "Policy '%s': attempt timeout (%s) must not exceed total timeout (%s)",
          name,
          attemptTimeout,
          totalTimeout);
      CircuitBreakerConfig cbConfig =
          breakerInstance != null ? breakerInstance.getCircuitBreakerConfig() : breakerConfig;
      if (cbConfig != null
          && attemptTimeout != null
          && cbConfig.getSlidingWindowType() == CircuitBreakerConfig.SlidingWindowType.TIME_BASED) {
        Duration window = Duration.ofSeconds(cbConfig.getSlidingWindowSize());
        // Halving the window rather than doubling the timeout: no overflow for any Duration.
        Check.requireState(
            window.dividedBy(2).compareTo(attemptTimeout) >= 0,
            "Policy '%s': the circuit breaker's time-based window (%s) must be at least 2x the"
                + " attempt timeout (%s)",
            name,
            window,
            attemptTimeout);
      }
      CircuitBreaker cb = breakerInstance;
      if (cb == null && breakerConfig != null) {
        CircuitBreakerConfig c = breakerConfig;
        if (timeSource != TimeSource.system()) {
          c = CircuitBreakerConfig.from(breakerConfig).clock(timeSource.clock()).build();
        }
        cb = CircuitBreaker.of(name, c);
      }
      RateLimiter rl = limiterInstance;
      if (rl == null && limiterConfig != null) {
        rl = RateLimiter.of(name, limiterConfig);
      }
      Bulkhead bh = bulkheadInstance;
      if (bh == null && bulkheadConfig != null) {
        bh = Bulkhead.of(name, bulkheadConfig);
      }
      Builder capped = withLongDurationsCapped();
      return new Policy(capped, capped.pipeline(cb, rl, bh));
    }

    /**
     * This builder's settings with every timeout and wait capped at {@link Check#LONGEST} (100
     * years: "forever" in practice, and two of them still add up inside a long of nanoseconds, as
     * resilience4j's own arithmetic needs); the checks above saw the values as given, so their
     * messages show what the caller wrote.
     */
    private Builder withLongDurationsCapped() {
      Builder b = copy();
      b.attemptTimeout = attemptTimeout == null ? null : Check.capped(attemptTimeout);
      b.totalTimeout = totalTimeout == null ? null : Check.capped(totalTimeout);
      b.probeWait = probeWait == null ? null : Check.capped(probeWait);
      b.pacedMaxWait = pacedMaxWait == null ? null : Check.capped(pacedMaxWait);
      return b;
    }

    private LimiterStep limiterStep(RateLimiter rl) {
      if (rl != null) {
        return new LimiterStep(rl);
      }
      if (externalInstance != null) {
        return new LimiterStep(externalInstance);
      }
      PacedLimiter paced = pacedInstance;
      if (paced == null && pacedPerSecond > 0) {
        paced = PacedLimiter.builder(pacedPerSecond).maxWait(pacedMaxWait).timeSource(timeSource)
            .build();
      }
      return paced == null ? null : new LimiterStep(paced);
    }

    private RetryRule retryRule() {
      if (retrySettings != null) {
        return new RetryRule(retrySettings, retryWhenCircuitOpen);
      }
      return retryConfig == null ? null : new RetryRule(retryConfig, retryWhenCircuitOpen);
    }

    /** The engine's view of these settings, with the strategy instances this build made. */
    private Pipeline pipeline(CircuitBreaker cb, RateLimiter rl, Bulkhead bh) {
      BreakerStep breakerStep =
          cb == null ? null : new BreakerStep(cb, timeSource, probeWait == null ? 0 : Pipeline.nanos(probeWait));
      Pipeline p = new Pipeline(
          name,
          Collections.unmodifiableMap(new LinkedHashMap<>(tags)),
          timeSource,
          new EventStream(parentEvents),
          gate,
          budget,
          breakerStep,
          limiterStep(rl),
          bh == null ? null : new BulkheadStep(bh),
          retryRule(),
          Pipeline.nanos(attemptTimeout),
          Pipeline.nanos(totalTimeout),
          asyncExecutor,
          timeoutExecutor,
          discarded,
          hooks);
      if (breakerStep != null) {
        breakerStep.attach(p);
      }
      if (externalInstance != null) {
        externalInstance.attach(p.name, p.tags, p.events, timeSource);
      }
      return p;
    }
  }
}
