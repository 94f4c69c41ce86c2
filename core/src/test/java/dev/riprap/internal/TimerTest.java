package dev.riprap.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Cancellable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The timer's two ways of holding a task: within the horizon in the executor, past it on a
 * lock-free stack until a sweep brings it within reach. Most tests drive the sweep themselves on
 * a clock of their own (the timer's own sweep is an hour away); one runs on the real clock.
 * Nothing sleeps: each waits for a latch that a task counts down, with a generous bound.
 */
class TimerTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private static final long HOUR = TimeUnit.HOURS.toNanos(1);

  private final AtomicLong now = new AtomicLong(-5 * SECOND);
  /** Sweeps every hour of its own clock, which only the test moves: the test sweeps. */
  private final Timer timer = new Timer("timer-test", HOUR, now::get);

  @AfterEach
  void stopTheTimerThread() {
    timer.shutdownNow();
  }

  /** Runs a task at once on the timer thread and waits until it has run. */
  private void drainExecutor() throws InterruptedException {
    CountDownLatch ran = new CountDownLatch(1);
    timer.schedule(ran::countDown, 0);
    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aTaskPastTheHorizonWaitsForTheSweepThatBringsItWithinReachThenRuns() throws Exception {
    CountDownLatch ran = new CountDownLatch(1);
    timer.schedule(ran::countDown, 3 * HOUR);

    timer.sweep();
    assertThat(timer.pending()).isEqualTo(1);
    now.addAndGet(3 * HOUR);
    timer.sweep();

    assertThat(timer.pending()).isZero();
    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aCancelledTaskPastTheHorizonIsDroppedByTheNextSweepAndNeverRuns() throws Exception {
    AtomicInteger ran = new AtomicInteger();
    Cancellable handle = timer.schedule(ran::incrementAndGet, 3 * HOUR);

    handle.cancel();
    now.addAndGet(3 * HOUR);
    timer.sweep();
    drainExecutor();

    assertThat(timer.pending()).isZero();
    assertThat(ran.get()).isZero();
  }

  @Test
  void aCancelledTaskIsForgottenAtTheNextSweepLongBeforeItsTime() {
    Cancellable cancelled = timer.schedule(() -> { }, 3 * HOUR);
    timer.schedule(() -> { }, 3 * HOUR);

    cancelled.cancel();
    timer.sweep();

    assertThat(timer.pending()).isOne();
  }

  @Test
  void aTaskCancelledAfterTheSweepHandedItToTheExecutorNeverRuns() throws Exception {
    CountDownLatch blocking = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger ran = new AtomicInteger();
    Cancellable handle = timer.schedule(ran::incrementAndGet, 3 * HOUR);
    // The timer thread is kept busy, so the task handed over cannot run before the cancel.
    timer.schedule(() -> {
      blocking.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, 0);
    assertThat(blocking.await(10, TimeUnit.SECONDS)).isTrue();

    now.addAndGet(3 * HOUR);
    timer.sweep();
    handle.cancel();
    release.countDown();
    drainExecutor();

    assertThat(ran.get()).isZero();
  }

  @Test
  void aTaskWithinTheHorizonNeverWaitsForASweep() throws Exception {
    CountDownLatch ran = new CountDownLatch(1);

    timer.schedule(ran::countDown, 0);

    assertThat(timer.pending()).isZero();
    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void tasksPastTheHorizonStayUntilTheirTurnWhileOthersRun() throws Exception {
    CountDownLatch early = new CountDownLatch(1);
    CountDownLatch late = new CountDownLatch(1);
    timer.schedule(early::countDown, 3 * HOUR);
    timer.schedule(late::countDown, 30 * HOUR);

    now.addAndGet(3 * HOUR);
    timer.sweep();

    assertThat(early.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(late.getCount()).isOne();
    assertThat(timer.pending()).isOne();
  }

  @Test
  void aTaskThatThrowsDoesNotStopTheTasksAfterIt() throws Exception {
    CountDownLatch ran = new CountDownLatch(1);
    timer.schedule(() -> {
      throw new IllegalStateException("a task of the user's");
    }, 3 * HOUR);
    timer.schedule(ran::countDown, 3 * HOUR);

    now.addAndGet(3 * HOUR);
    timer.sweep();

    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void onTheRealClockATaskPastTheHorizonRunsOnceItIsDueAndNotBefore() throws Exception {
    long period = TimeUnit.MILLISECONDS.toNanos(2);
    Timer real = new Timer("timer-test-real", period, System::nanoTime);
    try {
      CountDownLatch ran = new CountDownLatch(1);
      AtomicLong ranAt = new AtomicLong();
      long delay = 10 * period;
      long start = System.nanoTime();

      real.schedule(() -> {
        ranAt.set(System.nanoTime());
        ran.countDown();
      }, delay);

      assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(ranAt.get() - start).isGreaterThanOrEqualTo(delay);
    } finally {
      real.shutdownNow();
    }
  }
}
