package dev.riprap.annotation;

import dev.riprap.RetrySettings;
import dev.riprap.internal.Check;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Predicate;

/**
 * Each strategy annotation's values, checked and turned into the settings of the core and of
 * resilience4j. Every error message starts with the method ({@code where}, as {@code
 * Interface.method(ParamTypes)}) and uses the wording of {@link Check}. {@code failures} is the
 * proxy's {@code countedFailures}, or null for every exception.
 */
final class StrategySettings {
  private StrategySettings() {}

  static RetrySettings retrySettings(
      String where, Retry r, Predicate<? super Throwable> failures) {
    Check.atLeast(r.maxAttempts(), 1, where + ": @Retry maxAttempts");
    Duration delay = Check.positiveDuration(where + ": @Retry delay", r.delay());
    Duration maxDelay = Check.positiveDuration(where + ": @Retry maxDelay", r.maxDelay());
    Check.notBelow(maxDelay, where + ": @Retry maxDelay", delay, "delay");
    for (Class<? extends Throwable> type : r.retryOn()) {
      Check.requireState(
          !Arrays.asList(r.abortOn()).contains(type),
          "%s: @Retry lists %s in both retryOn and abortOn",
          where,
          type.getSimpleName());
    }
    Class<? extends Throwable>[] retryOn = r.retryOn();
    Class<? extends Throwable>[] abortOn = r.abortOn();
    Predicate<? super Throwable> counted = failures;
    Predicate<Throwable> retried =
        t -> (counted == null || counted.test(t))
            && (retryOn.length == 0 || instanceOfAny(retryOn, t))
            && !instanceOfAny(abortOn, t);
    return RetrySettings.builder(r.maxAttempts())
        .backoff(delay, maxDelay)
        .retryOn(retried)
        .build();
  }

  static boolean instanceOfAny(Class<? extends Throwable>[] types, Throwable t) {
    for (Class<? extends Throwable> type : types) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  static CircuitBreakerConfig breakerConfig(
      String where, CircuitBreaker c, Predicate<? super Throwable> failures) {
    float threshold = c.failureRateThreshold();
    Check.requireArgument(
        threshold > 0 && threshold <= 100,
        where + ": @CircuitBreaker failureRateThreshold",
        "in (0, 100]",
        threshold);
    // resilience4j allocates one slot per call of the window and of the half-open state.
    Check.inRange(
        c.slidingWindowSize(),
        1,
        Check.MAX_BREAKER_SLOTS,
        where + ": @CircuitBreaker slidingWindowSize");
    Check.atLeast(c.minimumCalls(), 1, where + ": @CircuitBreaker minimumCalls");
    Check.inRange(
        c.halfOpenCalls(), 1, Check.MAX_BREAKER_SLOTS, where + ": @CircuitBreaker halfOpenCalls");
    Duration wait =
        Check.capped(Check.millisDuration(where + ": @CircuitBreaker waitInOpen", c.waitInOpen()));
    CircuitBreakerConfig.Builder b =
        CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .failureRateThreshold(threshold)
            .slidingWindowSize(c.slidingWindowSize())
            .minimumNumberOfCalls(c.minimumCalls())
            .waitDurationInOpenState(wait)
            .permittedNumberOfCallsInHalfOpenState(c.halfOpenCalls());
    if (failures != null) {
      Predicate<? super Throwable> counted = failures;
      b.recordException(counted::test);
    }
    return b.build();
  }

  static RateLimiterConfig limiterConfig(String where, RateLimiter l) {
    Check.atLeast(l.limit(), 1, where + ": @RateLimiter limit");
    Duration period =
        Check.capped(Check.positiveDuration(where + ": @RateLimiter period", l.period()));
    Duration maxWait =
        Check.capped(Check.nonNegativeDuration(where + ": @RateLimiter maxWait", l.maxWait()));
    return RateLimiterConfig.custom()
        .limitForPeriod(l.limit())
        .limitRefreshPeriod(period)
        .timeoutDuration(maxWait)
        .build();
  }

  static BulkheadConfig bulkheadConfig(String where, Bulkhead b) {
    Check.atLeast(b.value(), 1, where + ": @Bulkhead value");
    Duration maxWait =
        Check.capped(Check.nonNegativeDuration(where + ": @Bulkhead maxWait", b.maxWait()));
    return BulkheadConfig.custom().maxConcurrentCalls(b.value()).maxWaitDuration(maxWait).build();
  }

  /** The checked attempt and total timeouts of {@code t}, each null when not set. */
  static Duration[] timeouts(String where, Timeout t) {
    if (t.value().isEmpty() && t.total().isEmpty()) {
      throw new IllegalArgumentException(where + ": @Timeout sets neither value nor total");
    }
    Duration attempt =
        t.value().isEmpty() ? null : Check.positiveDuration(where + ": @Timeout value", t.value());
    Duration total =
        t.total().isEmpty() ? null : Check.positiveDuration(where + ": @Timeout total", t.total());
    Check.requireState(
        attempt == null || total == null || attempt.compareTo(total) <= 0,
        "%s: @Timeout value (%s) must not exceed total (%s)",
        where,
        attempt,
        total);
    return new Duration[] {attempt, total};
  }
}
