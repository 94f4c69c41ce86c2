package dev.riprap.functional;

import static dev.riprap.testing.Fault.raise;
import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Fallback;
import dev.riprap.Policy;
import dev.riprap.ShutdownGate;
import dev.riprap.ThrowingSupplier;
import dev.riprap.event.CallCompleted;
import dev.riprap.testing.CountingCircuitBreaker;
import dev.riprap.testing.Fault;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import dev.riprap.testing.Recorder;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * User code that the pipeline runs throws (issue 10, B2 and B3): predicates, interval functions,
 * fallbacks, the breaker's record predicates, the async executor and the work itself. Whatever it
 * throws, an {@link Error} included, the call ends with exactly one outcome, that throwable, with
 * the attempt's own failure suppressed in it; every permit is given back, the gate counts nothing
 * in flight and exactly one {@link CallCompleted} is published. A throwing discarded-result handler
 * changes nothing.
 */
class UserCodeThrowsTest {
  private static final int BULKHEAD = 2;

  private final FakeTimeSource time = new FakeTimeSource();
  private final ShutdownGate gate = new ShutdownGate(time);
  private final Bulkhead bulkhead = Bulkhead.of("faults",
      BulkheadConfig.custom().maxConcurrentCalls(BULKHEAD).maxWaitDuration(Duration.ZERO).build());
  private final AtomicInteger attempts = new AtomicInteger();
  private final List<IOException> failures = new CopyOnWriteArrayList<>();
  private CountingCircuitBreaker breaker;
  private Recorder events;

  static Stream<Arguments> modesAndFaults() {
    return Stream.of(Mode.values()).flatMap(m -> Stream.of(Fault.RUNTIME_EXCEPTION, Fault.ERROR)
        .map(f -> Arguments.of(m, f)));
  }

  private Policy.Builder builder(CircuitBreakerConfig breakerConfig) {
    breaker = CountingCircuitBreaker.of("faults", breakerConfig, time);
    return Policy.builder("faults")
        .timeSource(time)
        .asyncExecutor(Runnable::run)
        .shutdownGate(gate)
        .circuitBreaker(breaker)
        .bulkhead(bulkhead)
        // Far beyond every scenario: if it fires, a call hung.
        .totalTimeout(Duration.ofSeconds(10));
  }

  private Policy.Builder builder() {
    return builder(CircuitBreakerConfig.ofDefaults());
  }

  private Policy listened(Policy.Builder builder) {
    Policy policy = builder.build();
    events = Recorder.on(policy.events());
    return policy;
  }

