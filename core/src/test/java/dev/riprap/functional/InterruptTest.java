package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.riprap.Fallback;
import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.ShutdownGate;
import dev.riprap.testing.CountingCircuitBreaker;
import dev.riprap.testing.FakeTimeSource;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Sync calls and interrupts (issue 10, B4). An interrupt from outside stops the call at once, with
 * {@link InterruptedException} or with the thread's flag kept, fallback or not, and is never
 * retried through; only the engine's own attempt-timeout interrupt is ever cleared. Interrupts
 * belong to sync calls; their async counterpart, cancel, is in {@link PermitAccountingTest}.
 */
class InterruptTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final ShutdownGate gate = new ShutdownGate(time);
  private final AtomicInteger attempts = new AtomicInteger();
  private final ExecutorService outside = Executors.newSingleThreadExecutor();
  private CountingCircuitBreaker breaker;

  @AfterEach
  void clearTheFlagAndStopTheInterrupter() {
    Thread.interrupted();
    outside.shutdownNow();
  }

  private Policy.Builder builder(CircuitBreakerConfig breakerConfig, Duration backoff) {
    breaker = CountingCircuitBreaker.of("interrupted", breakerConfig, time);
    return Policy.builder("interrupted")
        .timeSource(time)
        .shutdownGate(gate)
        .circuitBreaker(breaker)
        .bulkhead(2)
        .retry(RetryConfig.custom().maxAttempts(3).waitDuration(backoff).build());
  }

  private Policy.Builder builder() {
    return builder(CircuitBreakerConfig.ofDefaults(), Duration.ofMillis(10));
  }

  /** An attempt that blocks until another thread interrupts the caller. */
  private String interruptedFromOutside() throws InterruptedException {
    attempts.incrementAndGet();
    Thread caller = Thread.currentThread();
    outside.execute(caller::interrupt);
    new CountDownLatch(1).await();
    return "never";
  }

  private void assertNothingHeld() {
    assertThat(breaker.givenBack()).as("permissions given back, %s", breaker)
        .isEqualTo(breaker.taken());
    assertThat(gate.inFlight()).as("calls in flight at the gate").isZero();
  }

  @Test
  void anAttemptInterruptedFromOutsideIsNotRetriedAndAFallbackKeepsTheFlag() throws Exception {
    Policy policy = builder().build();

    String value = policy.call(this::interruptedFromOutside, Fallback.of("fallback"));
    boolean flag = Thread.interrupted();

    assertThat(value).isEqualTo("fallback");
    assertThat(flag).as("the caller's interrupt flag after a fallback").isTrue();
    assertThat(attempts).hasValue(1);
    assertNothingHeld();
  }

  @Test
  void anAttemptInterruptedFromOutsideIsNotRetriedAndTheCallEndsWithTheInterrupt() {
    Policy policy = builder().build();

    Throwable thrown = catchThrowable(() -> policy.call(this::interruptedFromOutside));
    boolean flag = Thread.interrupted();

    assertThat(attempts).hasValue(1);
    if (thrown instanceof InterruptedException) {
      assertThat(flag).as("the flag after InterruptedException, cleared as the JDK does").isFalse();
    } else {
      assertThat(flag).as("the flag after %s", thrown).isTrue();
    }
    assertNothingHeld();
  }

  /** Where a sync call waits before an attempt. */
  enum Wait {
    BACKOFF,
    RATE_LIMITER,
    PROBE
  }

  @ParameterizedTest
  @EnumSource(Wait.class)
  void anInterruptDuringAWaitEndsTheCallAtOnceWithNoFurtherAttempt(Wait wait) {
    Policy.Builder b;
    if (wait == Wait.PROBE) {
      b = builder(CircuitBreakerConfig.custom()
          .slidingWindowSize(2)
          .minimumNumberOfCalls(2)
          .permittedNumberOfCallsInHalfOpenState(1)
          .waitDurationInOpenState(Duration.ofSeconds(1))
          .build(), Duration.ofMillis(10)).awaitProbe(Duration.ofSeconds(5));
    } else if (wait == Wait.RATE_LIMITER) {
      // resilience4j's limiter runs on real time: a minute's period never refills during the test.
      b = builder().rateLimiter(RateLimiterConfig.custom()
          .limitForPeriod(1)
          .limitRefreshPeriod(Duration.ofMinutes(1))
          .timeoutDuration(Duration.ofMinutes(1))
          .build());
    } else {
      b = builder(CircuitBreakerConfig.ofDefaults(), Duration.ofSeconds(10));
    }
    Policy policy = b.build();
    if (wait == Wait.PROBE) {
      breaker.delegate().transitionToOpenState();
    } else if (wait == Wait.RATE_LIMITER) {
      assertThat(policy.rateLimiter().orElseThrow().acquirePermission()).isTrue();
    }
    // The interrupt comes 100 ms into the wait.
    time.schedule(Thread.currentThread()::interrupt, Duration.ofMillis(100).toNanos());

    Throwable thrown = catchThrowable(() -> policy.call(() -> {
      attempts.incrementAndGet();
      if (wait == Wait.BACKOFF) {
        throw new IOException("down");
      }
      return "ok";
    }));
    boolean flag = Thread.interrupted();

    assertThat(attempts).as("attempts").hasValue(wait == Wait.BACKOFF ? 1 : 0);
    assertThat(time.nanoTime()).as("fake time when the call ended")
        .isEqualTo(Duration.ofMillis(100).toNanos());
    assertThat(thrown instanceof InterruptedException || flag)
        .as("InterruptedException thrown (was %s) or the flag kept (was %s)", thrown, flag)
        .isTrue();
    assertNothingHeld();
  }

  @Test
  void theEnginesOwnTimeoutInterruptNeverReachesTheCallerEvenWhenAFallbackAnswers()
      throws Exception {
    Policy policy = builder().attemptTimeout(Duration.ofSeconds(1)).build();

    String value = policy.call(() -> {
      attempts.incrementAndGet();
      time.sleep(Duration.ofSeconds(5));
      return "late";
    }, Fallback.of("fallback"));

    assertThat(value).isEqualTo("fallback");
    assertThat(Thread.interrupted()).as("the caller's interrupt flag").isFalse();
    assertThat(attempts).hasValue(3);
    assertNothingHeld();
  }

  @Test
  void workThatRestoresTheFlagAfterTheTimeoutInterruptDoesNotLeakIt() {
    breaker = CountingCircuitBreaker.of("interrupted", CircuitBreakerConfig.ofDefaults(), time);
    Policy policy = Policy.builder("interrupted")
        .timeSource(time)
        .shutdownGate(gate)
        .circuitBreaker(breaker)
        .attemptTimeout(Duration.ofSeconds(1))
        .build();

    Throwable thrown = catchThrowable(() -> policy.call(() -> {
      try {
        time.sleep(Duration.ofSeconds(5));
        return "late";
      } catch (InterruptedException e) {
        // The well-behaved idiom: keep the flag and fail with an exception of one's own.
        Thread.currentThread().interrupt();
        throw new IOException("read interrupted", e);
      }
    }));

    assertThat(thrown).isInstanceOf(RejectedException.class);
    assertThat(((RejectedException) thrown).reason()).isEqualTo(RejectionReason.TIMED_OUT);
    assertThat(Thread.interrupted()).as("the caller's interrupt flag").isFalse();
    assertNothingHeld();
  }

  /** Interrupts the calling thread from another thread and returns once its flag is set. */
  private void interruptedFromOutsideNow() {
    Thread caller = Thread.currentThread();
    outside.execute(caller::interrupt);
    while (!caller.isInterrupted()) {
      Thread.onSpinWait();
    }
  }

  private void assertTheExternalInterruptWasNotLost(Throwable thrown) {
    boolean flag = Thread.interrupted();
    assertThat(flag || attempts.get() == 1)
        .as("the external interrupt was lost: flag clear after the call and %d attempts made "
            + "(thrown: %s)", attempts.get(), thrown)
        .isTrue();
    assertNothingHeld();
  }

  // An external interrupt and the engine's timeout interrupt can meet in three orders. When the
  // external one lands while the engine's is still pending on the thread, the JVM merges the two
  // and no engine can tell it happened; the two tests below fix the orders in which it can. (A
  // random race of the two would hit the merged order too, and fail on any engine that retries a
  // timed-out attempt.)

  @Test
  void anExternalInterruptArrivingAfterTheTimeoutsInterruptWasConsumedIsNotLost() {
    Policy policy = builder().attemptTimeout(Duration.ofSeconds(1)).build();

    Throwable thrown = catchThrowable(() -> policy.call(() -> {
      if (attempts.incrementAndGet() > 1) {
        return "retried";
      }
      try {
        time.sleep(Duration.ofSeconds(5));
        return "late";
      } catch (InterruptedException timeout) {
        // The attempt timeout's interrupt ended the sleep; one from outside comes before the work
        // gives up.
        interruptedFromOutsideNow();
        throw timeout;
      }
    }));

    assertTheExternalInterruptWasNotLost(thrown);
  }

  @Test
  void anExternalInterruptPendingWhenTheAttemptTimeoutFiresIsNotLost() {
    Policy policy = builder().attemptTimeout(Duration.ofSeconds(1)).build();

    Throwable thrown = catchThrowable(() -> policy.call(() -> {
      if (attempts.incrementAndGet() > 1) {
        return "retried";
      }
      interruptedFromOutsideNow();
      // The attempt's time runs out before the work looks at its flag.
      time.advance(Duration.ofSeconds(1));
      if (Thread.interrupted()) {
        throw new InterruptedException("interrupted");
      }
      return "not interrupted";
    }));

    assertTheExternalInterruptWasNotLost(thrown);
  }
}
