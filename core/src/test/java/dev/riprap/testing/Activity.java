package dev.riprap.testing;

import dev.riprap.Cancellable;
import dev.riprap.TimeSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;

/**
 * Knows when a policy running on real threads has nothing left to do: it counts the tasks handed
 * to the policy's async executor and timer that have not ended (run to the end or, for a timer
 * task, cancelled before it ran). A task handed on by a running task is counted before the running
 * one ends, so the count reaches zero only when no task is queued, running or scheduled. With the
 * callers' own threads joined, zero means every permit the engine held has been settled, so a test
 * can then compare counts exactly instead of waiting for them to match.
 */
public final class Activity {
  private final AtomicInteger busy = new AtomicInteger();

  /**
   * An executor that runs tasks on {@code executor} and counts them.
   *
   * @param executor the executor doing the work
   * @return the counting executor
   */
  public Executor track(Executor executor) {
    return task -> {
      busy.incrementAndGet();
      try {
        executor.execute(() -> {
          try {
            task.run();
          } finally {
            busy.decrementAndGet();
          }
        });
      } catch (RuntimeException | Error e) {
        busy.decrementAndGet();
        throw e;
      }
    };
  }

  /**
   * A time source that delegates to {@code time} and counts its scheduled tasks.
   *
   * @param time the time source doing the work
   * @return the counting time source
   */
  public TimeSource track(TimeSource time) {
    return new TimeSource() {
      @Override
      public long nanoTime() {
        return time.nanoTime();
      }

      @Override
      public Instant instant() {
        return time.instant();
      }

      @Override
      public Clock clock() {
        return time.clock();
      }

      @Override
      public Cancellable schedule(Runnable task, long delayNanos) {
        AtomicBoolean settled = new AtomicBoolean();
        busy.incrementAndGet();
        Cancellable c = time.schedule(() -> {
          if (settled.compareAndSet(false, true)) {
            try {
              task.run();
            } finally {
              busy.decrementAndGet();
            }
          }
        }, delayNanos);
        return () -> {
          if (settled.compareAndSet(false, true)) {
            c.cancel();
            busy.decrementAndGet();
          }
        };
      }

      @Override
      public boolean await(CountDownLatch latch, long nanos) throws InterruptedException {
        return time.await(latch, nanos);
      }
    };
  }

  /**
   * Waits until no counted task is queued, running or scheduled (at most 30 s, which only turns a
   * leaked timer or a hung task into a failure).
   */
  public void awaitQuiet() {
    Awaitility.await("the policy's executor and timer tasks to end")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> busy.get() == 0);
  }
}
