package dev.riprap.benchmarks.policy;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.Timeout;
import dev.failsafe.function.CheckedSupplier;
import dev.riprap.Policy;
import dev.riprap.ThrowingSupplier;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A synchronous call bounded by a 1 s attempt timeout that never fires: what bounding a blocking
 * call costs on the success path. Each library in the way its documentation shows for sync code:
 *
 * <ul>
 *   <li>Riprap: {@code attemptTimeout}, the call runs on the caller's thread and a timer task
 *       interrupts it at the deadline;
 *   <li>resilience4j: a {@link TimeLimiter} around a future submitted to an executor (the caller
 *       blocks on the future; the executor thread runs the call), cancelling it on timeout;
 *   <li>Failsafe: a {@link Timeout} with interrupt.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TimeoutBenchmark {
  static final Duration TIMEOUT = Duration.ofSeconds(1);

  private ExecutorService executor;
  private Callable<Object> r4j;
  private FailsafeExecutor<Object> failsafe;
  private final CheckedSupplier<Object> failsafeWork = Variants::work;
  private Policy riprap;
  private final ThrowingSupplier<Object, RuntimeException> riprapWork = Variants::work;

  /** Builds the three timeouts. */
  @Setup
  public void setUp() {
    executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "timelimiter-bench");
              t.setDaemon(true);
              return t;
            });
    TimeLimiter limiter =
        TimeLimiter.of(
            TimeLimiterConfig.custom().timeoutDuration(TIMEOUT).cancelRunningFuture(true).build());
    Callable<Object> work = Variants::work;
    r4j = TimeLimiter.decorateFutureSupplier(limiter, () -> executor.submit(work));
    failsafe = Failsafe.with(Timeout.builder(TIMEOUT).withInterrupt().build());
    riprap = Policy.builder("timeout").attemptTimeout(TIMEOUT).build();
  }

  /** Stops the resilience4j executor's threads. */
  @TearDown
  public void tearDown() {
    executor.shutdownNow();
  }

  /**
   * resilience4j TimeLimiter on an executor.
   *
   * @return the result
   * @throws Exception never: the timeout does not fire
   */
  @Benchmark
  public Object timeoutResilience4j() throws Exception {
    return r4j.call();
  }

  /**
   * Failsafe Timeout with interrupt.
   *
   * @return the result
   */
  @Benchmark
  public Object timeoutFailsafe() {
    return failsafe.get(failsafeWork);
  }

  /**
   * Riprap attempt timeout.
   *
   * @return the result
   */
  @Benchmark
  public Object timeoutRiprap() {
    return riprap.call(riprapWork);
  }
}
