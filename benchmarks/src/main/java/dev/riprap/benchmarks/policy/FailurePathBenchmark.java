package dev.riprap.benchmarks.policy;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.function.CheckedSupplier;
import dev.riprap.Policy;
import dev.riprap.ThrowingSupplier;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.decorators.Decorators;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The failure paths through the full four-strategy pipeline of {@link PipelineBenchmark}:
 *
 * <ul>
 *   <li>{@code breakerOpen*}: the breaker is open (for an hour) and every call is rejected; the
 *       operation is one rejected call, the exception it produced returned to JMH. The retry does
 *       not retry an open breaker in any library.
 *   <li>{@code retryOnce*}: the first attempt fails with a preallocated exception, the second
 *       succeeds, with zero wait between them; the operation is one call of two attempts.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FailurePathBenchmark {

  /** The pipelines, shared by the threads: one with its breaker open, one retrying at once. */
  @State(Scope.Benchmark)
  public static class Pipelines {
    CircuitBreaker r4jOpenBreaker;
    Supplier<Object> r4jOpen;
    FailsafeExecutor<Object> failsafeOpen;
    FailsafeExecutor<Object> failsafeRetrying;
    Policy riprapOpen;
    Policy riprapRetrying;
    final CheckedSupplier<Object> failsafeWork = Variants::work;
    final ThrowingSupplier<Object, RuntimeException> riprapWork = Variants::work;
    io.github.resilience4j.bulkhead.Bulkhead r4jBulkhead;
    io.github.resilience4j.ratelimiter.RateLimiter r4jLimiter;
    CircuitBreaker r4jClosedBreaker;
    io.github.resilience4j.retry.Retry r4jZeroWaitRetry;

    /** Builds the pipelines and opens their breakers. */
    @Setup(Level.Trial)
    public void setUp() {
      r4jOpenBreaker = Variants.r4jBreaker();
      r4jOpenBreaker.transitionToOpenState();
      r4jOpen =
          Decorators.ofSupplier(Variants::work)
              .withBulkhead(Variants.r4jBulkhead())
              .withRateLimiter(Variants.r4jLimiter())
              .withCircuitBreaker(r4jOpenBreaker)
              .withRetry(Variants.r4jRetry(Variants.RETRY_WAIT))
              .decorate();
      dev.failsafe.CircuitBreaker<Object> fsBreaker = Variants.failsafeBreaker();
      fsBreaker.open();
      failsafeOpen =
          Failsafe.with(
              Variants.failsafeRetry(Variants.RETRY_WAIT),
              fsBreaker,
              Variants.failsafeLimiter(),
              Variants.failsafeBulkhead());
      riprapOpen = Variants.riprapFull(Variants.RETRY_WAIT);
      riprapOpen.circuitBreaker().orElseThrow().transitionToOpenState();

      r4jBulkhead = Variants.r4jBulkhead();
      r4jLimiter = Variants.r4jLimiter();
      r4jClosedBreaker = Variants.r4jBreaker();
      r4jZeroWaitRetry = Variants.r4jRetry(Duration.ZERO);
      failsafeRetrying =
          Failsafe.with(
              Variants.failsafeRetry(Duration.ZERO),
              Variants.failsafeBreaker(),
              Variants.failsafeLimiter(),
              Variants.failsafeBulkhead());
      riprapRetrying = Variants.riprapFull(Duration.ZERO);
    }
  }

  /**
   * A downstream that fails every other attempt, one per thread, so each call is exactly one failed
   * attempt then one success. The resilience4j chain is decorated here once, over the shared
   * primitives.
   */
  @State(Scope.Thread)
  public static class Flaky {
    boolean failNext = true;
    Supplier<Object> r4jRetrying;
    CheckedSupplier<Object> failsafeWork;
    ThrowingSupplier<Object, RuntimeException> riprapWork;

    /**
     * Wires this thread's flaky downstream into the shared primitives.
     *
     * @param p the shared pipelines
     */
    @Setup(Level.Trial)
    public void setUp(Pipelines p) {
      r4jRetrying =
          Decorators.ofSupplier(this::attempt)
              .withBulkhead(p.r4jBulkhead)
              .withRateLimiter(p.r4jLimiter)
              .withCircuitBreaker(p.r4jClosedBreaker)
              .withRetry(p.r4jZeroWaitRetry)
              .decorate();
      failsafeWork = this::attempt;
      riprapWork = this::attempt;
    }

    Object attempt() {
      boolean fail = failNext;
      failNext = !fail;
      if (fail) {
        throw Variants.TRANSIENT;
      }
      return Variants.work();
    }
  }

  /**
   * Open breaker, resilience4j.
   *
   * @param p the pipelines
   * @return the rejection
   */
  @Benchmark
  public Object breakerOpenResilience4j(Pipelines p) {
    try {
      return p.r4jOpen.get();
    } catch (RuntimeException e) {
      return e;
    }
  }

  /**
   * Open breaker, Failsafe.
   *
   * @param p the pipelines
   * @return the rejection
   */
  @Benchmark
  public Object breakerOpenFailsafe(Pipelines p) {
    try {
      return p.failsafeOpen.get(p.failsafeWork);
    } catch (RuntimeException e) {
      return e;
    }
  }

  /**
   * Open breaker, Riprap.
   *
   * @param p the pipelines
   * @return the rejection
   */
  @Benchmark
  public Object breakerOpenRiprap(Pipelines p) {
    try {
      return p.riprapOpen.call(p.riprapWork);
    } catch (RuntimeException e) {
      return e;
    }
  }

  /**
   * One failed attempt then a success, zero wait, resilience4j.
   *
   * @param f this thread's flaky downstream
   * @return the result
   */
  @Benchmark
  public Object retryOnceResilience4j(Flaky f) {
    return f.r4jRetrying.get();
  }

  /**
   * One failed attempt then a success, zero wait, Failsafe.
   *
   * @param p the pipelines
   * @param f this thread's flaky downstream
   * @return the result
   */
  @Benchmark
  public Object retryOnceFailsafe(Pipelines p, Flaky f) {
    return p.failsafeRetrying.get(f.failsafeWork);
  }

  /**
   * One failed attempt then a success, zero wait, Riprap.
   *
   * @param p the pipelines
   * @param f this thread's flaky downstream
   * @return the result
   */
  @Benchmark
  public Object retryOnceRiprap(Pipelines p, Flaky f) {
    return p.riprapRetrying.call(f.riprapWork);
  }
}
