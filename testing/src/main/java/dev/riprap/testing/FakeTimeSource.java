package dev.riprap.testing;

import dev.riprap.Cancellable;
import dev.riprap.TimeSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.CountDownLatch;

/**
 * A {@link TimeSource} whose time moves only when told to, for tests of time-based behaviour
 * without sleeps (the habit of Caffeine's {@code FakeTicker} and Polly's {@code FakeTimeProvider}).
 *
 * <ul>
 *   <li>{@link #advance(Duration)} moves time forward and runs, on the calling thread and in
 *       order, every scheduled task that falls due.
 *   <li>{@link #await(CountDownLatch, long)} (which retry backoffs use) does not block: it advances
 *       time itself, task by task, and returns early when the latch opens. It throws {@link
 *       InterruptedException} as soon as a task it ran interrupted the waiting thread, which is how
 *       a sync attempt timeout reaches work that "sleeps" on this time source.
 *   <li>{@link #sleep(Duration)} lets simulated work take time: the same as {@code await} with a
 *       latch that never opens.
 * </ul>
 *
 * <p>Every wait is recorded ({@link #waits()}), so a test can assert the exact backoff delays.
 * Thread-safe; tasks run outside the internal lock.
 */
public final class FakeTimeSource implements TimeSource {
  private static final Instant DEFAULT_EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  private final Instant epoch;
  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private final List<Duration> waits = new ArrayList<>();
  private long now;
  private long sequence;

  /** A fake time source whose wall clock starts at 2026-01-01T00:00:00Z and nanoTime at 0. */
  public FakeTimeSource() {
    this(DEFAULT_EPOCH);
  }

  /**
   * A fake time source whose wall clock starts at {@code epoch} and nanoTime at 0.
   *
   * @param epoch the wall-clock time at nanoTime 0
   * @throws NullPointerException if {@code epoch} is null
   */
  public FakeTimeSource(Instant epoch) {
    this.epoch = Objects.requireNonNull(epoch, "epoch");
  }

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public Instant instant() {
    return epoch.plusNanos(nanoTime());
  }

  @Override
  public Clock clock() {
    return new FakeClock(ZoneOffset.UTC);
  }

  @Override
  public Cancellable schedule(Runnable task, long delayNanos) {
    Objects.requireNonNull(task, "task");
    if (delayNanos < 0) {
      throw new IllegalArgumentException("delayNanos must be >= 0, was " + delayNanos);
    }
    Task t;
    synchronized (this) {
      // Saturates: a delay of Long.MAX_VALUE means never, even when the clock has moved.
      t = new Task(saturatedAdd(now, delayNanos), sequence++, task);
      tasks.add(t);
    }
    return () -> {
      synchronized (FakeTimeSource.this) {
        tasks.remove(t);
      }
    };
  }

  @Override
  public boolean await(CountDownLatch latch, long nanos) throws InterruptedException {
    synchronized (this) {
      waits.add(Duration.ofNanos(nanos));
    }
    return runUntil(latch, nanos);
  }

  private boolean runUntil(CountDownLatch latch, long nanos) throws InterruptedException {
    if (latch.getCount() == 0) {
      return true;
    }
    long target = saturatedAdd(nanoTime(), nanos);
    while (true) {
      if (Thread.interrupted()) {
        throw new InterruptedException("interrupted while waiting on the fake clock");
      }
      Task due = pollDue(target);
      if (due == null) {
        synchronized (this) {
          now = Math.max(now, target);
        }
        return latch.getCount() == 0;
      }
      due.runnable.run();
      if (latch.getCount() == 0) {
        return true;
      }
    }
  }

  /**
   * Lets simulated work take {@code duration} of fake time, running the tasks that fall due.
   *
   * @param duration how long the work takes
   * @throws InterruptedException when a task that fell due interrupted this thread (an attempt
   *     timeout does that)
   */
  public void sleep(Duration duration) throws InterruptedException {
    // A work's own sleep is not a policy wait: it is not recorded in waits().
    runUntil(new CountDownLatch(1), duration.toNanos());
  }

  /**
   * Moves time forward by {@code duration}, running every task that falls due, in order of due time.
   *
   * @param duration how far to move, zero or more
   * @throws IllegalArgumentException if {@code duration} is negative
   */
  public void advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration must not be negative, was " + duration);
    }
    long target = saturatedAdd(nanoTime(), duration.toNanos());
    Task due;
    while ((due = pollDue(target)) != null) {
      due.runnable.run();
    }
    synchronized (this) {
      now = Math.max(now, target);
    }
  }

  /**
   * Moves time to the earliest scheduled task and runs every task due by then. Handy to drive an
   * async call step by step without knowing its delays.
   *
   * @return {@code false} if no task was scheduled (time did not move)
   */
  public boolean advanceToNextTask() {
    long next;
    synchronized (this) {
      Task head = tasks.peek();
      if (head == null) {
        return false;
      }
      next = head.due;
    }
    advance(Duration.ofNanos(Math.max(0, next - nanoTime())));
    return true;
  }

  /**
   * The waits made through {@link #await} so far, in order (retry backoffs, rate-limiter waits).
   *
   * @return an unmodifiable copy of the recorded waits
   */
  public synchronized List<Duration> waits() {
    return Collections.unmodifiableList(new ArrayList<>(waits));
  }

  /**
   * How many scheduled tasks have not run or been cancelled yet. A test can assert it is zero after
   * a call, to prove that no timer was left behind.
   *
   * @return the number of pending tasks
   */
  public synchronized int pendingTasks() {
    return tasks.size();
  }

  private synchronized Task pollDue(long target) {
    Task head = tasks.peek();
    if (head == null || head.due > target) {
      return null;
    }
    tasks.poll();
    now = Math.max(now, head.due);
    return head;
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  private static final class Task implements Comparable<Task> {
    final long due;
    final long seq;
    final Runnable runnable;

    Task(long due, long seq, Runnable runnable) {
      this.due = due;
      this.seq = seq;
      this.runnable = runnable;
    }

    @Override
    public int compareTo(Task o) {
      int c = Long.compare(due, o.due);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  private final class FakeClock extends Clock {
    private final ZoneId zone;

    FakeClock(ZoneId zone) {
      this.zone = zone;
    }

    @Override
    public ZoneId getZone() {
      return zone;
    }

    @Override
    public Clock withZone(ZoneId z) {
      return new FakeClock(z);
    }

    @Override
    public Instant instant() {
      return FakeTimeSource.this.instant();
    }

    @Override
    public long millis() {
      return instant().toEpochMilli();
    }
  }
}
