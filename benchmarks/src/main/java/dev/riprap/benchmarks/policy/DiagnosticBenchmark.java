package dev.riprap.benchmarks.policy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
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
 * Controls that explain the other tables rather than compare libraries: what one clock read costs
 * on this machine (every breaker reads it twice per call), and what a resilience4j breaker costs
 * once anyone has registered a listener on its event publisher (it then builds an event object
 * with a {@code ZonedDateTime} timestamp for every call, whatever the listener's type).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DiagnosticBenchmark {
  private Supplier<Object> breakerWithTransitionListener;

  /** Builds a resilience4j breaker with one state-transition listener registered. */
  @Setup
  public void setUp() {
    CircuitBreaker breaker = Variants.r4jBreaker();
    breaker.getEventPublisher().onStateTransition(event -> { });
    breakerWithTransitionListener = CircuitBreaker.decorateSupplier(breaker, Variants::work);
  }

  /**
   * One {@link System#nanoTime()} read.
   *
   * @return the reading
   */
  @Benchmark
  public long nanoTime() {
    return System.nanoTime();
  }

  /**
   * The resilience4j breaker of {@link StrategyBenchmark#circuitBreakerResilience4j()} with a
   * state-transition listener registered (transitions never happen; the listener never runs).
   *
   * @return the call's result
   */
  @Benchmark
  public Object circuitBreakerResilience4jWithTransitionListener() {
    return breakerWithTransitionListener.get();
  }
}
