package dev.riprap.http;

import dev.riprap.Cancellable;
import dev.riprap.TimeSource;
import dev.riprap.testing.FakeTimeSource;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/**
 * The fake clock, plus the thread that last scheduled a timer. An async backoff timer is scheduled
 * before the call records that it waits for it; the test advances the clock only once that thread
 * has left the core's scheduling method, so the timer never fires into a half-recorded wait.
 */
final class SteppedTime implements TimeSource {
  final FakeTimeSource fake = new FakeTimeSource();
  private volatile Thread lastScheduler;

  @Override
  public long nanoTime() {
    return fake.nanoTime();
  }

  @Override
  public Instant instant() {
    return fake.instant();
  }

  @Override
  public Clock clock() {
    return fake.clock();
  }

  @Override
  public Cancellable schedule(Runnable task, long delayNanos) {
    lastScheduler = Thread.currentThread();
    return fake.schedule(task, delayNanos);
  }

  @Override
  public boolean await(CountDownLatch latch, long nanos) throws InterruptedException {
    return fake.await(latch, nanos);
  }

  /** Waits until the thread that scheduled the last timer has finished recording its wait. */
  void awaitSchedulerSettled() throws InterruptedException {
    Thread t = lastScheduler;
    if (t == null || t == Thread.currentThread()) {
      return;
    }
    while (t.isAlive() && Arrays.stream(t.getStackTrace())
        .anyMatch(f -> f.getClassName().equals("dev.riprap.AsyncExecution")
            && f.getMethodName().equals("onOutcome"))) {
      Thread.sleep(1);
    }
  }
}
