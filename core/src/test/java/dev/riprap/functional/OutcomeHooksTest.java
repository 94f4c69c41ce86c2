package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.RetryBudget;
import dev.riprap.RetrySettings;
import dev.riprap.ShutdownGate;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.PolicyEvent;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.internal.EngineAccess;
import dev.riprap.internal.OutcomeHooks;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The engine's outcome hooks: a value the hooks call a failure counts as one for the breaker and
 * the call's outcome while the caller gets it; the hooks decide what is retried and after how
 * long, the engine's limits follow in the same decision; a retried value is released only when
 * the next attempt starts.
 */
class OutcomeHooksTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final List<Object> discarded = new CopyOnWriteArrayList<>();
  private final List<PolicyEvent> events = new CopyOnWriteArrayList<>();

  /** "busy ..." values are failures, retried after 7 ms; exceptions never count, never retry. */
  private final OutcomeHooks<Object, String> busyIsAFailure = new OutcomeHooks<>() {
    @Override
    public boolean isFailure(String result) {
      return result.startsWith("busy");
    }

    @Override
    public boolean countsForBreaker(Throwable failure) {
      return false;
    }

    @Override
    public long retryDelayNanos(Object work, int attempt, String result, Throwable failure) {
      return result != null && isFailure(result) ? TimeUnit.MILLISECONDS.toNanos(7) : -1;
    }

    @Override
    public void discard(String result) {
      discarded.add(result);
    }
  };

  private Policy.Builder builder(int attempts) {
    Policy.Builder b = Policy.builder("hooked").timeSource(time).asyncExecutor(Runnable::run)
        .retry(RetrySettings.builder(attempts).build())
        .circuitBreaker(CircuitBreakerConfig.ofDefaults());
    return EngineAccess.hooks(b, busyIsAFailure);
  }

  private Policy built(Policy.Builder b) {
    Policy p = b.build();
    p.events().subscribe(events::add);
    return p;
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFinalValueTheHooksCallAFailureIsReturnedButCountsAsOne(Mode mode) {
    Policy policy = built(builder(2));

    Mode.Outcome<String> out = mode.call(policy, time, () -> "busy");

    assertThat(out.result).isEqualTo("busy");
    assertThat(events).filteredOn(CallCompleted.class::isInstance).singleElement()
        .satisfies(e -> assertThat(((CallCompleted) e).outcome())
            .isEqualTo(CallCompleted.Outcome.FAILURE));
    var metrics = policy.circuitBreaker().orElseThrow().getMetrics();
    assertThat(metrics.getNumberOfFailedCalls()).isEqualTo(2);
    if (mode == Mode.SYNC) {
      // The hooks' wait (async waits are timer tasks, not blocking waits).
      assertThat(time.waits()).containsExactly(Duration.ofMillis(7));
    }
    // The first value was released when the second attempt started; the last one is the caller's.
    assertThat(discarded).containsExactly("busy");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anExceptionTheHooksDoNotCountLeavesTheBreakerUntouchedAndIsNotRetried(Mode mode) {
    Policy policy = built(builder(3));
    AtomicInteger calls = new AtomicInteger();

    Mode.Outcome<String> out = mode.call(policy, time, () -> {
      calls.incrementAndGet();
      throw new IllegalArgumentException("the caller's own");
    });

    assertThat(out.failure).isInstanceOf(IllegalArgumentException.class);
    assertThat(calls).hasValue(1);
    var metrics = policy.circuitBreaker().orElseThrow().getMetrics();
    assertThat(metrics.getNumberOfFailedCalls()).isZero();
    assertThat(metrics.getNumberOfSuccessfulCalls()).isZero();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anEmptyBudgetEndsTheDecisionWithTheValueUntouched(Mode mode) {
    RetryBudget empty = RetryBudget.builder().ratio(0).minRetriesPerSecond(0).timeSource(time)
        .build();
    Policy policy = built(builder(3).retryBudget(empty));

    Mode.Outcome<String> out = mode.call(policy, time, () -> "busy");

    assertThat(out.result).isEqualTo("busy");
    assertThat(discarded).isEmpty();
    assertThat(events).filteredOn(RetryAbandoned.class::isInstance).singleElement()
        .satisfies(e -> assertThat(((RetryAbandoned) e).reason())
            .isEqualTo(RetryAbandoned.Reason.BUDGET_EXHAUSTED));
  }

  @Test
  void aDrainDuringTheWaitEndsTheCallWithTheRetriedValueUntouched() throws Exception {
    ShutdownGate gate = new ShutdownGate(time);
    Policy policy = built(builder(3).shutdownGate(gate));

    CompletableFuture<String> f =
        policy.callAsync(() -> CompletableFuture.completedFuture("busy"));
    assertThat(f).isNotDone();
    gate.drain(Duration.ZERO);

    assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("busy");
    assertThat(discarded).isEmpty();
  }
}
