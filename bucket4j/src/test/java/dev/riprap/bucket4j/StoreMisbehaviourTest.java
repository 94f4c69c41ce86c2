package dev.riprap.bucket4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.event.EventStream;
import dev.riprap.event.LimiterModeChanged;
import dev.riprap.event.LimiterModeChanged.Mode;
import dev.riprap.testing.FakeTimeSource;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * A store of the user's that misbehaves (throws an Error, answers a null stage, never answers
 * while the caller is interrupted): whatever it does, the store breaker's permission is given back
 * once, so a failed probe never leaves the breaker half-open for good with the store never asked
 * again, and what the store threw stays visible.
 */
class StoreMisbehaviourTest {
  private static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);

  private final FakeTimeSource time = new FakeTimeSource();
  private final ScriptedStore store = new ScriptedStore();
  private final DistributedLimiter limiter = DistributedLimiter.builder(store.proxyManager(), "k")
      .limit(100, Duration.ofSeconds(1))
      .failMode(FailMode.REJECT)
      .storeRetryInterval(RETRY_INTERVAL)
      .timeSource(time)
      .build();
  private final Policy policy = Policy.builder("upstream").timeSource(time).rateLimiter(limiter)
      .build();

  private String call(boolean async) throws Exception {
    try {
      if (async) {
        return policy.callAsync(() -> CompletableFuture.completedFuture("ran"))
            .get(30, TimeUnit.SECONDS);
      }
      return policy.call(() -> "ran");
    } catch (ExecutionException e) {
      throw (Exception) unwrapped(e.getCause());
    }
  }

  /** An Error is handed back as the cause of an Exception, so that the test can throw it. */
  private static Throwable unwrapped(Throwable t) {
    return t instanceof Error ? new ExecutionException(t) : t;
  }

  private Throwable failure(boolean async) {
    try {
      return new AssertionError("the call passed: " + call(async));
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Throwable t) {
      return t;
    }
  }

  /** The store fails once: its breaker opens, and its retry interval passes. */
  private void openTheBreakerAndWaitForTheProbe(boolean async) {
    store.answer = () -> CompletableFuture.failedFuture(new IOException("connection reset"));
    assertThat(failure(async)).isInstanceOf(RejectedException.class);
    assertThat(limiter.storeBreaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
    time.advance(RETRY_INTERVAL.plusNanos(1));
  }

  /** The store is healthy again: the next probe reaches it and closes the breaker. */
  private void assertTheStoreIsAskedAgain(boolean async, int askedBefore) throws Exception {
    store.answer = () -> CompletableFuture.completedFuture(true);
    time.advance(RETRY_INTERVAL.plusNanos(1));
    assertThat(call(async)).isEqualTo("ran");
    assertThat(store.asked).hasValue(askedBefore + 1);
    assertThat(limiter.storeBreaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(limiter.mode()).isEqualTo(Mode.SHARED);
  }

  @ParameterizedTest(name = "async={0}")
  @ValueSource(booleans = {false, true})
  void anErrorThrownByTheStoreDuringTheProbeStaysVisibleAndTheStoreIsProbedAgain(boolean async)
      throws Exception {
    openTheBreakerAndWaitForTheProbe(async);
    LinkageError broken = new LinkageError("the store's codec is missing");
    store.answer = () -> {
      throw broken;
    };

    assertThat(failure(async)).isSameAs(broken);
    assertThat(limiter.storeBreaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);

    assertTheStoreIsAskedAgain(async, 2);
  }

  @ParameterizedTest(name = "async={0}")
  @ValueSource(booleans = {false, true})
  void aNullStageFromTheStoreDuringTheProbeIsAStoreFailureAndTheStoreIsProbedAgain(boolean async)
      throws Exception {
    openTheBreakerAndWaitForTheProbe(async);
    store.answer = () -> null;

    Throwable refused = failure(async);
    assertThat(refused).isInstanceOf(RejectedException.class);
    assertThat(((RejectedException) refused).reason()).isEqualTo(RejectionReason.RATE_LIMITED);
    assertThat(limiter.storeBreaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);

    assertTheStoreIsAskedAgain(async, 2);
  }

  @ParameterizedTest(name = "async={0}")
  @ValueSource(booleans = {false, true})
  void aNullAnswerFromTheStoreDuringTheProbeIsAStoreFailureAndTheStoreIsProbedAgain(
      boolean async) throws Exception {
    openTheBreakerAndWaitForTheProbe(async);
    store.answer = () -> CompletableFuture.completedFuture(null);

    Throwable refused = failure(async);
    assertThat(refused).isInstanceOf(RejectedException.class);
    assertThat(((RejectedException) refused).reason()).isEqualTo(RejectionReason.RATE_LIMITED);
    assertThat(limiter.storeBreaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);

    assertTheStoreIsAskedAgain(async, 2);
  }

  @Test
  void aProbeInterruptedWhileTheStoreIsSilentKeepsTheFlagAndTheStoreIsProbedAgain()
      throws Exception {
    openTheBreakerAndWaitForTheProbe(false);
    store.answer = CompletableFuture::new;
    Thread.currentThread().interrupt();

    Throwable refused = failure(false);

    assertThat(Thread.interrupted()).isTrue();
    assertThat(refused).isInstanceOf(RejectedException.class)
        .hasCauseInstanceOf(InterruptedException.class);
    assertThat(((RejectedException) refused).reason()).isEqualTo(RejectionReason.RATE_LIMITED);
    assertThat(limiter.storeBreaker().getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    // Not held against the store: the next call is the probe.
    store.answer = () -> CompletableFuture.completedFuture(true);
    assertThat(call(false)).isEqualTo("ran");
    assertThat(store.asked).hasValue(3);
    assertThat(limiter.storeBreaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void modeChangesReachEveryListenerInTheOrderTheyHappenedEvenWhenOneOverlapsAnother()
      throws Exception {
    openTheBreakerAndWaitForTheProbe(false);
    List<Mode> seenBySecond = new CopyOnWriteArrayList<>();
    AtomicReference<Throwable> overlapping = new AtomicReference<>();
    // While the change back to SHARED is being published, another thread's request fails: its
    // change is the later one and must not reach a listener before the earlier one.
    policy.events().subscribe(LimiterModeChanged.class, e -> {
      if (e.mode() == Mode.SHARED) {
        store.answer = () -> CompletableFuture.failedFuture(new IOException("reset again"));
        Thread other = new Thread(() -> overlapping.set(failure(false)));
        other.start();
        try {
          other.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    });
    policy.events().subscribe(LimiterModeChanged.class, e -> seenBySecond.add(e.mode()));
    store.answer = () -> CompletableFuture.completedFuture(true);

    assertThat(call(false)).isEqualTo("ran");

    assertThat(overlapping.get()).isInstanceOf(RejectedException.class);
    assertThat(limiter.mode()).isEqualTo(Mode.REJECT);
    assertThat(seenBySecond).containsExactly(Mode.SHARED, Mode.REJECT);
  }

  @Test
  void aPolicyTheApplicationDropsIsNotKeptAliveByTheLimiter() {
    WeakReference<EventStream> dropped = new WeakReference<>(
        Policy.builder("per-request").timeSource(time).rateLimiter(limiter).build().events());

    // A full collection clears what only weak references reach; a few, in case one is skipped.
    for (int i = 0; i < 20 && dropped.get() != null; i++) {
      System.gc();
    }

    assertThat(dropped.get()).isNull();
  }

  @Test
  void aSyncAskWhoseDeadlineHasAlreadyPassedAnswersTheDeadlineNotARefusal() throws Exception {
    store.answer = CompletableFuture::new;

    // Past the deadline by a nanosecond: a refusal (negative) would end the call as rate limited.
    long answer = limiter.acquire(-1);

    assertThat(answer).isNotNegative();
    assertThat(time.waits()).containsExactly(Duration.ZERO);
    assertThat(limiter.storeBreaker().getMetrics().getNumberOfFailedCalls()).isZero();
    assertThat(limiter.mode()).isEqualTo(Mode.SHARED);
  }

  @Test
  void aQuotaFasterThanOnePermitANanosecondIsRefusedWhenBuiltNamingTheArguments() {
    var builder = DistributedLimiter.builder(store.proxyManager(), "k");
    assertThatThrownBy(() -> builder.limit(2, Duration.ofNanos(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permits must be at most one per nanosecond of period (1ns: at most 1),"
            + " was 2");
    assertThatThrownBy(() -> builder.limit(Long.MAX_VALUE, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permits must be at most one per nanosecond of period"
            + " (1s: at most 1000000000), was 9223372036854775807");
    assertThatThrownBy(() -> builder.localLimit(2_000_000, Duration.ofMillis(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("localPermits must be at most one per nanosecond of localPeriod"
            + " (1ms: at most 1000000), was 2000000");
  }

  @Test
  void theLargestQuotaWithTheLargestFleetBuildsWithoutOverflow() {
    long permits = Duration.ofDays(36_500).toNanos();
    DistributedLimiter huge = DistributedLimiter.builder(store.proxyManager(), "k")
        .limit(permits, Duration.ofDays(36_500))
        .replicas(Integer.MAX_VALUE)
        .failMode(FailMode.LOCAL)
        .timeSource(time)
        .build();
    store.answer = () -> CompletableFuture.failedFuture(new IOException("down"));

    // The local share, ceil(permits / replicas), lets this call through.
    assertThat(Policy.builder("huge").timeSource(time).rateLimiter(huge).build()
        .call(() -> "ran")).isEqualTo("ran");
    assertThat(huge.mode()).isEqualTo(Mode.LOCAL);
  }
}
