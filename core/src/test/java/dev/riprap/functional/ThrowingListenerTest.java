package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Fallback;
import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.ShutdownGate;
import dev.riprap.event.AttemptTimedOut;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.CallRejected;
import dev.riprap.event.CircuitStateChanged;
import dev.riprap.event.FallbackApplied;
import dev.riprap.event.PolicyEvent;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import dev.riprap.testing.CountingCircuitBreaker;
import dev.riprap.testing.Fault;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import dev.riprap.testing.Recorder;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A listener that throws, whatever it throws ({@link AssertionError} and {@link StackOverflowError}
 * included), on whichever event, never changes a call (issue 10, B2): the call's own result or
 * exception stands, the other listeners still hear every event and exactly one {@link
 * CallCompleted}, and no permit or gate count is left behind.
 */
class ThrowingListenerTest {
  private static final int BULKHEAD = 2;

  private final FakeTimeSource time = new FakeTimeSource();
  private final ShutdownGate gate = new ShutdownGate(time);
  private final AtomicInteger attempts = new AtomicInteger();
  private CountingCircuitBreaker breaker;
  private Policy policy;

  /** An event the listener throws on, and a call that publishes it. */
  enum Scenario {
    RETRY_SCHEDULED(RetryScheduled.class),
    RETRY_ABANDONED(RetryAbandoned.class),
    CALL_REJECTED(CallRejected.class),
    ATTEMPT_TIMED_OUT(AttemptTimedOut.class),
    CIRCUIT_STATE_CHANGED(CircuitStateChanged.class),
    FALLBACK_APPLIED(FallbackApplied.class),
    CALL_COMPLETED(CallCompleted.class);

    final Class<? extends PolicyEvent> type;

    Scenario(Class<? extends PolicyEvent> type) {
      this.type = type;
    }
  }

  static Stream<Arguments> cases() {
    return Stream.of(Mode.values()).flatMap(m -> Stream.of(Scenario.values()).flatMap(s ->
        Stream.of(Fault.RUNTIME_EXCEPTION, Fault.ASSERTION_ERROR, Fault.STACK_OVERFLOW)
            .map(f -> Arguments.of(m, s, f))));
  }

  private Policy build(Policy.Builder b, CircuitBreakerConfig breakerConfig) {
    breaker = CountingCircuitBreaker.of("listened", breakerConfig, time);
    policy = b.timeSource(time)
        .asyncExecutor(Runnable::run)
        .shutdownGate(gate)
        .circuitBreaker(breaker)
        .bulkhead(BULKHEAD)
        .build();
    return policy;
  }

  private String failing() throws IOException {
    throw new IOException("attempt " + attempts.incrementAndGet() + " failed");
  }

  @ParameterizedTest(name = "{0}: a listener throwing {2} on {1}")
  @MethodSource("cases")
  void aListenerThatThrowsNeverChangesTheCallAndTheOthersStillHearIt(
      Mode mode, Scenario scenario, Fault fault) {
    Policy.Builder b = Policy.builder("listened");
    CircuitBreakerConfig breakerConfig = CircuitBreakerConfig.ofDefaults();
    switch (scenario) {
      case RETRY_SCHEDULED:
      case RETRY_ABANDONED:
        b.retry(RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ofMillis(10)).build());
        break;
      case ATTEMPT_TIMED_OUT:
        b.attemptTimeout(Duration.ofSeconds(1));
        break;
      case CIRCUIT_STATE_CHANGED:
        breakerConfig = CircuitBreakerConfig.custom()
            .slidingWindowSize(2).minimumNumberOfCalls(2).build();
        break;
      default:
        break;
    }
    build(b, breakerConfig);
    AtomicInteger thrown = new AtomicInteger();
    policy.events().subscribe(scenario.type, e -> {
      thrown.incrementAndGet();
      throw Fault.raise(fault.create("listener bug on " + e.getClass().getSimpleName()));
    });
    Recorder others = Recorder.on(policy.events());

