package dev.riprap.internal;

import dev.riprap.Cancellable;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * One daemon thread that runs short tasks at their time, built for timeouts: most are cancelled
 * long before they are due, and many are scheduled at once from many threads.
 *
 * <p>A task due within the horizon (two sweep periods) goes straight into a {@link
 * ScheduledThreadPoolExecutor}. A task due later, the common case (a total timeout of 30 s
 * scheduled and cancelled by every call), never touches the executor's queue, whose one lock
 * every schedule and cancel would take: with 32 calls in flight on 2 cores, a thread that lost its
 * core while holding that lock made the others park behind it (measured: about one call in a
 * thousand parked, for 30 ms and more, on a loaded machine). Such a task is pushed onto a
 * lock-free stack and cancelled with one compare-and-set; a sweep on the timer thread every
 * period drops the cancelled ones and hands the executor those that have come within the
 * horizon, so each still runs at its own time. The sweep, due at least every period, also keeps
 * a task due later from becoming the head of an empty queue and waking the timer thread.
 *
 * <p>Thread-safe. Tasks run on the timer thread and must be short; what they throw is dropped,
 * as {@link ScheduledThreadPoolExecutor} does.
 */
final class Timer {
  private final ScheduledThreadPoolExecutor executor;
  private final long horizonNanos;
  private final LongSupplier clock;
  /** Tasks past the horizon scheduled since the last sweep, newest first. */
  private final AtomicReference<Far> added = new AtomicReference<>();
  /** Tasks still past the horizon at the last sweep, linked by {@code next}. The sweep's alone. */
  private Far waiting;

  /**
   * A timer whose thread is named {@code name}, sweeping every {@code periodNanos} of {@code
   * clock} (a {@link System#nanoTime()} reading; a test's own, which then calls {@link #sweep()}
   * itself, with a period so long that the timer's own sweep never comes).
   */
  Timer(String name, long periodNanos, LongSupplier clock) {
    this.horizonNanos = 2 * periodNanos;
    this.clock = clock;
    executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, name);
      // A daemon, so it never keeps the JVM alive (resilience4j #351).
      t.setDaemon(true);
      return t;
    });
    // A cancelled task leaves the queue at once, so a million short timeouts do not pile up.
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    executor.scheduleAtFixedRate(this::sweep, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
  }

  /** Runs {@code task} once after {@code delayNanos}, unless the handle cancels it first. */
  Cancellable schedule(Runnable task, long delayNanos) {
    if (delayNanos <= horizonNanos) {
      ScheduledFuture<?> f = executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    }
    // Wrapping arithmetic: due - now stays right for any delay a long can hold.
    Far far = new Far(task, clock.getAsLong() + delayNanos);
    Far head;
    do {
      head = added.get();
      far.next = head;
    } while (!added.compareAndSet(head, far));
    return far;
  }

  /**
   * On the timer thread, every period: drops the cancelled tasks past the horizon and hands the
   * executor those now within it. It allocates nothing of its own and never throws (a sweep that
   * threw would end the periodic task, and every later timeout with it): a task the executor
   * refuses stays for the next sweep.
   */
  void sweep() {
    long now = clock.getAsLong();
    Far kept = sweep(added.getAndSet(null), null, now);
    waiting = sweep(waiting, kept, now);
  }

  /** Sweeps the tasks linked from {@code f}; returns {@code kept} with the ones still waiting. */
  private Far sweep(Far f, Far kept, long now) {
    while (f != null) {
      Far next = f.next;
      long left = f.due - now;
      if (!f.cancelled() && (left > horizonNanos || !f.moveTo(executor, Math.max(0, left)))) {
        f.next = kept;
        kept = f;
      }
      f = next;
    }
    return kept;
  }

  /** Stops the timer thread; tasks not yet run never will. For tests, which make their own. */
  void shutdownNow() {
    executor.shutdownNow();
  }

  /** How many tasks past the horizon are not yet swept or still wait; for tests. */
  int pending() {
    int n = 0;
    for (Far f = added.get(); f != null; f = f.next) {
      n++;
    }
    for (Far f = waiting; f != null; f = f.next) {
      n++;
    }
    return n;
  }

  /** A task past the horizon: waiting for its sweep, in the executor, run, or cancelled. */
  private static final class Far implements Cancellable, Runnable {
    private static final int WAITING = 0;
    private static final int RAN = 1;
    private static final int CANCELLED = 2;
    private static final AtomicIntegerFieldUpdater<Far> STATE =
        AtomicIntegerFieldUpdater.newUpdater(Far.class, "state");

    final long due;
    /** The next task added before this one, then the next one waiting; set before each publish. */
    Far next;
    /** Cleared on cancel, so that a cancelled task holds on to nothing until its sweep. */
    private volatile Runnable task;
    private volatile int state;
    private volatile ScheduledFuture<?> moved;

    Far(Runnable task, long due) {
      this.task = task;
      this.due = due;
    }

    boolean cancelled() {
      return state == CANCELLED;
    }

    @Override
    public void cancel() {
      if (STATE.compareAndSet(this, WAITING, CANCELLED)) {
        task = null;
        ScheduledFuture<?> m = moved;
        if (m != null) {
          m.cancel(false);
        }
      }
    }

    /**
     * Hands the task to the executor; a cancel racing with it takes it out again. Returns false
     * when the executor refused it (out of memory, say).
     */
    boolean moveTo(ScheduledThreadPoolExecutor executor, long delayNanos) {
      ScheduledFuture<?> m;
      try {
        m = executor.schedule(this, delayNanos, TimeUnit.NANOSECONDS);
      } catch (Throwable refused) {
        return false;
      }
      moved = m;
      if (state == CANCELLED) {
        m.cancel(false);
      }
      return true;
    }

    @Override
    public void run() {
      if (STATE.compareAndSet(this, WAITING, RAN)) {
        Runnable t = task;
        task = null;
        t.run();
      }
    }
  }
}
