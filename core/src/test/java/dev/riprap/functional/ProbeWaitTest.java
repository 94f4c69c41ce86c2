package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.RetryScheduled;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import dev.riprap.testing.Recorder;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code awaitProbe}: a call the breaker refuses waits for the next probe, once, within limits. */
class ProbeWaitTest {
  static final Duration OPEN_WAIT = Duration.ofSeconds(1);
  private final FakeTimeSource time = new FakeTimeSource();
  private final AtomicInteger calls = new AtomicInteger();

  private Policy.Builder builder(Duration maxWait) {
    return Policy.builder("inventory")
        .timeSource(time)
        .asyncExecutor(Runnable::run)
        .circuitBreaker(
            CircuitBreakerConfig.custom()
                .slidingWindowSize(2)
                .minimumNumberOfCalls(2)
                .waitDurationInOpenState(OPEN_WAIT)
                .permittedNumberOfCallsInHalfOpenState(1)
                .build())
        .awaitProbe(maxWait);
  }

  /** Opens the breaker through the policy with two failed calls; returns the breaker. */
  private CircuitBreaker open(Policy policy, Mode mode) {
    for (int i = 0; i < 2; i++) {
      mode.call(policy, time, () -> {
        throw new IOException("down");
      });
    }
    CircuitBreaker breaker = policy.circuitBreaker().orElseThrow();
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    return breaker;
  }

