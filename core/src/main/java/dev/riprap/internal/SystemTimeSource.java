package dev.riprap.internal;

import dev.riprap.Cancellable;
import dev.riprap.TimeSource;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The real clock and one shared daemon timer thread. Internal: use {@link TimeSource#system()}. */
public final class SystemTimeSource implements TimeSource {
  /** The single instance. */
  public static final SystemTimeSource INSTANCE = new SystemTimeSource();

  private static final Clock UTC = Clock.systemUTC();

  /**
   * One thread is enough: timer tasks only flip state and hand work to an executor. It is a daemon
   * so it never keeps the JVM alive (resilience4j #351), and cancelled tasks are removed at once so
   * a million short timeouts do not pile up in the queue.
   */
  private static final class Holder {
    static final long ANCHOR_MILLIS = 500;
    static final ScheduledThreadPoolExecutor TIMER = newTimer();

    private static ScheduledThreadPoolExecutor newTimer() {
      ScheduledThreadPoolExecutor timer =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "riprap-timer");
                t.setDaemon(true);
                return t;
              });
      timer.setRemoveOnCancelPolicy(true);
      timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      // A task that becomes the head of the queue wakes the timer thread. Most tasks are timeouts
      // that are cancelled long before they are due; with one call at a time, each would be the
      // head of an otherwise empty queue and cost a wake-up of this thread. A no-op task due
      // at least every ANCHOR_MILLIS stays ahead of every task due later than that.
      timer.scheduleAtFixedRate(() -> { }, ANCHOR_MILLIS, ANCHOR_MILLIS, TimeUnit.MILLISECONDS);
      return timer;
    }
  }

  private SystemTimeSource() {}

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Instant instant() {
    return UTC.instant();
  }

  @Override
  public Clock clock() {
    return UTC;
  }

  @Override
  public Cancellable schedule(Runnable task, long delayNanos) {
    ScheduledFuture<?> future = Holder.TIMER.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    return () -> future.cancel(false);
  }

  @Override
  public boolean await(CountDownLatch latch, long nanos) throws InterruptedException {
    return latch.await(nanos, TimeUnit.NANOSECONDS);
  }
}