  private static RetryConfig.Builder<Object> retry() {
    return RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ofMillis(10));
  }

  private String failing() throws IOException {
    IOException e = new IOException("attempt " + attempts.incrementAndGet() + " failed");
    failures.add(e);
    throw e;
  }

  private String answering(String value) {
    attempts.incrementAndGet();
    return value;
  }

  /** The call ended with the user's throwable, the attempt's failure suppressed in it. */
  private void assertEndedWith(Outcome<?> out, Throwable userThrowable) {
    assertThat(out.failure).as("the call's outcome").isSameAs(userThrowable);
    if (!failures.isEmpty()) {
      assertThat(userThrowable.getSuppressed())
          .as("suppressed in the user's throwable")
          .contains(failures.get(failures.size() - 1));
    }
    assertThat(events.of(CallCompleted.class))
        .as("CallCompleted events")
        .singleElement()
        .extracting(CallCompleted::outcome)
        .isEqualTo(CallCompleted.Outcome.FAILURE);
    assertNothingHeld();
  }

  /**
   * Calls {@code work} once through the policy {@code b} builds and asserts that the call ended with
   * {@code x} after one attempt, as {@link #assertEndedWith} says.
   */
  private void assertTheCallEndsWith(
      Throwable x, Mode mode, Policy.Builder b, ThrowingSupplier<String, Exception> work) {
    Outcome<String> out = mode.call(listened(b), time, work);

    assertEndedWith(out, x);
    assertThat(attempts).as("attempts").hasValue(1);
  }

  private void assertNothingHeld() {
    assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls())
        .as("bulkhead permits available")
        .isEqualTo(BULKHEAD);
    assertThat(breaker.givenBack()).as("permissions given back, %s", breaker)
        .isEqualTo(breaker.taken());
    assertThat(gate.inFlight()).as("calls in flight at the gate").isZero();
  }

  // ---------------------------------------------------------------- the retry's user code

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void aRetryExceptionPredicateThatThrowsEndsTheCallWithWhatItThrew(Mode mode, Fault fault) {
    Throwable x = fault.create("retry predicate bug");
    assertTheCallEndsWith(x, mode, builder().retry(retry().retryOnException(t -> {
      throw raise(x);
    }).build()), this::failing);
  }

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void aRetryResultPredicateThatThrowsEndsTheCallWithWhatItThrew(Mode mode, Fault fault) {
    Throwable x = fault.create("result predicate bug");
    assertTheCallEndsWith(x, mode, builder().retry(retry().retryOnResult(r -> {
      throw raise(x);
    }).build()), () -> answering("value"));
  }

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void anIntervalBiFunctionThatThrowsEndsTheCallWithWhatItThrew(Mode mode, Fault fault) {
    Throwable x = fault.create("interval bug");
    assertTheCallEndsWith(x, mode, builder().retry(RetryConfig.custom().maxAttempts(3)
        .intervalBiFunction((attempt, outcome) -> {
          throw raise(x);
        }).build()), this::failing);
  }

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void anIntervalFunctionThatThrowsEndsTheCallWithWhatItThrew(Mode mode, Fault fault) {
    Throwable x = fault.create("interval bug");
    assertTheCallEndsWith(x, mode, builder().retry(RetryConfig.custom().maxAttempts(3)
        .intervalFunction(attempt -> {
          throw raise(x);
        }).build()), this::failing);
  }

  // ---------------------------------------------------------------- the fallback's user code

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void aFallbackPredicateThatThrowsEndsTheCallWithWhatItThrew(Mode mode, Fault fault) {
    Throwable x = fault.create("fallback predicate bug");
    Policy policy = listened(builder());

    Outcome<String> out = mode.call(policy, time, this::failing, Fallback.when(t -> {
      throw raise(x);
    }, t -> "fallback"));

    assertEndedWith(out, x);
  }

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void aFallbackFunctionThatThrowsEndsTheCallWithWhatItThrew(Mode mode, Fault fault) {
    Throwable x = fault.create("fallback bug");
    Policy policy = listened(builder());

    Outcome<String> out = mode.call(policy, time, this::failing,
        Fallback.<String, IOException>on(IOException.class, e -> {
          throw raise(x);
        }));

    assertEndedWith(out, x);
  }

  // ---------------------------------------------------------------- the breaker's user code

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void aBreakerExceptionPredicateThatThrowsEndsTheCallWithWhatItThrew(Mode mode, Fault fault) {
    Throwable x = fault.create("record predicate bug");
    assertTheCallEndsWith(x, mode, builder(CircuitBreakerConfig.custom().recordException(t -> {
      throw raise(x);
    }).build()).retry(retry().build()), this::failing);
  }

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void aBreakerResultPredicateThatThrowsEndsTheCallWithWhatItThrew(Mode mode, Fault fault) {
    Throwable x = fault.create("record result bug");
    assertTheCallEndsWith(x, mode, builder(CircuitBreakerConfig.custom().recordResult(r -> {
      throw raise(x);
    }).build()).retry(retry().build()), () -> answering("value"));
  }

  /** An exception the breaker's record predicate cannot classify: the predicate throws for it. */
  private static final class Unclassifiable extends IOException {
    private static final long serialVersionUID = 1L;

    Unclassifiable() {
      super("a failure the predicate chokes on");
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aBreakerPredicateThatThrowsWhileHalfOpenGivesThePermissionBackForTheNextProbe(Mode mode) {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Policy policy = listened(builder(CircuitBreakerConfig.custom()
        .slidingWindowSize(2)
        .minimumNumberOfCalls(2)
        .permittedNumberOfCallsInHalfOpenState(1)
        .waitDurationInOpenState(Duration.ofSeconds(1))
        .recordException(t -> {
          if (t instanceof Unclassifiable) {
            Throwable x = Fault.RUNTIME_EXCEPTION.create("record predicate bug");
            thrown.set(x);
            throw raise(x);
          }
          return true;
        })
        .build()));
    breaker.delegate().transitionToOpenState();
    breaker.delegate().transitionToHalfOpenState();

    Outcome<String> probe = mode.call(policy, time, () -> {
      attempts.incrementAndGet();
      throw new Unclassifiable();
    });
    Outcome<String> next = mode.call(policy, time, () -> answering("healed"));

    assertThat(probe.failure).as("the first probe's outcome").isSameAs(thrown.get());
    assertThat(next.failure).as("the next call is admitted as the probe").isNull();
    assertThat(next.result).isEqualTo("healed");
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(attempts).hasValue(2);
    assertThat(events.of(CallCompleted.class)).extracting(CallCompleted::outcome)
        .containsExactly(CallCompleted.Outcome.FAILURE, CallCompleted.Outcome.SUCCESS);
    assertNothingHeld();
  }

  // ---------------------------------------------------------------- handlers and executors

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void aDiscardedResultHandlerThatThrowsDoesNotChangeTheOutcome(Mode mode, Fault fault) {
    Throwable x = fault.create("discard handler bug");
    Policy policy = listened(builder()
        .retry(retry().retryOnResult(r -> ((String) r).startsWith("busy")).build())
        .onDiscardedResult(r -> {
          throw raise(x);
        }));

    Outcome<String> out =
        mode.call(policy, time, () -> answering(attempts.get() == 0 ? "busy" : "done"));

    assertThat(out.failure).as("the call's failure").isNull();
    assertThat(out.result).isEqualTo("done");
    assertThat(attempts).hasValue(2);
    assertThat(events.of(CallCompleted.class)).singleElement()
        .extracting(CallCompleted::outcome).isEqualTo(CallCompleted.Outcome.SUCCESS);
    assertNothingHeld();
  }

  @ParameterizedTest
  @EnumSource(value = Fault.class, names = {"RUNTIME_EXCEPTION", "ERROR"})
  void anAsyncExecutorThatRefusesTheRetryEndsTheCallWithWhatItThrew(Fault fault) {
    Throwable x = fault == Fault.RUNTIME_EXCEPTION
        ? new RejectedExecutionException("executor shut down")
        : fault.create("executor bug");
    Policy policy = listened(builder().retry(retry().build()).asyncExecutor(task -> {
      throw raise(x);
    }));

    Outcome<String> out = Mode.ASYNC.call(policy, time, this::failing);

    // The first attempt runs on the caller's thread; the retry is handed to the executor.
    assertThat(attempts.get()).as("attempts").isLessThanOrEqualTo(1);
    assertEndedWith(out, x);
  }

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void workThatThrowsEndsTheCallWithWhatItThrew(Mode mode, Fault fault) {
    Throwable x = fault.create("work bug");
    assertTheCallEndsWith(x, mode, builder(), () -> {
      attempts.incrementAndGet();
      throw raise(x);
    });
  }

  @ParameterizedTest
  @EnumSource(value = Fault.class, names = {"RUNTIME_EXCEPTION", "ERROR"})
  void anAsyncWorkSupplierThatThrowsEndsTheFutureWithWhatItThrew(Fault fault) {
    Throwable x = fault.create("supplier bug");
    Policy policy = listened(builder());

    Outcome<String> out = Mode.await(policy.<String>callAsync(() -> {
      attempts.incrementAndGet();
      throw raise(x);
    }), time);

    assertEndedWith(out, x);
    assertThat(attempts).hasValue(1);
  }

  @Test
  void anAsyncWorkThatReturnsNoStageEndsTheFutureWithANullPointerException() {
    Policy policy = listened(builder());

    Outcome<String> out = Mode.await(policy.<String>callAsync(() -> {
      attempts.incrementAndGet();
      return null;
    }), time);

    assertThat(out.failure).isInstanceOf(NullPointerException.class);
    assertThat(attempts).hasValue(1);
    assertThat(events.of(CallCompleted.class)).singleElement()
        .extracting(CallCompleted::outcome).isEqualTo(CallCompleted.Outcome.FAILURE);
    assertNothingHeld();
  }
}
