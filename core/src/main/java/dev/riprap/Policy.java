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
public final class Policy {
  private static final long NONE = Long.MAX_VALUE;
  /** The start of a call whose start was not read (no total timeout, nobody listening). */
  static final long UNTIMED = Long.MIN_VALUE;
  private static final CountDownLatch NEVER = new CountDownLatch(1);

  final String name;
  final Map<String, String> tags;
  final TimeSource time;
  final EventStream events;
  final ShutdownGate gate;
  final CircuitBreaker breaker;
  final RateLimiter limiter;
  final Bulkhead bulkhead;
  final RetryConfig retry;
  final int maxAttempts;
  final Predicate<Throwable> retryOnException;
  final Predicate<Object> retryOnResult;
  final IntervalBiFunction<Object> interval;
  final boolean retryWhenCircuitOpen;
  /** How long a call refused by the breaker may wait for its next probe; 0 when it does not. */
  final long probeWaitNanos;
  /** The breaker's wait in the open state, as its config gives it for the first opening. */
  private final long openWaitNanos;
  private static final long ONE_MILLI = TimeUnit.MILLISECONDS.toNanos(1);
  /** How often a call waiting for a probe's outcome looks at the breaker again. */
  private final long probeStepNanos;
  /** Counts the openings this policy saw; a waiting call gives up when it changes. */
  private volatile long openings;
  /** When this policy saw the breaker open last ({@link TimeSource#nanoTime()}). */
  private volatile long openedAt;
  final RetryBudget budget;
  final long attemptTimeoutNanos;
  final long totalTimeoutNanos;
  final Executor asyncExecutor;
  final Consumer<Object> discarded;
  final Executor timeoutExecutor;
  /**
   * The breaker state this policy last saw. Transitions are detected by comparing it with the
   * breaker's state around each attempt, not by a resilience4j event consumer: registering any
   * consumer makes resilience4j allocate an event on every call (resilience4j #1391).
   */
  private final AtomicReference<CircuitBreaker.State> observedState;
  /**
   * Whether the breaker looks at results (a record-result predicate or a transition on result).
   * When it does not, a returned value is recorded with {@code onSuccess}, which resilience4j does
   * without wrapping the result (its {@code onResult} allocates an {@code Either} per call).
   */
  final boolean breakerReadsResults;
  private final Builder source;

