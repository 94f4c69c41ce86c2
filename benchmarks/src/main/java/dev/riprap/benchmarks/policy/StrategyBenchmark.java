package dev.riprap.benchmarks.policy;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.function.CheckedSupplier;
import dev.riprap.PacedLimiter;
import dev.riprap.Policy;
import dev.riprap.ThrowingSupplier;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Each strategy alone, success path, in each library: where a pipeline's cost comes from. The
 * settings are those of {@link Variants}; the raw baseline is {@link PipelineBenchmark#raw()}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StrategyBenchmark {
  private Supplier<Object> r4jRetry;
  private Supplier<Object> r4jBreaker;
  private Supplier<Object> r4jLimiter;
  private Supplier<Object> r4jBulkhead;
  private FailsafeExecutor<Object> failsafeRetry;
  private FailsafeExecutor<Object> failsafeBreaker;
  private FailsafeExecutor<Object> failsafeLimiter;
  private FailsafeExecutor<Object> failsafeBulkhead;
  private final CheckedSupplier<Object> failsafeWork = Variants::work;
  private Policy riprapRetry;
  private Policy riprapBreaker;
  private Policy riprapLimiter;
  private Policy riprapBulkhead;
  private final ThrowingSupplier<Object, RuntimeException> riprapWork = Variants::work;
  private RateLimiter r4jPaced;
  private RateLimiter r4jPacedReserving;
  private PacedLimiter riprapPaced;
  private PacedLimiter riprapPacedReserving;
  private final long pacedReserveWaitNanos = Variants.PACED_RESERVE_WAIT.toNanos();

  /** Builds one single-strategy variant per library and strategy. */
  @Setup
  public void setUp() {
    Duration wait = Variants.RETRY_WAIT;
    r4jRetry = Retry.decorateSupplier(Variants.r4jRetry(wait), Variants::work);
    r4jBreaker = CircuitBreaker.decorateSupplier(Variants.r4jBreaker(), Variants::work);
    r4jLimiter = RateLimiter.decorateSupplier(Variants.r4jLimiter(), Variants::work);
    r4jBulkhead = Bulkhead.decorateSupplier(Variants.r4jBulkhead(), Variants::work);
    failsafeRetry = Failsafe.with(Variants.failsafeRetry(wait));
    failsafeBreaker = Failsafe.with(Variants.failsafeBreaker());
    failsafeLimiter = Failsafe.with(Variants.failsafeLimiter());
    failsafeBulkhead = Failsafe.with(Variants.failsafeBulkhead());
    riprapRetry = Policy.builder("retry").retry(Variants.r4jRetryConfig(wait)).build();
    riprapBreaker =
        Policy.builder("breaker").circuitBreaker(Variants.r4jBreakerConfig()).build();
    riprapLimiter = Policy.builder("limiter").rateLimiter(Variants.r4jLimiterConfig()).build();
    riprapBulkhead = Policy.builder("bulkhead").bulkhead(Variants.r4jBulkhead().getBulkheadConfig()).build();
    r4jPaced = Variants.r4jPaced(Duration.ZERO);
    r4jPacedReserving = Variants.r4jPaced(Variants.PACED_RESERVE_WAIT);
    riprapPaced = Variants.riprapPaced();
    riprapPacedReserving = Variants.riprapPaced();
  }

  /**
   * Retry alone, resilience4j.
   *
   * @return the call's result
   */
  @Benchmark
  public Object retryResilience4j() {
    return r4jRetry.get();
  }

  /**
   * Retry alone, Failsafe.
   *
   * @return the call's result
   */
  @Benchmark
  public Object retryFailsafe() {
    return failsafeRetry.get(failsafeWork);
  }

  /**
   * Retry alone, Riprap.
   *
   * @return the call's result
   */
  @Benchmark
  public Object retryRiprap() {
    return riprapRetry.call(riprapWork);
  }

  /**
   * Circuit breaker alone, resilience4j.
   *
   * @return the call's result
   */
  @Benchmark
  public Object circuitBreakerResilience4j() {
    return r4jBreaker.get();
  }

  /**
   * Circuit breaker alone, Failsafe.
   *
   * @return the call's result
   */
  @Benchmark
  public Object circuitBreakerFailsafe() {
    return failsafeBreaker.get(failsafeWork);
  }

  /**
   * Circuit breaker alone, Riprap.
   *
   * @return the call's result
   */
  @Benchmark
  public Object circuitBreakerRiprap() {
    return riprapBreaker.call(riprapWork);
  }

  /**
   * Rate limiter alone, resilience4j.
   *
   * @return the call's result
   */
  @Benchmark
  public Object rateLimiterResilience4j() {
    return r4jLimiter.get();
  }

  /**
   * Rate limiter alone, Failsafe.
   *
   * @return the call's result
   */
  @Benchmark
  public Object rateLimiterFailsafe() {
    return failsafeLimiter.get(failsafeWork);
  }

  /**
   * Rate limiter alone, Riprap.
   *
   * @return the call's result
   */
  @Benchmark
  public Object rateLimiterRiprap() {
    return riprapLimiter.call(riprapWork);
  }

  /**
   * Bulkhead alone, resilience4j.
   *
   * @return the call's result
   */
  @Benchmark
  public Object bulkheadResilience4j() {
    return r4jBulkhead.get();
  }

  /**
   * Bulkhead alone, Failsafe.
   *
   * @return the call's result
   */
  @Benchmark
  public Object bulkheadFailsafe() {
    return failsafeBulkhead.get(failsafeWork);
  }

  /**
   * Bulkhead alone, Riprap.
   *
   * @return the call's result
   */
  @Benchmark
  public Object bulkheadRiprap() {
    return riprapBulkhead.call(riprapWork);
  }

  /**
   * Paced limiter alone, a slot now or refused, resilience4j: {@code acquirePermission()} with no
   * wait on the config {@code pacedRate} builds today. The benchmark calls faster than the pace, so
   * most calls are refused.
   *
   * @return whether the call got a slot
   */
  @Benchmark
  public boolean acquirePacedResilience4j() {
    return r4jPaced.acquirePermission();
  }

  /**
   * Paced limiter alone, a slot now or refused, Riprap's {@link PacedLimiter#tryTake()}.
   *
   * @return whether the call got a slot
   */
  @Benchmark
  public boolean tryTakePacedRiprap() {
    return riprapPaced.tryTake();
  }

  /**
   * Paced limiter alone, every call claiming the next slot however far ahead (the claim path),
   * resilience4j: {@code reservePermission()} with a one-day wait.
   *
   * @return the nanoseconds the caller would wait
   */
  @Benchmark
  public long reservePacedResilience4j() {
    return r4jPacedReserving.reservePermission();
  }

  /**
   * Paced limiter alone, every call claiming the next slot however far ahead, Riprap's {@link
   * PacedLimiter#reserve(long)} with a one-day wait.
   *
   * @return the nanoseconds the caller would wait
   */
  @Benchmark
  public long reservePacedRiprap() {
    return riprapPacedReserving.reserve(pacedReserveWaitNanos);
  }
}
