package dev.riprap.benchmarks.policy;

import dev.failsafe.CircuitBreakerOpenException;
import dev.riprap.Policy;
import dev.riprap.PacedLimiter;
import dev.riprap.PacedRate;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The settings every library gets in the policy-overhead benchmarks, written once so that the
 * variants cannot drift apart. On the success path none of them ever trips, throttles or waits:
 *
 * <ul>
 *   <li>bulkhead: 100 concurrent calls, no wait (the benchmarks run at most 2 threads);
 *   <li>rate limiter: 1,000,000,000 permits a second (the machine does ~10^7 calls a second);
 *   <li>circuit breaker: count window of 100 calls, opens at 80% failures (so the retry benchmark, 50% failed attempts, never opens it), 1 hour open;
 *   <li>retry: 3 attempts, 500 ms apart (never reached on the success path); a breaker that is open
 *       is not retried, in every library, because retrying it would only spin.
 * </ul>
 *
 * <p>The paced limiters ({@link StrategyBenchmark}'s {@code *Paced*} methods) are the exception:
 * one slot a microsecond, so they do throttle, and measure the limiter's own refusal and claim
 * paths rather than a call.
 *
 * <p>Not thread-safe to build; what it builds is shared by the benchmark threads, as a real
 * service shares one breaker between its request threads.
 */
final class Variants {
  /** What the downstream returns: a constant, so the result costs no allocation. */
  static final Object RESULT = Integer.valueOf(42);

  /** A failure that costs the same in every library: preallocated, no stack trace. */
  static final RuntimeException TRANSIENT = new TransientFailure();

  /**
   * CPU tokens the raw call burns, so that it is a call and not a constant the JIT folds away
   * (about 7 to 15 ns on current x86 machines).
   */
  static final int WORK_TOKENS = 8;

  static final int BULKHEAD = 100;
  static final int RATE_PER_SECOND = 1_000_000_000;
  static final int BREAKER_WINDOW = 100;
  static final float BREAKER_FAILURE_RATE = 80f;
  static final Duration BREAKER_OPEN = Duration.ofHours(1);
  static final int MAX_ATTEMPTS = 3;
  static final Duration RETRY_WAIT = Duration.ofMillis(500);

  /**
   * The paced limiters' rate: the fastest pace both accept, one slot a microsecond. The benchmark
   * asks ten to fifty times faster, so a "slot now" benchmark mostly measures refusals.
   */
  static final int PACED_PER_SECOND = 1_000_000;

  /**
   * The wait a "reserve" benchmark accepts: any slot in the next day. At one slot a microsecond
   * that is 8.6 * 10^10 slots, far more than a run claims (resilience4j counts its reservations
   * in an int, which a run of over about 40 s at one call per 20 ns would overflow).
   */
  static final Duration PACED_RESERVE_WAIT = Duration.ofDays(1);

  private Variants() {}

  /** The raw call every variant wraps. */
  static Object work() {
    Blackhole.consumeCPU(WORK_TOKENS);
    return RESULT;
  }

  // ------------------------------------------------------------------ resilience4j

  static Bulkhead r4jBulkhead() {
    return Bulkhead.of(
        "bench",
        BulkheadConfig.custom().maxConcurrentCalls(BULKHEAD).maxWaitDuration(Duration.ZERO).build());
  }

  static RateLimiterConfig r4jLimiterConfig() {
    return RateLimiterConfig.custom()
        .limitForPeriod(RATE_PER_SECOND)
        .limitRefreshPeriod(Duration.ofSeconds(1))
        .timeoutDuration(Duration.ZERO)
        .build();
  }

  static RateLimiter r4jLimiter() {
    return RateLimiter.of("bench", r4jLimiterConfig());
  }

  static CircuitBreakerConfig r4jBreakerConfig() {
    return CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(BREAKER_WINDOW)
        .minimumNumberOfCalls(BREAKER_WINDOW)
        .failureRateThreshold(BREAKER_FAILURE_RATE)
        .waitDurationInOpenState(BREAKER_OPEN)
        .build();
  }

  static CircuitBreaker r4jBreaker() {
    return CircuitBreaker.of("bench", r4jBreakerConfig());
  }

  static RetryConfig r4jRetryConfig(Duration wait) {
    return RetryConfig.custom()
        .maxAttempts(MAX_ATTEMPTS)
        .waitDuration(wait)
        .ignoreExceptions(CallNotPermittedException.class)
        .build();
  }

  static Retry r4jRetry(Duration wait) {
    return Retry.of("bench", r4jRetryConfig(wait));
  }

  /** The config {@code Policy.Builder.pacedRate} builds today: one permit per 1 µs cycle. */
  static RateLimiter r4jPaced(Duration maxWait) {
    return RateLimiter.of("paced", PacedRate.config(PACED_PER_SECOND, maxWait));
  }

  // ------------------------------------------------------------------ Riprap

  static PacedLimiter riprapPaced() {
    return PacedLimiter.builder(PACED_PER_SECOND).build();
  }

  // ------------------------------------------------------------------ Failsafe

  static dev.failsafe.Bulkhead<Object> failsafeBulkhead() {
    return dev.failsafe.Bulkhead.builder(BULKHEAD).withMaxWaitTime(Duration.ZERO).build();
  }

  static dev.failsafe.RateLimiter<Object> failsafeLimiter() {
    return dev.failsafe.RateLimiter.burstyBuilder(RATE_PER_SECOND, Duration.ofSeconds(1))
        .withMaxWaitTime(Duration.ZERO)
        .build();
  }

  static dev.failsafe.CircuitBreaker<Object> failsafeBreaker() {
    return dev.failsafe.CircuitBreaker.builder()
        .withFailureThreshold((int) (BREAKER_WINDOW * BREAKER_FAILURE_RATE / 100), BREAKER_WINDOW)
        .withDelay(BREAKER_OPEN)
        .build();
  }

  static dev.failsafe.RetryPolicy<Object> failsafeRetry(Duration wait) {
    dev.failsafe.RetryPolicyBuilder<Object> builder =
        dev.failsafe.RetryPolicy.builder()
            .withMaxAttempts(MAX_ATTEMPTS)
            .abortOn(CircuitBreakerOpenException.class);
    // Failsafe refuses a zero delay; no delay at all is its default.
    return wait.isZero() ? builder.build() : builder.withDelay(wait).build();
  }

  // ------------------------------------------------------------------ Riprap

  static Policy.Builder riprap(String name) {
    return Policy.builder(name);
  }

  static Policy riprapFull(Duration retryWait) {
    return Policy.builder("bench")
        .retry(r4jRetryConfig(retryWait))
        .circuitBreaker(r4jBreakerConfig())
        .rateLimiter(r4jLimiterConfig())
        .bulkhead(
            BulkheadConfig.custom()
                .maxConcurrentCalls(BULKHEAD)
                .maxWaitDuration(Duration.ZERO)
                .build())
        .build();
  }

  /** A transient failure without a stack trace, thrown from one preallocated instance. */
  static final class TransientFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TransientFailure() {
      super("transient", null, false, false);
    }
  }
}
