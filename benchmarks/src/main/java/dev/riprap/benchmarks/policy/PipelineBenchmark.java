package dev.riprap.benchmarks.policy;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.function.CheckedSupplier;
import dev.riprap.Policy;
import dev.riprap.ThrowingSupplier;
import io.github.resilience4j.decorators.Decorators;
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
 * The success path through all four strategies (retry, circuit breaker, rate limiter, bulkhead),
 * composed in the same order in every library: {@code Retry(CircuitBreaker(RateLimiter(Bulkhead(
 * call))))}. Every variant is built once and shared by the benchmark threads; per operation only
 * the call itself runs. Run with {@code -prof gc} to see the bytes each call allocates.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PipelineBenchmark {
  private Supplier<Object> r4j;
  private FailsafeExecutor<Object> failsafe;
  private CheckedSupplier<Object> failsafeWork;
  private Policy riprap;
  private ThrowingSupplier<Object, RuntimeException> riprapWork;

  /** Builds the three pipelines with the settings of {@link Variants}. */
  @Setup
  public void setUp() {
    r4j =
        Decorators.ofSupplier(Variants::work)
            .withBulkhead(Variants.r4jBulkhead())
            .withRateLimiter(Variants.r4jLimiter())
            .withCircuitBreaker(Variants.r4jBreaker())
            .withRetry(Variants.r4jRetry(Variants.RETRY_WAIT))
            .decorate();
    failsafe =
        Failsafe.with(
            Variants.failsafeRetry(Variants.RETRY_WAIT),
            Variants.failsafeBreaker(),
            Variants.failsafeLimiter(),
            Variants.failsafeBulkhead());
    failsafeWork = Variants::work;
    riprap = Variants.riprapFull(Variants.RETRY_WAIT);
    riprapWork = Variants::work;
  }

  /**
   * The call with no protection: the baseline every overhead is measured from.
   *
   * @return the call's result
   */
  @Benchmark
  public Object raw() {
    return Variants.work();
  }

  /**
   * resilience4j's {@code Decorators} chain, decorated once.
   *
   * @return the call's result
   */
  @Benchmark
  public Object resilience4j() {
    return r4j.get();
  }

  /**
   * Failsafe with the same four policies.
   *
   * @return the call's result
   */
  @Benchmark
  public Object failsafe() {
    return failsafe.get(failsafeWork);
  }

  /**
   * Riprap's {@link Policy} with the same four strategies.
   *
   * @return the call's result
   */
  @Benchmark
  public Object riprap() {
    return riprap.call(riprapWork);
  }
}
