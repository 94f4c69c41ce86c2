package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Fallback;
import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.RetryBudget;
import dev.riprap.event.AttemptTimedOut;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.CallRejected;
import dev.riprap.event.CircuitStateChanged;
import dev.riprap.event.FallbackApplied;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import dev.riprap.testing.Recorder;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every strategy and the composition order, proven by behaviour, through sync and async alike. */
class PipelineTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final AtomicInteger calls = new AtomicInteger();

  private Policy.Builder builder() {
    return Policy.builder("inventory").timeSource(time).asyncExecutor(Runnable::run);
  }

  private static RetryConfig fixedRetry(int attempts, Duration wait) {
    return RetryConfig.custom().maxAttempts(attempts).waitDuration(wait).build();
  }

  private String failTwiceThenSucceed() throws IOException {
    int n = calls.incrementAndGet();
    if (n < 3) {
      throw new IOException("attempt " + n + " failed");
    }
    return "ok after " + n;
  }

  private String alwaysFail() throws IOException {
    throw new IOException("attempt " + calls.incrementAndGet() + " failed");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void retriesUntilSuccessWaitingTheConfiguredDelays(Mode mode) {
    Policy policy = builder().retry(fixedRetry(3, Duration.ofMillis(100))).build();
    Recorder events = Recorder.on(policy.events());

    Outcome<String> out = mode.call(policy, time, this::failTwiceThenSucceed);

    assertThat(out.result).isEqualTo("ok after 3");
    assertThat(time.nanoTime()).isEqualTo(Duration.ofMillis(200).toNanos());
    assertThat(events.of(RetryScheduled.class))
        .extracting(RetryScheduled::attempt, RetryScheduled::delay)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1, Duration.ofMillis(100)),
            org.assertj.core.groups.Tuple.tuple(2, Duration.ofMillis(100)));
    assertThat(events.of(RetryScheduled.class).get(0).cause())
        .hasMessage("attempt 1 failed");
    assertThat(events.of(CallCompleted.class))
        .singleElement()
        .satisfies(c -> {
          assertThat(c.outcome()).isEqualTo(CallCompleted.Outcome.SUCCESS);
          assertThat(c.attempts()).isEqualTo(3);
          assertThat(c.duration()).isEqualTo(Duration.ofMillis(200));
        });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aCheckedExceptionComesBackAsItselfAfterTheLastAttempt(Mode mode) {
    Policy policy = builder().retry(fixedRetry(3, Duration.ofMillis(10))).build();
    Recorder events = Recorder.on(policy.events());

    Outcome<String> out = mode.call(policy, time, this::alwaysFail);

    assertThat(out.failure).isExactlyInstanceOf(IOException.class).hasMessage("attempt 3 failed");
    assertThat(calls).hasValue(3);
    assertThat(events.of(RetryAbandoned.class))
        .singleElement()
        .extracting(RetryAbandoned::reason)
        .isEqualTo(RetryAbandoned.Reason.MAX_ATTEMPTS);
    assertThat(events.of(CallCompleted.class).get(0).outcome())
        .isEqualTo(CallCompleted.Outcome.FAILURE);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theBreakerRecordsEveryRetryAttemptOnce(Mode mode) {
    Policy policy =
        builder()
            .retry(fixedRetry(3, Duration.ofMillis(10)))
            .circuitBreaker(
                CircuitBreakerConfig.custom().slidingWindowSize(10).minimumNumberOfCalls(10).build())
            .build();

    mode.call(policy, time, this::failTwiceThenSucceed);

    CircuitBreaker.Metrics m = policy.circuitBreaker().orElseThrow().getMetrics();
    assertThat(m.getNumberOfFailedCalls()).isEqualTo(2);
    assertThat(m.getNumberOfSuccessfulCalls()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anOpenBreakerRejectsWithoutRunningTheWorkAndIsNotRetried(Mode mode) {
    Policy policy =
        builder()
            .retry(fixedRetry(3, Duration.ofMillis(10)))
            .circuitBreaker(CircuitBreakerConfig.ofDefaults())
            .build();
    policy.circuitBreaker().orElseThrow().transitionToOpenState();
    Recorder events = Recorder.on(policy.events());

    Outcome<String> out = mode.call(policy, time, this::alwaysFail);

    assertThat(out.failure)
        .isExactlyInstanceOf(RejectedException.class)
        .hasMessage("Policy 'inventory' rejected the call: circuit open")
        .hasCauseInstanceOf(CallNotPermittedException.class);
    assertThat(((RejectedException) out.failure).reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN);
    assertThat(((RejectedException) out.failure).policyName()).isEqualTo("inventory");
    assertThat(calls).hasValue(0);
    assertThat(time.waits()).isEmpty();
    assertThat(events.of(CallCompleted.class).get(0))
        .extracting(CallCompleted::outcome, CallCompleted::rejection, CallCompleted::attempts)
        .containsExactly(CallCompleted.Outcome.REJECTED, RejectionReason.CIRCUIT_OPEN, 1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anOpenBreakerIsRetriedWhenAskedTo(Mode mode) {
    Policy policy =
        builder()
            .retry(fixedRetry(2, Duration.ofMillis(10)))
            .retryWhenCircuitOpen(true)
            .circuitBreaker(CircuitBreakerConfig.ofDefaults())
            .build();
    CircuitBreaker breaker = policy.circuitBreaker().orElseThrow();
    breaker.transitionToOpenState();
    policy.events().subscribe(RetryScheduled.class, e -> breaker.transitionToClosedState());

    Outcome<String> out = mode.call(policy, time, () -> "through on attempt 2");

    assertThat(out.result).isEqualTo("through on attempt 2");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theBreakerDoesNotCountTheLimiterOrBulkheadRejections(Mode mode) {
    Policy limited =
        builder()
            .circuitBreaker(CircuitBreakerConfig.ofDefaults())
            .rateLimiter(
                RateLimiterConfig.custom()
                    .limitForPeriod(1)
                    .limitRefreshPeriod(Duration.ofHours(1))
                    .timeoutDuration(Duration.ZERO)
                    .build())
            .build();

    assertThat(mode.call(limited, time, () -> "first").result).isEqualTo("first");
    Outcome<String> second = mode.call(limited, time, () -> "second");

    assertThat(second.failure)
        .isInstanceOf(RejectedException.class)
        .hasMessage("Policy 'inventory' rejected the call: rate limited")
        .hasCauseInstanceOf(RequestNotPermitted.class);
    CircuitBreaker.Metrics m = limited.circuitBreaker().orElseThrow().getMetrics();
    assertThat(m.getNumberOfFailedCalls()).isZero();
    assertThat(m.getNumberOfBufferedCalls()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFullBulkheadRejectsAndThePermitComesBack(Mode mode) throws Exception {
    Policy policy = builder().bulkhead(1).circuitBreaker(CircuitBreakerConfig.ofDefaults()).build();
    Recorder events = Recorder.on(policy.events());
    java.util.concurrent.CompletableFuture<String> holder = new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.CompletableFuture<String> inFlight = policy.callAsync(() -> holder);

    Outcome<String> rejected = mode.call(policy, time, () -> "never");

    assertThat(rejected.failure)
        .isInstanceOf(RejectedException.class)
        .hasMessage("Policy 'inventory' rejected the call: bulkhead full")
        .hasCauseInstanceOf(BulkheadFullException.class);
    assertThat(events.of(CallRejected.class))
        .extracting(CallRejected::reason)
        .containsExactly(RejectionReason.BULKHEAD_FULL);
    holder.complete("done");
    assertThat(inFlight.get()).isEqualTo("done");
    assertThat(policy.bulkhead().orElseThrow().getMetrics().getAvailableConcurrentCalls())
        .isEqualTo(1);
    assertThat(policy.circuitBreaker().orElseThrow().getMetrics().getNumberOfFailedCalls())
        .isZero();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theFallbackSeesTheFinalFailure(Mode mode) {
    Policy policy = builder().retry(fixedRetry(3, Duration.ofMillis(10))).build();
    Recorder events = Recorder.on(policy.events());

    Outcome<String> out =
        mode.call(
            policy,
            time,
            this::alwaysFail,
            Fallback.on(IOException.class, e -> "fallback for " + e.getMessage()));

    assertThat(out.result).isEqualTo("fallback for attempt 3 failed");
    assertThat(events.of(FallbackApplied.class)).hasSize(1);
    assertThat(events.of(CallCompleted.class).get(0).outcome())
        .isEqualTo(CallCompleted.Outcome.FALLBACK);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theFallbackSeesRejections(Mode mode) {
    Policy policy = builder().circuitBreaker(CircuitBreakerConfig.ofDefaults()).build();
    policy.circuitBreaker().orElseThrow().transitionToForcedOpenState();

    Outcome<String> out =
        mode.call(
            policy,
            time,
            () -> "never",
            Fallback.<String, RejectedException>on(
                RejectedException.class, e -> "cached (" + e.reason().text() + ")"));

    assertThat(out.result).isEqualTo("cached (circuit open)");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFailureNoFallbackCaseHandlesIsThrownAsItself(Mode mode) {
    Policy policy = builder().build();

    Outcome<String> out =
        mode.call(policy, time, this::alwaysFail, Fallback.on(IllegalStateException.class, e -> "x"));

    assertThat(out.failure).isExactlyInstanceOf(IOException.class);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aReusableFallbackPolicyAppliesItsFallbackToEveryCall(Mode mode) throws Exception {
    Policy policy = builder().build();
    dev.riprap.FallbackPolicy<String> withFallback = policy.withFallback(Fallback.of("default"));

    String value =
        mode == Mode.SYNC
            ? withFallback.call(this::alwaysFail)
            : withFallback.callAsync(() -> Mode.stage(this::alwaysFail)).get();

    assertThat(value).isEqualTo("default");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theTotalTimeoutSkipsABackoffThatWouldEndPastIt(Mode mode) {
    Policy policy =
        builder()
            .retry(fixedRetry(3, Duration.ofSeconds(10)))
            .totalTimeout(Duration.ofSeconds(3))
            .build();
    Recorder events = Recorder.on(policy.events());

    Outcome<String> out = mode.call(policy, time, this::alwaysFail);

    assertThat(out.failure).isExactlyInstanceOf(IOException.class).hasMessage("attempt 1 failed");
    assertThat(time.waits()).isEmpty();
    assertThat(time.nanoTime()).isLessThan(Duration.ofSeconds(3).toNanos());
    assertThat(events.of(RetryAbandoned.class))
        .singleElement()
        .extracting(RetryAbandoned::reason)
        .isEqualTo(RetryAbandoned.Reason.DEADLINE);
    assertThat(time.pendingTasks()).isZero();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRetryRefusedByTheBudgetEndsTheCallWithItsLastOutcome(Mode mode) {
    RetryBudget budget =
        RetryBudget.builder().ratio(0).minRetriesPerSecond(0).timeSource(time).build();
    Policy policy =
        builder().retry(fixedRetry(3, Duration.ofMillis(10))).retryBudget(budget).build();
    Recorder events = Recorder.on(policy.events());

    Outcome<String> out = mode.call(policy, time, this::alwaysFail);

    assertThat(out.failure).hasMessage("attempt 1 failed");
    assertThat(calls).hasValue(1);
    assertThat(events.of(RetryAbandoned.class))
        .singleElement()
        .extracting(RetryAbandoned::reason)
        .isEqualTo(RetryAbandoned.Reason.BUDGET_EXHAUSTED);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aResultTheRetryFlagsIsRetriedAndTheLastOneReturned(Mode mode) {
    Policy policy =
        builder()
            .retry(
                RetryConfig.<String>custom()
                    .maxAttempts(3)
                    .waitDuration(Duration.ofMillis(5))
                    .retryOnResult(r -> r.startsWith("busy"))
                    .build())
            .build();

    Outcome<String> out = mode.call(policy, time, () -> "busy " + calls.incrementAndGet());

    assertThat(out.result).isEqualTo("busy 3");
    assertThat(time.nanoTime()).isEqualTo(Duration.ofMillis(10).toNanos());
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aBreakerTransitionIsPublishedWithThePolicyTags(Mode mode) {
    Policy policy =
        builder()
            .tag("host", "api.example.com")
            .circuitBreaker(
                CircuitBreakerConfig.custom().slidingWindowSize(2).minimumNumberOfCalls(2).build())
            .build();
    Recorder events = Recorder.on(policy.events());

    mode.call(policy, time, this::alwaysFail);
    mode.call(policy, time, this::alwaysFail);

    List<CircuitStateChanged> changes = events.of(CircuitStateChanged.class);
    assertThat(changes).singleElement().satisfies(c -> {
      assertThat(c.to()).isEqualTo(CircuitBreaker.State.OPEN);
      assertThat(c.tags()).containsEntry("host", "api.example.com");
      assertThat(c.policy()).isEqualTo("inventory");
    });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theOpenBreakerLetsATrialCallThroughAfterItsWaitOnTheFakeClock(Mode mode) {
    Policy policy =
        builder()
            .circuitBreaker(
                CircuitBreakerConfig.custom()
                    .slidingWindowSize(2)
                    .minimumNumberOfCalls(2)
                    .waitDurationInOpenState(Duration.ofSeconds(5))
                    .permittedNumberOfCallsInHalfOpenState(1)
                    .build())
            .build();
    mode.call(policy, time, this::alwaysFail);
    mode.call(policy, time, this::alwaysFail);
    assertThat(mode.call(policy, time, () -> "x").failure).isInstanceOf(RejectedException.class);

    // resilience4j lets the trial through once the clock is strictly past the wait.
    time.advance(Duration.ofSeconds(5).plusMillis(1));

    Outcome<String> trial = mode.call(policy, time, () -> "recovered");
    assertThat(trial.failure).isNull();
    assertThat(trial.result).isEqualTo("recovered");
    assertThat(policy.circuitBreaker().orElseThrow().getState())
        .isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anAttemptTimeoutFailsTheAttemptAndTheRetryTriesAgain(Mode mode) {
    Policy policy =
        builder()
            .retry(fixedRetry(2, Duration.ofMillis(50)))
            .attemptTimeout(Duration.ofSeconds(1))
            .circuitBreaker(CircuitBreakerConfig.ofDefaults())
            .build();
    Recorder events = Recorder.on(policy.events());

    Outcome<String> out =
        mode == Mode.SYNC
            ? mode.call(policy, time, () -> {
                if (calls.incrementAndGet() == 1) {
                  time.sleep(Duration.ofSeconds(5));
                }
                return "second attempt";
              })
            : asyncFirstAttemptHangs(policy);

    assertThat(out.result).isEqualTo("second attempt");
    assertThat(events.of(AttemptTimedOut.class))
        .singleElement()
        .satisfies(t -> {
          assertThat(t.attempt()).isEqualTo(1);
          assertThat(t.timeout()).isEqualTo(Duration.ofSeconds(1));
          assertThat(t.total()).isFalse();
        });
    assertThat(policy.circuitBreaker().orElseThrow().getMetrics().getNumberOfFailedCalls())
        .isEqualTo(1);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    assertThat(time.pendingTasks()).isZero();
  }

  private Outcome<String> asyncFirstAttemptHangs(Policy policy) {
    java.util.concurrent.CompletableFuture<String> hanging = new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.CompletableFuture<String> f =
        policy.callAsync(
            () -> calls.incrementAndGet() == 1
                ? hanging
                : java.util.concurrent.CompletableFuture.completedFuture("second attempt"));
    while (!f.isDone()) {
      assertThat(time.advanceToNextTask()).isTrue();
    }
    assertThat(hanging).isCancelled();
    return Outcome(f);
  }

  private static Outcome<String> Outcome(java.util.concurrent.CompletableFuture<String> f) {
    return Mode.SYNC.call(
        Policy.builder("unwrap").build(), new FakeTimeSource(), () -> {
          try {
            return f.get();
          } catch (java.util.concurrent.ExecutionException e) {
            throw (Exception) e.getCause();
          }
        });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theTotalTimeoutCutsAnAttemptInFlightAndEndsTheCall(Mode mode) {
    Policy policy =
        builder()
            .retry(fixedRetry(3, Duration.ofMillis(10)))
            .totalTimeout(Duration.ofSeconds(2))
            .build();
    Recorder events = Recorder.on(policy.events());

    Outcome<String> out;
    if (mode == Mode.SYNC) {
      out = mode.call(policy, time, () -> {
        calls.incrementAndGet();
        time.sleep(Duration.ofSeconds(10));
        return "too late";
      });
    } else {
      java.util.concurrent.CompletableFuture<String> f =
          policy.callAsync(() -> {
            calls.incrementAndGet();
            return new java.util.concurrent.CompletableFuture<String>();
          });
      time.advance(Duration.ofSeconds(2));
      assertThat(f).isDone();
      out = Outcome(f);
    }

    assertThat(out.failure)
        .isInstanceOf(RejectedException.class)
        .hasMessage("Policy 'inventory' rejected the call: timed out (total timeout 2s)")
        .hasCauseInstanceOf(TimeoutException.class);
    assertThat(calls).hasValue(1);
    assertThat(events.of(AttemptTimedOut.class)).singleElement()
        .extracting(AttemptTimedOut::total).isEqualTo(true);
    assertThat(events.of(CallCompleted.class).get(0).outcome())
        .isEqualTo(CallCompleted.Outcome.TIMED_OUT);
    assertThat(time.nanoTime()).isEqualTo(Duration.ofSeconds(2).toNanos());
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aThrowingListenerNeverBreaksTheCallAndARemovedListenerHearsNothing(Mode mode) {
    Policy policy = builder().build();
    policy.events().subscribe(e -> {
      throw new IllegalStateException("listener bug");
    });
    Recorder removed = new Recorder();
    dev.riprap.event.Subscription s = policy.events().subscribe(e -> {
      throw new AssertionError("removed listener was called with " + e);
    });
    s.close();
    s.close();

    assertThat(mode.call(policy, time, () -> "fine").result).isEqualTo("fine");
    assertThat(removed.all()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aPacedRateRejectsACallThatCannotGetItsSlotInTime(Mode mode) {
    Policy policy = builder().pacedRate(1, Duration.ZERO).build();

    assertThat(mode.call(policy, time, () -> "first").result).isEqualTo("first");
    Outcome<String> second = mode.call(policy, time, () -> "second");

    assertThat(second.failure)
        .isInstanceOf(RejectedException.class)
        .extracting(f -> ((RejectedException) f).reason())
        .isEqualTo(RejectionReason.RATE_LIMITED);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anErrorIsNeitherRetriedNorReplacedByADefaultFallback(Mode mode) {
    Policy policy = builder().retry(fixedRetry(3, Duration.ofMillis(10))).build();

    Outcome<String> out = mode.call(policy, time, () -> {
      calls.incrementAndGet();
      throw new AssertionError("bug");
    }, Fallback.of("fallback"));

    assertThat(out.failure).isExactlyInstanceOf(AssertionError.class).hasMessage("bug");
    assertThat(calls).hasValue(1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aBreakerThatReadsResultsCountsAFlaggedResultAsAFailure(Mode mode) {
    Policy reading = builder()
        .circuitBreaker(CircuitBreakerConfig.custom().recordResult("bad"::equals).build())
        .build();
    Policy plain = Policy.builder("plain").timeSource(time).asyncExecutor(Runnable::run)
        .circuitBreaker(CircuitBreakerConfig.ofDefaults()).build();

    mode.call(reading, time, () -> "bad");
    mode.call(reading, time, () -> "good");
    mode.call(plain, time, () -> "bad");

    CircuitBreaker.Metrics m = reading.circuitBreaker().orElseThrow().getMetrics();
    assertThat(m.getNumberOfFailedCalls()).isEqualTo(1);
    assertThat(m.getNumberOfSuccessfulCalls()).isEqualTo(1);
    assertThat(plain.circuitBreaker().orElseThrow().getMetrics().getNumberOfSuccessfulCalls())
        .isEqualTo(1);
  }
}
