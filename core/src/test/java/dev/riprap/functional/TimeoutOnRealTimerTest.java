package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The attempt timeout on the real timer thread: work blocked on a latch that never opens is
 * interrupted at the deadline, the call ends with a timeout, and the interrupt does not leak into
 * the caller's later code. Nothing here waits for a state change: the timeout is what ends the wait.
 */
class TimeoutOnRealTimerTest {

  @Test
  void aBlockedSyncAttemptIsInterruptedAndTheFlagDoesNotLeak() {
    Policy policy = Policy.builder("slow").attemptTimeout(Duration.ofMillis(50)).build();
    CountDownLatch never = new CountDownLatch(1);

    assertThatThrownBy(() -> policy.call(() -> never.await(1, TimeUnit.HOURS)))
        .isInstanceOf(RejectedException.class)
        .hasMessage("Policy 'slow' rejected the call: timed out (attempt timeout 50ms)")
        .satisfies(e -> assertThat(((RejectedException) e).reason())
            .isEqualTo(RejectionReason.TIMED_OUT));
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @Test
  void aFastSyncAttemptIsNotDisturbedByItsTimer() throws Exception {
    Policy policy = Policy.builder("fast").attemptTimeout(Duration.ofSeconds(30)).build();

    for (int i = 0; i < 1000; i++) {
      int n = i;
      assertThat(policy.call(() -> n)).isEqualTo(n);
    }
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @Test
  void aCallerInterruptedBeforeTheCallKeepsItsFlag() {
    Policy policy = Policy.builder("p").retry(3, Duration.ofMillis(1), Duration.ofMillis(1)).build();
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> policy.call(() -> {
        Thread.sleep(1000);
        return "slept";
      })).isInstanceOf(InterruptedException.class);
      assertThat(Thread.currentThread().isInterrupted())
          .as("InterruptedException cleared the flag, as the JDK does; no retry re-ran the work")
          .isFalse();
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void anInterruptDuringTheBackoffStopsTheRetriesAndKeepsTheFlag() {
    Policy policy =
        Policy.builder("p").retry(3, Duration.ofSeconds(30), Duration.ofSeconds(30)).build();
    java.util.List<RetryAbandoned> abandoned = new java.util.ArrayList<>();
    policy.events().subscribe(RetryAbandoned.class, abandoned::add);
    // The interrupt arrives just as the policy starts its 30 s wait between attempts.
    policy.events().subscribe(RetryScheduled.class, e -> Thread.currentThread().interrupt());
    int[] attempts = {0};
    try {
      assertThatThrownBy(() -> policy.call(() -> {
        attempts[0]++;
        throw new java.io.IOException("attempt " + attempts[0] + " failed");
      })).isInstanceOf(java.io.IOException.class).hasMessage("attempt 1 failed");
      assertThat(attempts[0]).isEqualTo(1);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
      assertThat(abandoned).singleElement().extracting(RetryAbandoned::reason)
          .isEqualTo(RetryAbandoned.Reason.INTERRUPTED);
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void anAsyncAttemptThatNeverCompletesIsCancelledAtTheDeadline() {
    Policy policy = Policy.builder("slow").attemptTimeout(Duration.ofMillis(50)).build();
    CompletableFuture<String> hanging = new CompletableFuture<>();

    CompletableFuture<String> result = policy.callAsync(() -> hanging);

    assertThatThrownBy(result::get)
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(RejectedException.class)
        .hasMessage("Policy 'slow' rejected the call: timed out (attempt timeout 50ms)");
    assertThat(hanging).isCancelled();
  }

  @Test
  void withATimeoutExecutorTheCallerReturnsEvenWhenTheWorkIgnoresInterrupts() throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newCachedThreadPool();
    try {
      Policy policy = Policy.builder("stubborn")
          .attemptTimeout(Duration.ofMillis(50))
          .timeoutExecutor(pool)
          .build();
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Boolean> sawInterrupt = new CompletableFuture<>();

      // The work ignores interrupts until released: only the offloaded wait can return first.
      assertThatThrownBy(() -> policy.call(() -> {
        while (release.getCount() > 0) {
          Thread.onSpinWait();
        }
        sawInterrupt.complete(Thread.currentThread().isInterrupted());
        return "too late";
      }))
          .isInstanceOf(RejectedException.class)
          .hasMessage("Policy 'stubborn' rejected the call: timed out (attempt timeout 50ms)");
      release.countDown();

      assertThat(sawInterrupt.get(10, TimeUnit.SECONDS)).isTrue();
      assertThat(Thread.currentThread().isInterrupted()).isFalse();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void withATimeoutExecutorTheWorksOwnCheckedExceptionComesBackAsItself() {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newCachedThreadPool();
    try {
      Policy policy = Policy.builder("p")
          .attemptTimeout(Duration.ofSeconds(30))
          .timeoutExecutor(pool)
          .build();

      assertThatThrownBy(() -> policy.call(() -> {
        throw new java.io.IOException("disk full");
      })).isExactlyInstanceOf(java.io.IOException.class).hasMessage("disk full");
    } finally {
      pool.shutdownNow();
    }
  }
}