  private Policy(Builder b, CircuitBreaker breaker, RateLimiter limiter, Bulkhead bulkhead) {
    this.name = b.name;
    this.tags = Collections.unmodifiableMap(new LinkedHashMap<>(b.tags));
    this.time = b.timeSource;
    this.events = new EventStream(b.parentEvents);
    this.gate = b.gate;
    this.breaker = breaker;
    this.limiter = limiter;
    this.bulkhead = bulkhead;
    this.retry = b.retryConfig;
    this.maxAttempts = retry == null ? 1 : retry.getMaxAttempts();
    Predicate<Throwable> onException = retry == null ? null : retry.getExceptionPredicate();
    Predicate<Object> onResult = retry == null ? null : retry.getResultPredicate();
    // resilience4j leaves these null when not configured: every exception is retried, no result is.
    this.retryOnException = onException != null ? onException : t -> true;
    this.retryOnResult = onResult != null ? onResult : r -> false;
    this.interval = retry == null ? null : retry.getIntervalBiFunction();
    this.retryWhenCircuitOpen = b.retryWhenCircuitOpen;
    this.probeWaitNanos = b.probeWait == null ? 0 : b.probeWait.toNanos();
    Long openMillis = breaker == null ? null
        : breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1);
    this.openWaitNanos = openMillis == null ? 0 : TimeUnit.MILLISECONDS.toNanos(openMillis);
    this.probeStepNanos = Math.max(ONE_MILLI, openWaitNanos / 20);
    this.budget = b.budget;
    this.attemptTimeoutNanos = b.attemptTimeout == null ? NONE : b.attemptTimeout.toNanos();
    this.totalTimeoutNanos = b.totalTimeout == null ? NONE : b.totalTimeout.toNanos();
    this.asyncExecutor = b.asyncExecutor;
    this.discarded = b.discarded;
    this.timeoutExecutor = b.timeoutExecutor;
    this.source = b.copy();
    this.observedState =
        breaker == null ? null : new AtomicReference<>(breaker.getState());
    this.breakerReadsResults = breaker != null && readsResults(breaker.getCircuitBreakerConfig());
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
    return execSync(work, null);
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
    return execSync(work, Objects.requireNonNull(fallback, "fallback"));
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
    return execSync(work, null);
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
    return execSync(work, Objects.requireNonNull(fallback, "fallback"));
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
    return new AsyncExecution<T>(this, ctx -> work.get(), null).start();
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
    return new AsyncExecution<T>(this, ctx -> work.get(), Objects.requireNonNull(fallback))
        .start();
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
    return new AsyncExecution<T>(this, Objects.requireNonNull(work, "work"), null).start();
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
    return new AsyncExecution<T>(
            this, Objects.requireNonNull(work, "work"), Objects.requireNonNull(fallback))
        .start();
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
    return name;
  }

  /**
   * The policy's tags, copied into every event.
   *
   * @return an unmodifiable map
   */
  public Map<String, String> tags() {
    return tags;
  }

  /**
   * The policy's event stream: subscribe to see its breaker transitions, retries, rejections,
   * timeouts, fallbacks and completed calls.
   *
   * @return the stream
   */
  public EventStream events() {
    return events;
  }

  /**
   * The circuit breaker, if the policy has one.
   *
   * @return the breaker
   */
  public Optional<CircuitBreaker> circuitBreaker() {
    return Optional.ofNullable(breaker);
  }

  /**
   * The rate limiter, if the policy has one.
   *
   * @return the limiter
   */
  public Optional<RateLimiter> rateLimiter() {
    return Optional.ofNullable(limiter);
  }

  /**
   * The bulkhead, if the policy has one.
   *
   * @return the bulkhead
   */
  public Optional<Bulkhead> bulkhead() {
    return Optional.ofNullable(bulkhead);
  }

  /**
   * The retry settings, if the policy retries.
   *
   * @return the resilience4j retry config
   */
  public Optional<RetryConfig> retryConfig() {
    return Optional.ofNullable(retry);
  }

  /**
   * The retry budget, if the policy has one.
   *
   * @return the budget
   */
  public Optional<RetryBudget> retryBudget() {
    return Optional.ofNullable(budget);
  }

  /**
   * The attempt timeout, if set.
   *
   * @return the attempt timeout
   */
  public Optional<Duration> attemptTimeout() {
    return attemptTimeoutNanos == NONE
        ? Optional.empty()
        : Optional.of(Duration.ofNanos(attemptTimeoutNanos));
  }

  /**
   * The total timeout, if set.
   *
   * @return the total timeout
   */
  public Optional<Duration> totalTimeout() {
    return totalTimeoutNanos == NONE
        ? Optional.empty()
        : Optional.of(Duration.ofNanos(totalTimeoutNanos));
  }

  /**
   * How long a call the open breaker refuses may wait for its next probe ({@link
   * Builder#awaitProbe}), if set.
   *
   * @return the longest wait
   */
  public Optional<Duration> awaitProbe() {
    return probeWaitNanos == 0 ? Optional.empty() : Optional.of(Duration.ofNanos(probeWaitNanos));
  }

  /**
   * The shutdown gate that counts this policy's calls, if it has one.
   *
   * @return the gate
   */
  public Optional<ShutdownGate> shutdownGate() {
    return Optional.ofNullable(gate);
  }

  /**
   * The time source the policy measures time with.
   *
   * @return the time source
   */
  public TimeSource timeSource() {
    return time;
  }

  @Override
  public String toString() {
    return "Policy{" + name + (tags.isEmpty() ? "" : ", tags=" + tags) + '}';
  }

  // ---------------------------------------------------------------- the sync loop

  // The hot path is kept in small methods with the rare branches (rejections, waits, events) moved
  // out of line: the JIT compiler inlines a hot method only up to 325 bytecodes, and a call it does
  // not inline costs more than a whole strategy (see docs/benchmarks/analysis.md).

  @SuppressWarnings("unchecked")
  private <T, E extends Throwable> T execSync(Object work, Fallback<T> fallback) throws E {
    Objects.requireNonNull(work, "work");
    // A clock read costs about as much as a whole strategy: read the start only when a total
    // timeout needs it or someone listens for the call's duration.
    long start =
        totalTimeoutNanos != NONE || events.hasListeners() ? time.nanoTime() : UNTIMED;
    if (gate != null && !gate.tryEnter()) {
      return (T) finishSync(null, rejection(RejectionReason.SHUTTING_DOWN, null, null), fallback,
          0, start);
    }
    try {
      long deadline = totalTimeoutNanos == NONE ? NONE : start + totalTimeoutNanos;
      if (budget != null) {
        budget.recordCall();
      }
      SyncContext ctx = work instanceof AttemptFunction ? new SyncContext(this, deadline) : null;
      int attempt = 0;
      Object result;
      Throwable failure;
      do {
        attempt++;
        result = null;
        failure = null;
        try {
          result = attemptSync(work, ctx, attempt, deadline);
        } catch (Throwable t) {
          failure = t;
        }
      } while (retry != null && (failure != null || retryOnResult.test(result))
          && waitToRetry(attempt, result, failure, deadline));
      return (T) finishSync(result, failure, fallback, attempt, start);
    } finally {
      if (gate != null) {
        gate.exit();
      }
    }
  }

  /**
   * After a retryable-looking outcome: decides on a retry and waits for it. Returns whether to make
   * another attempt.
   */
  private boolean waitToRetry(int attempt, Object result, Throwable failure, long deadline) {
    boolean interrupted =
        failure instanceof InterruptedException || Thread.currentThread().isInterrupted();
    long delay = retryDelay(attempt, result, failure, deadline, interrupted);
    if (delay < 0) {
      return false;
    }
    try {
      boolean cut = time.await(gate == null ? NEVER : gate.drainSignal(), delay);
      if (cut) {
        gate.recordCutShort();
        abandoned(attempt, RetryAbandoned.Reason.DRAINING, result, failure);
        return false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abandoned(attempt, RetryAbandoned.Reason.INTERRUPTED, result, failure);
      return false;
    }
    return true;
  }

  @SuppressWarnings("unchecked")
  private <E extends Throwable> Object finishSync(
      Object result, Throwable failure, Fallback<?> fallback, int attempts, long start) throws E {
    if (failure == null) {
      completed(CallCompleted.Outcome.SUCCESS, null, attempts, start);
      return result;
    }
    if (fallback != null && fallback.handles(failure)) {
      Object value;
      try {
        value = fallback.apply(failure);
      } catch (RuntimeException | Error e) {
        completed(CallCompleted.Outcome.FAILURE, null, attempts, start);
        throw e;
      }
      if (events.hasListeners()) {
        events.publish(new FallbackApplied(name, tags, time.instant(), failure));
      }
      completed(CallCompleted.Outcome.FALLBACK, null, attempts, start);
      return value;
    }
    completedWithFailure(failure, attempts, start);
    throw (E) failure;
  }

  /** One attempt: breaker, limiter, bulkhead, timeout, call. Returns the result or throws. */
  private Object attemptSync(Object work, SyncContext ctx, int attempt, long deadline)
      throws Throwable {
    if (breaker != null) {
      boolean permitted = breaker.tryAcquirePermission();
      observeBreaker();
      if (!permitted && !(probeWaitNanos > 0 && awaitProbe(deadline))) {
        throw circuitOpen();
      }
    }
    if (limiter != null) {
      long wait = limiter.reservePermission();
      if (wait != 0) {
        awaitLimiter(wait);
      }
    }
    if (bulkhead != null && !bulkhead.tryAcquirePermission()) {
      throw bulkheadFull();
    }
    // The attempt's start matters to the breaker (slow calls) and the timeouts only.
    boolean timed = breaker != null || attemptTimeoutNanos != NONE || deadline != NONE;
    long t0 = timed ? time.nanoTime() : 0L;
    long timeout = Math.min(attemptTimeoutNanos, deadline == NONE ? NONE : deadline - t0);
    if (timeout <= 0) {
      throw noTimeLeft(attempt);
    }
    Object result;
    try {
      if (ctx != null) {
        ctx.attempt = attempt;
        ctx.attemptDeadline = timeout == NONE ? NONE : t0 + timeout;
      }
      result = timeout == NONE ? invoke(work, ctx) : invokeWithTimeout(work, ctx, timeout, t0,
          deadline, attempt);
    } catch (Throwable t) {
      throw attemptFailed(t, t0);
    }
    if (bulkhead != null) {
      bulkhead.onComplete();
    }
    if (breaker != null) {
      recordResult(time.nanoTime() - t0, result);
      observeBreaker();
    }
    return result;
  }

  /**
   * The breaker refused this attempt: waits, within {@link #probeWaitNanos} and the deadline, until
   * the open period ends and, if another call is the probe, until the probe's outcome is known.
   * Returns whether the breaker then let this attempt through (it holds the permission).
   */
  private boolean awaitProbe(long deadline) throws InterruptedException {
    long opening = openings;
    long until = time.nanoTime() + probeWaitNanos;
    long wait;
    while ((wait = probeWait(opening, until, deadline)) >= 0) {
      try {
        if (wait > 0 && time.await(gate == null ? NEVER : gate.drainSignal(), wait)) {
          // A drain began: no more waiting.
          return false;
        }
      } catch (InterruptedException e) {
        // The call ends with the interrupt, and the caller's thread keeps its flag.
        Thread.currentThread().interrupt();
        throw e;
      }
      boolean permitted = breaker.tryAcquirePermission();
      observeBreaker();
      if (permitted) {
        return true;
      }
    }
    return false;
  }

  /**
   * How long a call refused by the breaker waits before asking it again, or -1 to give up: until
   * the end of the open period this policy saw begin, then in short steps while a probe is out. It
   * gives up when the breaker opened again since the call began waiting ({@code opening}: the
   * probe failed), when the wait would pass {@code until} or the deadline, and for states that no
   * probe ends (forced open, disabled).
   */
  long probeWait(long opening, long until, long deadline) {
    long now = time.nanoTime();
    long limit = deadline == NONE ? until : Math.min(until, deadline);
    CircuitBreaker.State state = breaker.getState();
    long wait;
    if (state == CircuitBreaker.State.OPEN) {
      if (openings != opening) {
        return -1;
      }
      // resilience4j lets the first call through once its clock is past the open period's end.
      wait = Math.max(probeStepNanos, openedAt + openWaitNanos + ONE_MILLI - now);
    } else if (state == CircuitBreaker.State.HALF_OPEN) {
      wait = probeStepNanos;
    } else if (state == CircuitBreaker.State.CLOSED) {
      return 0;
    } else {
      return -1;
    }
    if (now + wait > limit) {
      // The breaker cannot let the call through before its limit: no point waiting for it.
      return state == CircuitBreaker.State.HALF_OPEN && limit > now ? limit - now : -1;
    }
    return wait;
  }

  long openings() {
    return openings;
  }

  RejectedException circuitOpen() {
    return rejection(
        RejectionReason.CIRCUIT_OPEN,
        null,
        CallNotPermittedException.createCallNotPermittedException(breaker));
  }

  /** The limiter asked for a wait ({@code wait > 0}) or refused ({@code wait < 0}). */
  private void awaitLimiter(long wait) throws InterruptedException {
    if (wait < 0) {
      releaseBreaker();
      throw rejection(
          RejectionReason.RATE_LIMITED,
          null,
          RequestNotPermitted.createRequestNotPermitted(limiter));
    }
    try {
      time.await(NEVER, wait);
    } catch (InterruptedException e) {
      releaseBreaker();
      throw e;
    }
  }

  private RejectedException bulkheadFull() {
    releaseBreaker();
    return rejection(
        RejectionReason.BULKHEAD_FULL,
        null,
        BulkheadFullException.createBulkheadFullException(bulkhead));
  }

  /** The limiter's wait used up the total budget: the attempt never ran, nothing is recorded. */
  private RejectedException noTimeLeft(int attempt) {
    if (bulkhead != null) {
      bulkhead.onComplete();
    }
    releaseBreaker();
    return timedOut(attempt, 0, true);
  }

  /** Releases the attempt's permits after it threw, records the failure, returns it. */
  private Throwable attemptFailed(Throwable t, long t0) {
    if (bulkhead != null) {
      bulkhead.onComplete();
    }
    if (breaker != null) {
      Throwable recorded =
          t instanceof RejectedException && ((RejectedException) t).reason()
              == RejectionReason.TIMED_OUT ? t.getCause() : t;
      breaker.onError(time.nanoTime() - t0, TimeUnit.NANOSECONDS, recorded);
      observeBreaker();
    }
    return t;
  }

  @SuppressWarnings("unchecked")
  private static Object invoke(Object work, SyncContext ctx) throws Throwable {
    if (ctx != null) {
      return ((AttemptFunction<Object, Throwable>) work).apply(ctx);
    }
    return ((ThrowingSupplier<Object, Throwable>) work).get();
  }

  /**
   * Runs the work on the calling thread and interrupts it from the timer at the deadline: no thread
   * hop, one timer task per attempt. The interrupt never leaks into the caller's later code: when
   * the timer fired, the flag it set is cleared before returning.
   */
  private Object invokeWithTimeout(
      Object work, SyncContext ctx, long timeout, long t0, long deadline, int attempt)
      throws Throwable {
    if (timeoutExecutor != null) {
      return invokeOffloaded(work, ctx, timeout, t0, deadline, attempt);
    }
    Interrupter interrupter = new Interrupter(Thread.currentThread());
    Cancellable timer = time.schedule(interrupter, timeout);
    Object result;
    Throwable failure = null;
    try {
      result = invoke(work, ctx);
    } catch (Throwable t) {
      result = null;
      failure = t;
    }
    timer.cancel();
    if (interrupter.finish()) {
      if (failure == null) {
        discard(result);
      }
      boolean total = deadline != NONE && t0 + timeout >= deadline;
      RejectedException e = timedOut(attempt, timeout, total);
      if (failure != null && !(failure instanceof InterruptedException)) {
        e.addSuppressed(failure);
      }
      throw e;
    }
    if (failure != null) {
      throw failure;
    }
    return result;
  }

  /**
   * Runs the attempt on the timeout executor and waits for it at most {@code timeout}: the caller's
   * wait is bounded even when the work ignores interrupts. On timeout the work is interrupted
   * ({@code cancel(true)}) and left to end on its own thread; the caller returns at once.
   */
  private Object invokeOffloaded(
      Object work, SyncContext ctx, long timeout, long t0, long deadline, int attempt)
      throws Throwable {
    java.util.concurrent.FutureTask<Object> task =
        new java.util.concurrent.FutureTask<>(() -> {
          try {
            return invoke(work, ctx);
          } catch (Exception | Error e) {
            throw e;
          } catch (Throwable t) {
            throw new java.util.concurrent.ExecutionException(t);
          }
        });
    timeoutExecutor.execute(task);
    try {
      return task.get(timeout, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof java.util.concurrent.ExecutionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      throw cause;
    } catch (TimeoutException e) {
      task.cancel(true);
      boolean total = deadline != NONE && t0 + timeout >= deadline;
      throw timedOut(attempt, timeout, total);
    } catch (InterruptedException e) {
      // The caller was interrupted: stop the work too, and keep the caller's flag.
      task.cancel(true);
      throw e;
    }
  }

  RejectedException timedOut(int attempt, long timeoutNanos, boolean total) {
    String what = (total ? "total timeout " : "attempt timeout ")
        + Durations.format(Duration.ofNanos(timeoutNanos));
    if (events.hasListeners()) {
      events.publish(
          new AttemptTimedOut(
              name, tags, time.instant(), attempt, Duration.ofNanos(timeoutNanos), total));
    }
    return new TimedOut(name, what, total);
  }

  /** A timeout rejection that remembers whether the total timeout (which ends the call) fired. */
  static final class TimedOut extends RejectedException {
    private static final long serialVersionUID = 1L;
    final boolean total;

    TimedOut(String policy, String what, boolean total) {
      super(policy, RejectionReason.TIMED_OUT, what,
          new TimeoutException(what + " expired"));
      this.total = total;
    }
  }

  /** Interrupts the attempt's thread once at the deadline, and lets the thread undo it. */
  private static final class Interrupter extends AtomicInteger implements Runnable {
    private static final long serialVersionUID = 1L;
    private static final int RUNNING = 0;
    private static final int FIRING = 1;
    private static final int FIRED = 2;
    private static final int DONE = 3;
    private final transient Thread thread;

    Interrupter(Thread thread) {
      this.thread = thread;
    }

    @Override
    public void run() {
      if (compareAndSet(RUNNING, FIRING)) {
        thread.interrupt();
        set(FIRED);
      }
    }

    /** Called by the attempt's thread when the work returned; true if the timer fired. */
    boolean finish() {
      if (compareAndSet(RUNNING, DONE)) {
        return false;
      }
      while (get() != FIRED) {
        Thread.onSpinWait();
      }
      Thread.interrupted();
      return true;
    }
  }

  private static final class SyncContext implements AttemptContext {
    private final Policy policy;
    private final long deadline;
    int attempt;
    long attemptDeadline;

    SyncContext(Policy policy, long deadline) {
      this.policy = policy;
      this.deadline = deadline;
    }

    @Override
    public int attempt() {
      return attempt;
    }

    @Override
    public long remainingNanos() {
      return attemptDeadline == NONE
          ? NONE
          : Math.max(0, attemptDeadline - policy.time.nanoTime());
    }

    @Override
    public boolean retryPossible() {
      return policy.retryPossible(attempt, deadline);
    }
  }

  // ---------------------------------------------------------------- shared decisions

  boolean retryPossible(int attempt, long deadline) {
    return retry != null
        && attempt < maxAttempts
        && (gate == null || !gate.isDraining())
        && (deadline == NONE || time.nanoTime() < deadline)
        && (budget == null || budget.hasRetryToken());
  }

  private static final CircuitBreakerConfig BREAKER_DEFAULTS = CircuitBreakerConfig.ofDefaults();

  private static boolean readsResults(CircuitBreakerConfig c) {
    return c.getRecordResultPredicate() != BREAKER_DEFAULTS.getRecordResultPredicate()
        || c.getTransitionOnResult() != BREAKER_DEFAULTS.getTransitionOnResult();
  }

  /** Records a returned value with the breaker: as a result only if the breaker reads results. */
  void recordResult(long nanos, Object result) {
    if (breakerReadsResults) {
      breaker.onResult(nanos, TimeUnit.NANOSECONDS, result);
    } else {
      breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Publishes a {@link CircuitStateChanged} if the breaker's state differs from the one this
   * policy saw last. Called after every permission check and every recorded outcome, which is
   * where resilience4j makes its transitions (a transition made elsewhere, by another policy
   * sharing the breaker or by hand, is reported at this policy's next attempt). One volatile read
   * when nothing changed; nothing allocated.
   */
  void observeBreaker() {
    CircuitBreaker.State now = breaker.getState();
    CircuitBreaker.State seen = observedState.get();
    if (now != seen) {
      breakerChanged(seen, now);
    }
  }

  private void breakerChanged(CircuitBreaker.State seen, CircuitBreaker.State now) {
    if (!observedState.compareAndSet(seen, now)) {
      return;
    }
    if (now == CircuitBreaker.State.OPEN) {
      openedAt = time.nanoTime();
      openings++;
    }
    if (events.hasListeners()) {
      events.publish(
          new CircuitStateChanged(name, tags, time.instant(), breaker.getName(), seen, now));
    }
  }

  /** Hands a result the call will not return to the discarded-result handler, if any. */
  void discard(Object result) {
    if (discarded != null && result != null) {
      try {
        discarded.accept(result);
      } catch (RuntimeException e) {
        System.getLogger(Policy.class.getName())
            .log(System.Logger.Level.WARNING, "discarded-result handler of " + this + " threw", e);
      }
    }
  }

  void releaseBreaker() {
    if (breaker != null) {
      breaker.releasePermission();
    }
  }

  RejectedException rejection(RejectionReason reason, String detail, Throwable cause) {
    if (events.hasListeners()) {
      events.publish(new CallRejected(name, tags, time.instant(), reason));
    }
    return new RejectedException(name, reason, detail, cause);
  }

  /**
   * The retry decision, one ladder for sync and async. Returns the wait in nanoseconds before the
   * next attempt, or -1 to end the call with this attempt's outcome.
   */
  long retryDelay(int attempt, Object result, Throwable failure, long deadline, boolean interrupted) {
    // No retry strategy: every outcome is final.
    if (retry == null) {
      return -1;
    }
    if (failure != null) {
      // An interrupt means "stop now": never retry through it.
      if (interrupted) {
        return -1;
      }
      if (failure instanceof RejectedException) {
        RejectedException r = (RejectedException) failure;
        // Shutting down and the total timeout end the call; an open breaker would only reject
        // again, so it is not retried unless asked for.
        if (r.reason() == RejectionReason.SHUTTING_DOWN
            || (failure instanceof TimedOut && ((TimedOut) failure).total)
            || (r.reason() == RejectionReason.CIRCUIT_OPEN && !retryWhenCircuitOpen)) {
          return -1;
        }
      }
      // An Error (out of memory, a failed assertion) is a bug or a dying JVM, not a flaky call.
      if (failure instanceof Error) {
        return -1;
      }
      // The retry config decides which exceptions are worth another attempt.
      if (!retryOnException.test(failure)) {
        return -1;
      }
    } else if (!retryOnResult.test(result)) {
      // A result the retry does not flag is a success.
      return -1;
    }
    // The outcome is retryable; from here on, a limit that stops the retry is reported.
    if (attempt >= maxAttempts) {
      abandoned(attempt, RetryAbandoned.Reason.MAX_ATTEMPTS, result, failure);
      return -1;
    }
    if (gate != null && gate.isDraining()) {
      gate.recordCutShort();
      abandoned(attempt, RetryAbandoned.Reason.DRAINING, result, failure);
      return -1;
    }
    Either<Throwable, Object> outcome = failure != null ? Either.left(failure) : Either.right(result);
    Long millis = interval.apply(attempt, outcome);
    long delay = millis == null ? 0 : TimeUnit.MILLISECONDS.toNanos(Math.max(0, millis));
    // A wait that would end past the total timeout is not worth starting.
    if (deadline != NONE && time.nanoTime() + delay >= deadline) {
      abandoned(attempt, RetryAbandoned.Reason.DEADLINE, result, failure);
      return -1;
    }
    // The budget keeps retries from multiplying the load on a failing downstream.
    if (budget != null && !budget.tryAcquireRetry()) {
      abandoned(attempt, RetryAbandoned.Reason.BUDGET_EXHAUSTED, result, failure);
      return -1;
    }
    if (failure == null) {
      // The retried result will not be returned: let its owner release it.
      java.util.function.BiConsumer<Integer, Object> consume =
          retry.getConsumeResultBeforeRetryAttempt();
      if (consume != null) {
        consume.accept(attempt, result);
      }
      discard(result);
    }
    if (events.hasListeners()) {
      events.publish(
          new RetryScheduled(
              name, tags, time.instant(), attempt, Duration.ofNanos(delay), failure,
              failure == null ? result : null));
    }
    return delay;
  }

  void abandoned(int attempt, RetryAbandoned.Reason reason, Object result, Throwable failure) {
    if (events.hasListeners()) {
      events.publish(
          new RetryAbandoned(name, tags, time.instant(), attempt, reason, failure,
              failure == null ? result : null));
    }
  }

  void completed(CallCompleted.Outcome outcome, RejectionReason reason, int attempts, long start) {
    if (events.hasListeners()) {
      events.publish(
          new CallCompleted(
              name, tags, time.instant(), outcome, reason, attempts,
              // A listener that subscribed during an untimed call gets a zero duration.
              start == UNTIMED ? Duration.ZERO : Duration.ofNanos(time.nanoTime() - start)));
    }
  }

  void completedWithFailure(Throwable failure, int attempts, long start) {
    if (!events.hasListeners()) {
      return;
    }
    if (failure instanceof RejectedException) {
      RejectionReason reason = ((RejectedException) failure).reason();
      completed(
          reason == RejectionReason.TIMED_OUT
              ? CallCompleted.Outcome.TIMED_OUT
              : CallCompleted.Outcome.REJECTED,
          reason, attempts, start);
    } else {
      completed(CallCompleted.Outcome.FAILURE, null, attempts, start);
    }
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
    private String name;
    private final Map<String, String> tags = new LinkedHashMap<>();
    private TimeSource timeSource = TimeSource.system();
    private EventStream parentEvents;
    private ShutdownGate gate;
    private CircuitBreakerConfig breakerConfig;
    private CircuitBreaker breakerInstance;
    private RateLimiterConfig limiterConfig;
    private RateLimiter limiterInstance;
    private BulkheadConfig bulkheadConfig;
    private Bulkhead bulkheadInstance;
    private RetryConfig retryConfig;
    private boolean retryWhenCircuitOpen;
    private Duration probeWait;
    private RetryBudget budget;
    private Duration attemptTimeout;
    private Duration totalTimeout;
    private Executor asyncExecutor = ForkJoinPool.commonPool();
    private Consumer<Object> discarded;
    private Executor timeoutExecutor;

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
      b.bulkheadConfig = bulkheadConfig;
      b.bulkheadInstance = bulkheadInstance;
      b.retryConfig = retryConfig;
      b.retryWhenCircuitOpen = retryWhenCircuitOpen;
      b.probeWait = probeWait;
      b.budget = budget;
      b.attemptTimeout = attemptTimeout;
      b.totalTimeout = totalTimeout;
      b.asyncExecutor = asyncExecutor;
      b.discarded = discarded;
      b.timeoutExecutor = timeoutExecutor;
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
      requireUnset(limiterConfig, limiterInstance, "rateLimiter");
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
      requireUnset(limiterConfig, limiterInstance, "rateLimiter");
      this.limiterInstance = Check.notNull(limiter, "limiter");
      return this;
    }

    /**
     * A paced rate: {@code permitsPerSecond} calls a second spread evenly (one every {@code
     * 1s / permitsPerSecond}, as uber-go/ratelimit paces), so a burst is smoothed rather than let
     * through. A call waits up to {@code maxWait} for its slot, then is rejected with {@link
     * RejectionReason#RATE_LIMITED}. Built as a resilience4j limiter of one permit per period.
     *
     * @param permitsPerSecond calls per second, 1 to 1,000,000
     * @param maxWait the longest a call waits for its slot, zero or more; above 36,500 days taken
     *     as 36,500 days
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     * @throws IllegalStateException if a limiter was already set
     */
    public Builder pacedRate(int permitsPerSecond, Duration maxWait) {
      requireUnset(limiterConfig, limiterInstance, "rateLimiter");
      Check.notNull(maxWait, "maxWait");
      return rateLimiter(PacedRate.config(permitsPerSecond, Check.capped(maxWait)));
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
      requireUnset(retryConfig, null, "retry");
      this.retryConfig = Check.notNull(config, "config");
      return this;
    }

    /**
     * Retries up to {@code maxAttempts} attempts in all on any exception, waiting an exponential
     * backoff with jitter between them: {@code initialDelay}, then doubling, each randomized by
     * ±50% (so retrying clients do not move in step), never above {@code maxDelay}.
     *
     * @param maxAttempts attempts in all, including the first, at least 1 (any {@code int})
     * @param initialDelay the first wait, at least 1 ms (resilience4j counts waits in whole
     *     milliseconds); above 36,500 days taken as 36,500 days
     * @param maxDelay the longest wait, at least {@code initialDelay}; above 36,500 days taken as
     *     36,500 days
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     * @throws IllegalStateException if retry was already set
     */
    public Builder retry(int maxAttempts, Duration initialDelay, Duration maxDelay) {
      requireUnset(retryConfig, null, "retry");
      Check.atLeast(maxAttempts, 1, "maxAttempts");
      Check.atLeastOneMilli(initialDelay, "initialDelay");
      Check.notBelow(maxDelay, "maxDelay", initialDelay, "initialDelay");
      return retry(
          RetryConfig.custom()
              .maxAttempts(maxAttempts)
              .intervalFunction(
                  IntervalFunction.ofExponentialRandomBackoff(
                      Check.capped(initialDelay), 2.0, 0.5, Check.capped(maxDelay)))
              .build());
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
     * the retry retried (after the retry config's own {@code consumeResultBeforeRetryAttempt}), a
     * sync result that arrived after its attempt timed out, and an async result that arrived after
     * its attempt or the call timed out or was cancelled. Called on whichever thread produced the
     * result; a handler that throws is logged and ignored. Default: none (such results are
     * dropped).
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
      return new Policy(withLongDurationsCapped(), cb, rl, bh);
    }

    /**
     * This builder's settings with every timeout and wait capped at {@link Check#LONGEST}, so the
     * policy's nanosecond arithmetic cannot overflow; the checks above saw the values as given, so
     * their messages show what the caller wrote.
     */
    private Builder withLongDurationsCapped() {
      Builder b = copy();
      b.attemptTimeout = attemptTimeout == null ? null : Check.capped(attemptTimeout);
      b.totalTimeout = totalTimeout == null ? null : Check.capped(totalTimeout);
      b.probeWait = probeWait == null ? null : Check.capped(probeWait);
      return b;
    }
  }
}
