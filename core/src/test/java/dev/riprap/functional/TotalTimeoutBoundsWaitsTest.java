package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.ShutdownGate;
import dev.riprap.TimeSource;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.RetryScheduled;
import dev.riprap.testing.Activity;
import dev.riprap.testing.CountingCircuitBreaker;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import dev.riprap.testing.Recorder;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The total timeout bounds every wait inside it, sync and async alike (issue 10, B5): the rate
 * limiter's, the bulkhead's, the probe's and the backoff's; the rejection names the configured
 * total timeout. Huge durations saturate instead of overflowing.
 */
class TotalTimeoutBoundsWaitsTest {
  private static final Duration TOTAL = Duration.ofMillis(200);

  private final FakeTimeSource time = new FakeTimeSource();
  private final ShutdownGate gate = new ShutdownGate(time);
  private final AtomicInteger attempts = new AtomicInteger();

  private String counted(String value) {
    attempts.incrementAndGet();
    return value;
  }

  private static void assertTimedOutByTheTotal(Outcome<?> out) {
    assertThat(out.failure)
        .isInstanceOf(RejectedException.class)
        .hasMessageContaining("total timeout 200ms");
    assertThat(((RejectedException) out.failure).reason()).isEqualTo(RejectionReason.TIMED_OUT);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRateLimiterWaitEndsAtTheTotalTimeoutNamingTheConfiguredValue(Mode mode) {
    CountingCircuitBreaker breaker =
        CountingCircuitBreaker.of("limited", CircuitBreakerConfig.ofDefaults(), time);
    Policy policy = Policy.builder("limited")
        .timeSource(time)
        .asyncExecutor(Runnable::run)
        .shutdownGate(gate)
        .circuitBreaker(breaker)
        // resilience4j's limiter runs on real time: a period of a minute never refills during the
        // test, so the call must wait for the next period, much longer than the total timeout.
        .rateLimiter(RateLimiterConfig.custom()
            .limitForPeriod(1)
            .limitRefreshPeriod(Duration.ofMinutes(1))
            .timeoutDuration(Duration.ofMinutes(1))
            .build())
        .totalTimeout(TOTAL)
        .build();
    Recorder events = Recorder.on(policy.events());
    assertThat(policy.rateLimiter().orElseThrow().acquirePermission()).isTrue();

    Outcome<String> out = mode.call(policy, time, () -> counted("never"));

    assertTimedOutByTheTotal(out);
    assertThat(time.nanoTime()).as("fake time when the call ended")
        .isLessThanOrEqualTo(TOTAL.toNanos());
    assertThat(attempts).hasValue(0);
    assertThat(events.of(CallCompleted.class)).singleElement()
        .extracting(CallCompleted::outcome).isEqualTo(CallCompleted.Outcome.TIMED_OUT);
    assertThat(breaker.givenBack()).as("permissions given back, %s", breaker)
        .isEqualTo(breaker.taken());
    assertThat(gate.inFlight()).isZero();
  }

  /**
   * resilience4j's bulkhead waits on a real semaphore, so this one runs on real time. Whether the
   * wait was cut at the total timeout shows in the outcome: a wait to the bulkhead's own limit
   * would end BULKHEAD_FULL. Nothing measures the time.
   */
  @ParameterizedTest
  @EnumSource(Mode.class)
  void aBulkheadWaitEndsAtTheTotalTimeout(Mode mode) {
    Activity activity = new Activity();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    Bulkhead bulkhead = Bulkhead.of("crowded",
        BulkheadConfig.custom().maxConcurrentCalls(1).maxWaitDuration(Duration.ofSeconds(1)).build());
    CountingCircuitBreaker breaker =
        new CountingCircuitBreaker(CircuitBreaker.ofDefaults("crowded"));
    ShutdownGate realGate = new ShutdownGate();
    Policy policy = Policy.builder("crowded")
        .timeSource(activity.track(TimeSource.system()))
        .asyncExecutor(activity.track(pool))
        .shutdownGate(realGate)
        .circuitBreaker(breaker)
        .bulkhead(bulkhead)
        .totalTimeout(TOTAL)
        .build();
    Recorder events = Recorder.on(policy.events());
    // Another caller holds the only slot for the whole call.
    assertThat(bulkhead.tryAcquirePermission()).isTrue();
    Outcome<String> out;
    try {
      out = mode.callInRealTime(policy, () -> counted("never"));
      activity.awaitQuiet();
    } finally {
      bulkhead.onComplete();
      pool.shutdownNow();
    }

    assertTimedOutByTheTotal(out);
    assertThat(Thread.interrupted()).as("the caller's interrupt flag").isFalse();
    assertThat(attempts).hasValue(0);
    assertThat(events.of(CallCompleted.class)).singleElement()
        .extracting(CallCompleted::outcome).isEqualTo(CallCompleted.Outcome.TIMED_OUT);
    assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(1);
    assertThat(breaker.givenBack()).as("permissions given back, %s", breaker)
        .isEqualTo(breaker.taken());
    assertThat(realGate.inFlight()).isZero();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aProbeWaitEndsByTheTotalTimeoutWhenTheProbeNeverAnswers(Mode mode) {
    CountingCircuitBreaker breaker = CountingCircuitBreaker.of("probing",
        CircuitBreakerConfig.custom()
            .slidingWindowSize(2)
            .minimumNumberOfCalls(2)
            .permittedNumberOfCallsInHalfOpenState(1)
            .waitDurationInOpenState(Duration.ofSeconds(1))
            .build(),
        time);
    Policy policy = Policy.builder("probing")
        .timeSource(time)
        .asyncExecutor(Runnable::run)
        .circuitBreaker(breaker)
        .awaitProbe(Duration.ofSeconds(10))
        .totalTimeout(Duration.ofMillis(300))
        .build();
    breaker.delegate().transitionToOpenState();
    breaker.delegate().transitionToHalfOpenState();
    // Someone else's probe, never answered.
    assertThat(breaker.delegate().tryAcquirePermission()).isTrue();
    long before = time.nanoTime();

    Outcome<String> out = mode.call(policy, time, () -> counted("never"));

    assertThat(out.failure).isInstanceOf(RejectedException.class);
    assertThat(((RejectedException) out.failure).reason())
        .isIn(RejectionReason.CIRCUIT_OPEN, RejectionReason.TIMED_OUT);
    assertThat(time.nanoTime() - before).as("fake time the call waited")
        .isLessThanOrEqualTo(Duration.ofMillis(300).toNanos());
    assertThat(attempts).hasValue(0);
    assertThat(breaker.givenBack()).as("permissions given back, %s", breaker)
        .isEqualTo(breaker.taken());
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRetryWaitOfTwoHundredThousandDaysEndsTheCallAtOnceWithItsFailure(Mode mode) {
    // A clock far from zero, as System.nanoTime() is: deadline arithmetic must not overflow.
    time.advance(Duration.ofHours(1));
    Policy policy = Policy.builder("patient")
        .timeSource(time)
        .asyncExecutor(Runnable::run)
        .retry(RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ofDays(200_000)).build())
        .totalTimeout(Duration.ofSeconds(1))
        .build();
    Recorder events = Recorder.on(policy.events());
    IOException failure = new IOException("down");
    long before = time.nanoTime();

    Outcome<String> out = mode.call(policy, time, () -> {
      attempts.incrementAndGet();
      throw failure;
    });

    assertThat(out.failure).isSameAs(failure);
    assertThat(attempts).hasValue(1);
    assertThat(time.nanoTime() - before).as("fake time the call took")
        .isLessThanOrEqualTo(Duration.ofSeconds(1).toNanos());
    assertThat(events.of(RetryScheduled.class)).isEmpty();
    assertThat(events.of(CallCompleted.class)).singleElement()
        .extracting(CallCompleted::outcome).isEqualTo(CallCompleted.Outcome.FAILURE);
  }

  /** Durations users write for "forever". */
  enum Huge {
    TWO_HUNDRED_THOUSAND_DAYS(Duration.ofDays(200_000)),
    LONG_MAX_MILLIS(Duration.ofMillis(Long.MAX_VALUE));

    final Duration value;

    Huge(Duration value) {
      this.value = value;
    }
  }

  /** Which timeouts get the huge value. */
  enum Which {
    ATTEMPT,
    TOTAL,
    BOTH
  }

  static Stream<Arguments> hugeTimeouts() {
    return Stream.of(Mode.values()).flatMap(m -> Stream.of(Huge.values()).flatMap(h ->
        Stream.of(Which.values()).map(w -> Arguments.of(m, h, w))));
  }

  /** On the system clock, whose nanoTime is arbitrary: deadline arithmetic must saturate. */
  @ParameterizedTest(name = "{0}: {2} timeout of {1}")
  @MethodSource("hugeTimeouts")
  void aHugeTimeoutBuildsAndCallsEndAsIfThereWereNone(Mode mode, Huge huge, Which which) {
    Policy.Builder b = Policy.builder("forever")
        .retry(RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ofMillis(1)).build());
    if (which != Which.TOTAL) {
      b.attemptTimeout(huge.value);
    }
    if (which != Which.ATTEMPT) {
      b.totalTimeout(huge.value);
    }
    Policy policy = b.build();
    IOException failure = new IOException("down");

    Outcome<String> ok = mode.callInRealTime(policy, () -> counted("ok"));
    Outcome<String> failed = mode.callInRealTime(policy, () -> {
      attempts.incrementAndGet();
      throw failure;
    });

    assertThat(ok.failure).as("the first call's failure").isNull();
    assertThat(ok.result).isEqualTo("ok");
    assertThat(failed.failure).as("the second call's failure").isSameAs(failure);
    assertThat(attempts).as("attempts: one, then two").hasValue(3);
  }
}
