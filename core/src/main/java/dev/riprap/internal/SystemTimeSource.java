package dev.riprap.internal;

import dev.riprap.Cancellable;
import dev.riprap.TimeSource;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The real clock and one shared daemon timer thread. Internal: use {@link TimeSource#system()}. */
public final class SystemTimeSource implements TimeSource {
  /** The single instance. */
  public static final SystemTimeSource INSTANCE = new SystemTimeSource();

  private static final Clock UTC = Clock.systemUTC();

  /**
   * One thread is enough: timer tasks only flip state and hand work to an executor. It sweeps
   * every {@link #PERIOD_NANOS} (see {@link Timer}: tasks due later than two periods never take
   * the executor's lock).
   */
  private static final class Holder {
    static final Timer TIMER = new Timer("riprap-timer", PERIOD_NANOS, System::nanoTime);
  }

  /**
   * 500 ms: a total timeout (30 s by default) or an attempt timeout longer than a second is
   * scheduled without a lock; a sweep twice a second costs nothing measurable.
   */
  static final long PERIOD_NANOS = 500_000_000L;

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
    return Holder.TIMER.schedule(task, delayNanos);
  }

  @Override
  public boolean await(CountDownLatch latch, long nanos) throws InterruptedException {
    return latch.await(nanos, TimeUnit.NANOSECONDS);
  }
}
