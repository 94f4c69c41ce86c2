package dev.riprap;

import dev.riprap.internal.SystemTimeSource;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;

/**
 * Where a policy gets its time: the monotonic clock, the wall clock, timers and waits. Injected
 * through the builders ({@link Policy.Builder#timeSource(TimeSource)}) so that tests can drive
 * every time-based behaviour with a fake clock ({@code dev.riprap.testing.FakeTimeSource}) and
 * never sleep. The default, {@link #system()}, is backed by {@link System#nanoTime()} and one
 * shared daemon timer thread, which never keeps the JVM alive.
 *
 * <p>Implementations must be thread-safe.
 */
public interface TimeSource {
  /**
   * The system time source: {@code System.nanoTime()}, the UTC wall clock and a shared daemon
   * timer thread.
   *
   * @return the shared system time source
   */
  static TimeSource system() {
    return SystemTimeSource.INSTANCE;
  }

  /**
   * A monotonic reading in nanoseconds, for measuring elapsed time only.
   *
   * @return the current monotonic time in nanoseconds
   */
  long nanoTime();

  /**
   * The wall-clock time, used for event timestamps.
   *
   * @return the current instant
   */
  Instant instant();

  /**
   * A {@link Clock} view of this time source, handed to resilience4j primitives that Riprap builds
   * (a circuit breaker's open-state wait and time-based window follow it).
   *
   * @return a clock that reads this time source
   */
  Clock clock();

  /**
   * Runs {@code task} once after {@code delayNanos}. The task runs on a timer thread and must be
   * short; it must not block.
   *
   * @param task the task to run
   * @param delayNanos the delay in nanoseconds, zero or more
   * @return a handle that cancels the task
   */
  Cancellable schedule(Runnable task, long delayNanos);

  /**
   * Waits until {@code latch} reaches zero or {@code nanos} pass, whichever is first. Retry backoff
   * waits use it, so that a drain can cut them short.
   *
   * @param latch the latch that ends the wait early
   * @param nanos the longest wait in nanoseconds
   * @return {@code true} if the latch reached zero, {@code false} if the time passed
   * @throws InterruptedException if the waiting thread is interrupted (its flag is then clear, as
   *     usual for {@code InterruptedException})
   */
  boolean await(CountDownLatch latch, long nanos) throws InterruptedException;
}