    switch (scenario) {
      case RETRY_SCHEDULED: {
        Outcome<String> out =
            mode.call(policy, time, () -> attempts.get() == 0 ? failing() : "ok");
        assertThat(out.failure).as("the call's failure").isNull();
        assertThat(out.result).isEqualTo("ok");
        assertCompletedOnce(others, CallCompleted.Outcome.SUCCESS);
        break;
      }
      case RETRY_ABANDONED: {
        Outcome<String> out = mode.call(policy, time, this::failing);
        assertThat(out.failure).isExactlyInstanceOf(IOException.class)
            .hasMessage("attempt 2 failed");
        assertCompletedOnce(others, CallCompleted.Outcome.FAILURE);
        break;
      }
      case CALL_REJECTED: {
        breaker.delegate().transitionToForcedOpenState();
        Outcome<String> out = mode.call(policy, time, () -> "never");
        assertThat(out.failure).isInstanceOf(RejectedException.class);
        assertThat(((RejectedException) out.failure).reason())
            .isEqualTo(RejectionReason.CIRCUIT_OPEN);
        assertCompletedOnce(others, CallCompleted.Outcome.REJECTED);
        break;
      }
      case ATTEMPT_TIMED_OUT: {
        Outcome<String> out = mode.callUnanswered(policy, time);
        assertThat(out.failure).isInstanceOf(RejectedException.class);
        assertThat(((RejectedException) out.failure).reason())
            .isEqualTo(RejectionReason.TIMED_OUT);
        assertThat(Thread.interrupted()).as("the caller's interrupt flag").isFalse();
        assertCompletedOnce(others, CallCompleted.Outcome.TIMED_OUT);
        break;
      }
      case CIRCUIT_STATE_CHANGED: {
        mode.call(policy, time, this::failing);
        Outcome<String> out = mode.call(policy, time, this::failing);
        assertThat(out.failure).isExactlyInstanceOf(IOException.class)
            .hasMessage("attempt 2 failed");
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(others.of(CallCompleted.class)).as("CallCompleted events, one per call")
            .extracting(CallCompleted::outcome)
            .containsExactly(CallCompleted.Outcome.FAILURE, CallCompleted.Outcome.FAILURE);
        break;
      }
      case FALLBACK_APPLIED: {
        Outcome<String> out = mode.call(policy, time, this::failing, Fallback.of("fallback"));
        assertThat(out.failure).as("the call's failure").isNull();
        assertThat(out.result).isEqualTo("fallback");
        assertCompletedOnce(others, CallCompleted.Outcome.FALLBACK);
        break;
      }
      case CALL_COMPLETED: {
        Outcome<String> out = mode.call(policy, time, () -> "ok");
        assertThat(out.failure).as("the call's failure").isNull();
        assertThat(out.result).isEqualTo("ok");
        assertCompletedOnce(others, CallCompleted.Outcome.SUCCESS);
        break;
      }
      default:
        throw new AssertionError(scenario);
    }
    assertThat(thrown.get()).as("times the listener threw").isEqualTo(1);
    assertThat(others.of(scenario.type)).as("%s events the other listener heard", scenario.type
        .getSimpleName()).hasSize(1);
    assertThat(policy.bulkhead().orElseThrow().getMetrics().getAvailableConcurrentCalls())
        .as("bulkhead permits available").isEqualTo(BULKHEAD);
    assertThat(breaker.givenBack()).as("permissions given back, %s", breaker)
        .isEqualTo(breaker.taken());
    assertThat(gate.inFlight()).as("calls in flight at the gate").isZero();
  }

  private static void assertCompletedOnce(Recorder others, CallCompleted.Outcome outcome) {
    assertThat(others.of(CallCompleted.class)).as("CallCompleted events").singleElement()
        .extracting(CallCompleted::outcome).isEqualTo(outcome);
  }
}
