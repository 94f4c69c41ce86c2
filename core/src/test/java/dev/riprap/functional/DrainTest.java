package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.DrainReport;
import dev.riprap.Fallback;
import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.ShutdownGate;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import dev.riprap.testing.Recorder;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Drain: stop admitting, let in-flight calls finish, cut backoff waits short. */
class DrainTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final ShutdownGate gate = new ShutdownGate(time);

  private Policy.Builder builder() {
    return Policy.builder("orders").timeSource(time).asyncExecutor(Runnable::run).shutdownGate(gate);
  }

  @Test
  void drainReturnsAtOnceWhenIdle() throws Exception {
    DrainReport report = gate.drain(Duration.ofSeconds(30));

    assertThat(report).isEqualTo(new DrainReport(0, 0, 0, 0, Duration.ZERO));
    assertThat(report.isClean()).isTrue();
  }

  @Test
  void aDrainWithoutEndWaitsForTheCallInFlight() throws Exception {
    CompletableFuture<String> work = new CompletableFuture<>();
    CompletableFuture<String> call = builder().build().callAsync(() -> work);
    time.schedule(() -> work.complete("finished"), Duration.ofSeconds(2).toNanos());

    DrainReport report = gate.drain(Duration.ofMillis(Long.MAX_VALUE));

    assertThat(call).isCompletedWithValue("finished");
    assertThat(report).isEqualTo(new DrainReport(1, 1, 0, 0, Duration.ofSeconds(2)));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aCallAfterTheDrainStartedIsRejectedOrFallsBack(Mode mode) throws Exception {
    Policy policy = builder().build();
    gate.drain(Duration.ZERO);

    Outcome<String> rejected = mode.call(policy, time, () -> "never");
    Outcome<String> fellBack = mode.call(policy, time, () -> "never", Fallback.of("later"));

    assertThat(rejected.failure)
        .isInstanceOf(RejectedException.class)
        .hasMessage("Policy 'orders' rejected the call: shutting down");
    assertThat(((RejectedException) rejected.failure).reason())
        .isEqualTo(RejectionReason.SHUTTING_DOWN);
    assertThat(fellBack.result).isEqualTo("later");
    assertThat(gate.inFlight()).isZero();
  }

  @Test
  void anAsyncCallInFlightFinishesAndTheDrainReportsIt() throws Exception {
    Policy policy = builder().build();
    CompletableFuture<String> work = new CompletableFuture<>();
    CompletableFuture<String> call = policy.callAsync(() -> work);
    assertThat(gate.inFlight()).isEqualTo(1);
    // The work completes while the drain waits (a timer task of the fake clock).
    time.schedule(() -> work.complete("finished"), Duration.ofSeconds(2).toNanos());

    DrainReport report = gate.drain(Duration.ofSeconds(30));

    assertThat(call.get()).isEqualTo("finished");
    assertThat(report.inFlightAtStart()).isEqualTo(1);
    assertThat(report.completed()).isEqualTo(1);
    assertThat(report.stillRunning()).isZero();
    assertThat(report.took()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aSyncCallInFlightOnAnotherThreadFinishesBeforeTheDrainReturns() throws Exception {
    ShutdownGate realGate = new ShutdownGate();
    Policy policy = Policy.builder("orders").shutdownGate(realGate).build();
    CountDownLatch started = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<String> call = pool.submit(() -> policy.call(() -> {
        started.countDown();
        // The work ends only once the drain has begun, so the drain must wait for it.
        while (!realGate.isDraining()) {
          Thread.onSpinWait();
        }
        return "done";
      }));
      started.await();

      DrainReport report = realGate.drain(Duration.ofSeconds(30));

      assertThat(call.get()).isEqualTo("done");
      assertThat(report.inFlightAtStart()).isEqualTo(1);
      assertThat(report.completed()).isEqualTo(1);
      assertThat(report.isClean()).isTrue();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theDrainReportsACallStillRunningAtTheDeadline() throws Exception {
    Policy policy = builder().build();
    CompletableFuture<String> work = new CompletableFuture<>();
    CompletableFuture<String> call = policy.callAsync(() -> work);

    DrainReport report = gate.drain(Duration.ofSeconds(5));

    assertThat(report.stillRunning()).isEqualTo(1);
    assertThat(report.isClean()).isFalse();
    assertThat(report.took()).isEqualTo(Duration.ofSeconds(5));
    work.complete("late");
    assertThat(call.get()).isEqualTo("late");
    assertThat(gate.inFlight()).isZero();
  }

  @Test
  void anAsyncBackoffWaitIsCutShortAndTheCallEndsWithItsLastFailure() throws Exception {
    Policy policy = builder().retry(3, Duration.ofSeconds(20), Duration.ofSeconds(20)).build();
    Recorder events = Recorder.on(policy.events());
    CompletableFuture<String> call =
        policy.callAsync(() -> CompletableFuture.failedFuture(new IOException("down")));
    assertThat(call).isNotDone();

    DrainReport report = gate.drain(Duration.ofSeconds(1));

    assertThat(call).isCompletedExceptionally();
    assertThatCause(call).isInstanceOf(IOException.class).hasMessage("down");
    assertThat(report.retriesCutShort()).isEqualTo(1);
    assertThat(report.completed()).isEqualTo(1);
    assertThat(report.took()).isEqualTo(Duration.ZERO);
    assertThat(events.of(RetryAbandoned.class)).singleElement()
        .extracting(RetryAbandoned::reason).isEqualTo(RetryAbandoned.Reason.DRAINING);
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void aSyncBackoffWaitIsCutShortByADrainFromAnotherThread() throws Exception {
    ShutdownGate realGate = new ShutdownGate();
    Policy policy =
        Policy.builder("orders")
            .shutdownGate(realGate)
            .retry(3, Duration.ofMinutes(10), Duration.ofMinutes(10))
            .build();
    CountDownLatch failedOnce = new CountDownLatch(1);
    policy.events().subscribe(dev.riprap.event.RetryScheduled.class, e -> failedOnce.countDown());
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<String> call = pool.submit(() -> policy.call(() -> {
        throw new IOException("down");
      }));
      failedOnce.await();

      DrainReport report = realGate.drain(Duration.ofSeconds(30));

      assertThat(report.isClean()).isTrue();
      assertThat(report.retriesCutShort()).isEqualTo(1);
      try {
        call.get();
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(IOException.class).hasMessage("down");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> assertThatCause(
      CompletableFuture<?> f) {
    try {
      f.get();
      throw new AssertionError("expected a failed future");
    } catch (ExecutionException e) {
      return assertThat(e.getCause());
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