  private String counted(String value) {
    calls.incrementAndGet();
    return value;
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRefusedCallWaitsForTheOpenPeriodToEndAndGoesThroughAsTheProbe(Mode mode) {
    Policy policy = builder(Duration.ofSeconds(2)).build();
    CircuitBreaker breaker = open(policy, mode);
    time.advance(Duration.ofMillis(200));
    long before = time.nanoTime();
    Recorder events = Recorder.on(policy.events());

    Outcome<String> out = mode.call(policy, time, () -> counted("healed"));

    assertThat(out.result).isEqualTo("healed");
    // Until just past the open period's end: resilience4j lets a call through once its clock is
    // past it.
    assertThat(time.nanoTime() - before).isEqualTo(Duration.ofMillis(801).toNanos());
    assertThat(calls).hasValue(1);
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(events.of(RetryScheduled.class)).isEmpty();
    assertThat(events.of(CallCompleted.class)).singleElement()
        .extracting(CallCompleted::outcome, CallCompleted::attempts)
        .containsExactly(CallCompleted.Outcome.SUCCESS, 1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aCallThatCannotSeeTheOpenPeriodEndWithinItsLimitIsRefusedAtOnce(Mode mode) {
    Policy policy = builder(Duration.ofMillis(500)).build();
    open(policy, mode);
    time.advance(Duration.ofMillis(200));
    assertRefusedAtOnce(policy, mode);
  }

  private void assertRefusedAtOnce(Policy policy, Mode mode) {
    long before = time.nanoTime();

    Outcome<String> out = mode.call(policy, time, () -> counted("never"));

    assertThat(out.failure).isInstanceOf(RejectedException.class);
    assertThat(((RejectedException) out.failure).reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN);
    assertThat(time.nanoTime()).isEqualTo(before);
    assertThat(calls).hasValue(0);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theTotalTimeoutAlsoLimitsTheWait(Mode mode) {
    Policy policy = builder(Duration.ofSeconds(5)).totalTimeout(Duration.ofMillis(300)).build();
    open(policy, mode);
    assertRefusedAtOnce(policy, mode);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void whileAnotherCallIsTheProbeACallWaitsForItsSuccessThenGoesAhead(Mode mode) {
    Policy policy = builder(Duration.ofSeconds(2)).build();
    CircuitBreaker breaker = open(policy, mode);
    time.advance(OPEN_WAIT.plusMillis(1));
    // Someone else takes the only probe permission; its answer comes 120 ms later.
    assertThat(breaker.tryAcquirePermission()).isTrue();
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    time.schedule(() -> breaker.onSuccess(120, TimeUnit.MILLISECONDS),
        Duration.ofMillis(120).toNanos());
    long before = time.nanoTime();

    Outcome<String> out = mode.call(policy, time, () -> counted("after the probe"));

    assertThat(out.result).isEqualTo("after the probe");
    long waited = time.nanoTime() - before;
    // Looked again every twentieth of the open wait (50 ms): through at the first look after 120 ms.
    assertThat(waited).isEqualTo(Duration.ofMillis(150).toNanos());
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void whenTheProbeFailsTheWaitingCallIsRefusedWithoutWaitingForAnotherProbe(Mode mode) {
    Policy policy = builder(Duration.ofSeconds(10)).build();
    CircuitBreaker breaker = open(policy, mode);
    time.advance(OPEN_WAIT.plusMillis(1));
    assertThat(breaker.tryAcquirePermission()).isTrue();
    time.schedule(() -> breaker.onError(120, TimeUnit.MILLISECONDS, new IOException("still down")),
        Duration.ofMillis(120).toNanos());
    long before = time.nanoTime();

    Outcome<String> out = mode.call(policy, time, () -> counted("never"));

    assertThat(((RejectedException) out.failure).reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN);
    assertThat(time.nanoTime() - before).isEqualTo(Duration.ofMillis(150).toNanos());
    assertThat(calls).hasValue(0);
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aWaitIsNotARetryAndAnAttemptThatFailedAsTheProbeIsRetriedAsUsual(Mode mode) {
    Policy policy = builder(Duration.ofSeconds(2))
        .retry(RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ofMillis(10)).build())
        .build();
    open(policy, mode);
    Recorder events = Recorder.on(policy.events());
    AtomicInteger attempts = new AtomicInteger();

    Outcome<String> out = mode.call(policy, time, () -> {
      if (attempts.incrementAndGet() == 1) {
        throw new IOException("probe failed");
      }
      return "second attempt";
    });

    // Attempt 1 waited for the open period, was the probe and failed, reopening the breaker; the
    // retry waited for the next open period and was the next probe.
    assertThat(out.result).isEqualTo("second attempt");
    assertThat(attempts).hasValue(2);
    assertThat(events.of(RetryScheduled.class)).singleElement()
        .extracting(RetryScheduled::attempt).isEqualTo(1);
    assertThat(events.of(CallCompleted.class)).singleElement()
        .extracting(CallCompleted::attempts).isEqualTo(2);
  }

  @Test
  void aDrainEndsTheWait() throws Exception {
    dev.riprap.ShutdownGate gate = new dev.riprap.ShutdownGate();
    Policy policy = builder(Duration.ofSeconds(2)).shutdownGate(gate).build();
    open(policy, Mode.SYNC);
    time.schedule(() -> {
      try {
        gate.drain(Duration.ZERO);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, Duration.ofMillis(100).toNanos());
    long before = time.nanoTime();

    assertThatThrownBy(() -> policy.call(() -> counted("never")))
        .isInstanceOf(RejectedException.class)
        .extracting(e -> ((RejectedException) e).reason())
        .isEqualTo(RejectionReason.CIRCUIT_OPEN);
    assertThat(time.nanoTime() - before).isEqualTo(Duration.ofMillis(100).toNanos());
    assertThat(calls).hasValue(0);
  }

  @Test
  void anInterruptEndsASyncWaitAndTheFlagStaysSet() {
    Policy policy = builder(Duration.ofSeconds(2)).build();
    open(policy, Mode.SYNC);
    time.schedule(Thread.currentThread()::interrupt, Duration.ofMillis(100).toNanos());
    try {
      assertThatThrownBy(() -> policy.call(() -> counted("never")))
          .isInstanceOf(InterruptedException.class);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
      assertThat(calls).hasValue(0);
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void awaitProbeIsCheckedWhenThePolicyIsBuilt() {
    assertThatThrownBy(() -> Policy.builder("p").awaitProbe(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Policy 'p': awaitProbe must be positive, was 0s");
    assertThatThrownBy(() -> Policy.builder("p").awaitProbe(Duration.ofMillis(300)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Policy 'p': awaitProbe (300ms) needs a circuit breaker, and none is configured");
  }
}
