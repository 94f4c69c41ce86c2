package dev.riprap.lifecycle;

import dev.riprap.Cancellable;
import dev.riprap.DrainReport;
import dev.riprap.TimeSource;
import dev.riprap.event.Subscription;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs background workers and restarts a crashed one with exponential backoff, within a restart
 * intensity limit: at most {@code maxRestarts} restarts in any {@code window}; the next crash makes
 * the supervisor give up on that worker and report it ({@link SupervisorEvent.Kind#GAVE_UP}, {@link
 * #hasGivenUp()}, which a {@code HealthMonitor} turns into a failing liveness check).
 *
 * <p>A worker that returns normally is done and is not restarted. A worker that throws is restarted
 * after {@code initialBackoff × 2^n}, capped at {@code maxBackoff}, where {@code n} is the number of
 * restarts already made within the window, so the backoff resets by itself after a quiet window.
 * Backoff waits are timers of the {@link TimeSource}, so tests drive them with {@code
 * FakeTimeSource#advance}.
 *
 * <pre>{@code
 * Supervisor supervisor = Supervisor.builder("background")
 *     .backoff(Duration.ofMillis(100), Duration.ofSeconds(30))
 *     .restartIntensity(5, Duration.ofMinutes(1))
 *     .build();
 * supervisor.start("outbox-poller", () -> {
 *   while (!Thread.currentThread().isInterrupted()) {
 *     pollOnce(); // throws: the worker is restarted after a backoff
 *   }
 * });
 * ...
 * supervisor.stop(Duration.ofSeconds(5)); // interrupts the workers and joins them
 * }</pre>
 *
 * <p>Workers run on daemon threads of their own (named {@code riprap-<supervisor>-<worker>}) unless
 * an {@link Builder#executor(Executor) executor} is given, so a supervisor never keeps the JVM
 * alive. {@link #stop(Duration)} interrupts every running worker and waits for them. Thread-safe.
 */
public final class Supervisor {
  private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());

  /** A background worker: runs until done, interrupted, or it throws. */
  @FunctionalInterface
  public interface Worker {
    /**
     * Does the work. Should return (or throw {@link InterruptedException}) soon after its thread is
     * interrupted: that is how {@link Supervisor#stop(Duration)} stops it.
     *
     * @throws Exception any failure; the supervisor restarts the worker after a backoff
     */
    void run() throws Exception;
  }

  /** Where a worker is in its life. */
  public enum WorkerState {
    /** Handed to the executor, not running yet. */
    STARTING,
    /** Running. */
    RUNNING,
    /** Crashed; waiting for its restart. */
    BACKING_OFF,
    /** Returned normally; not restarted. */
    COMPLETED,
    /** Crashed past the restart intensity limit (or could not be started); stays down. */
    GAVE_UP,
    /** Stopped by {@link Supervisor#stop(Duration)}. */
    STOPPED
  }

  /**
   * A snapshot of one worker.
   *
   * @param name the worker's name
   * @param state its state
   * @param restarts how many times it was restarted
   * @param lastFailure its last failure, or {@code null} if it never crashed
   */
  public record WorkerInfo(String name, WorkerState state, int restarts, Throwable lastFailure) {}

  private final String name;
  private final long initialBackoffNanos;
  private final long maxBackoffNanos;
  private final int maxRestarts;
  private final long windowNanos;
  private final TimeSource time;
  private final Executor executor;
  private final Map<String, Child> children = new LinkedHashMap<>();
  private final List<Consumer<? super SupervisorEvent>> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean stopping;

  private Supervisor(Builder b) {
    this.name = b.name;
    this.initialBackoffNanos = b.initialBackoff.toNanos();
    this.maxBackoffNanos = b.maxBackoff.toNanos();
    this.maxRestarts = b.maxRestarts;
    this.windowNanos = b.window.toNanos();
    this.time = b.timeSource;
    this.executor = b.executor;
  }

  /**
   * Starts a builder for a supervisor called {@code name}.
   *
   * @param name the supervisor's name, not blank; it appears in thread names, events and metrics
   * @return a builder with the defaults: backoff 100 ms doubling up to 30 s, at most 5 restarts in
   *     1 minute, the system time source, a daemon thread per worker
   * @throws IllegalArgumentException if {@code name} is blank
   */
  public static Builder builder(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("supervisor name must not be blank");
    }
    return new Builder(name);
  }

  /**
   * The supervisor's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Starts supervising {@code worker} under {@code workerName} and runs it at once.
   *
   * @param workerName the worker's name, not blank, unique within this supervisor
   * @param worker the work
   * @throws IllegalArgumentException if {@code workerName} is blank
   * @throws IllegalStateException if a worker of that name is already supervised, or the
   *     supervisor was stopped
   */
  public void start(String workerName, Worker worker) {
    Objects.requireNonNull(workerName, "workerName");
    Objects.requireNonNull(worker, "worker");
    if (workerName.isBlank()) {
      throw new IllegalArgumentException("worker name must not be blank");
    }
    Child child;
    synchronized (children) {
      if (stopping) {
        throw new IllegalStateException(
            "supervisor '" + name + "' is stopped; cannot start worker '" + workerName + "'");
      }
      if (children.containsKey(workerName)) {
        throw new IllegalStateException(
            "worker '" + workerName + "' is already supervised by '" + name + "'");
      }
      child = new Child(workerName, worker);
      children.put(workerName, child);
    }
    launch(child);
  }

  /**
   * Adds a listener for this supervisor's events. It is called on the thread where the event
   * happened (a worker's thread or the timer); one that throws is logged and skipped.
   *
   * @param listener the listener
   * @return a subscription whose {@code close()} removes it
   */
  public Subscription subscribe(Consumer<? super SupervisorEvent> listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /**
   * A snapshot of every worker, in the order they were started.
   *
   * @return the workers
   */
  public List<WorkerInfo> workers() {
    List<Child> snapshot;
    synchronized (children) {
      snapshot = new ArrayList<>(children.values());
    }
    List<WorkerInfo> out = new ArrayList<>(snapshot.size());
    for (Child c : snapshot) {
      synchronized (c) {
        out.add(new WorkerInfo(c.name, c.state, c.restarts, c.lastFailure));
      }
    }
    return out;
  }

  /**
   * Whether the supervisor gave up on any worker (crashed past the restart intensity limit).
   *
   * @return {@code true} if some worker is {@link WorkerState#GAVE_UP}
   */
  public boolean hasGivenUp() {
    return workers().stream().anyMatch(w -> w.state() == WorkerState.GAVE_UP);
  }

  /**
   * Stops every worker: cancels pending restarts, interrupts running workers and waits (real time,
   * since these are real threads) until they have returned or {@code timeout} passes. No worker is
   * started or restarted afterwards. Calling it again waits again for workers still running.
   *
   * @param timeout the longest wait, zero or more
   * @return running workers at the start, those that returned, and those still running
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws InterruptedException if interrupted while waiting
   */
  public DrainReport stop(Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative, was " + timeout);
    }
    long start = System.nanoTime();
    List<Child> snapshot;
    synchronized (children) {
      stopping = true;
      snapshot = new ArrayList<>(children.values());
    }
    List<CountDownLatch> running = new ArrayList<>();
    for (Child c : snapshot) {
      boolean cancelled = false;
      synchronized (c) {
        if (c.pendingRestart != null) {
          c.pendingRestart.cancel();
          c.pendingRestart = null;
        }
        if (c.state == WorkerState.BACKING_OFF) {
          c.state = WorkerState.STOPPED;
          cancelled = true;
        }
        if (c.done != null && c.done.getCount() > 0) {
          running.add(c.done);
          if (c.thread != null) {
            c.thread.interrupt();
          }
        }
      }
      if (cancelled) {
        publish(c, SupervisorEvent.Kind.STOPPED, Duration.ZERO, null);
      }
    }
    long deadline = start + timeout.toNanos();
    int still = 0;
    for (CountDownLatch done : running) {
      long left = deadline - System.nanoTime();
      if (!done.await(Math.max(0, left), TimeUnit.NANOSECONDS)) {
        still++;
      }
    }
    return new DrainReport(
        running.size(),
        running.size() - still,
        0,
        still,
        Duration.ofNanos(System.nanoTime() - start));
  }

  private void launch(Child child) {
    CountDownLatch done;
    synchronized (child) {
      child.pendingRestart = null;
      if (stopping) {
        child.state = WorkerState.STOPPED;
        return;
      }
      child.state = WorkerState.STARTING;
      done = new CountDownLatch(1);
      child.done = done;
    }
    Runnable run = () -> runOnce(child, done);
    try {
      if (executor == null) {
        Thread t = new Thread(run, "riprap-" + name + "-" + child.name);
        t.setDaemon(true);
        t.start();
      } else {
        executor.execute(run);
      }
    } catch (RejectedExecutionException | OutOfMemoryError e) {
      synchronized (child) {
        child.state = WorkerState.GAVE_UP;
        child.lastFailure = e;
      }
      done.countDown();
      LOG.log(Level.ERROR, "supervisor '" + name + "' could not start worker '" + child.name + "'", e);
      publish(child, SupervisorEvent.Kind.GAVE_UP, Duration.ZERO, e);
    }
  }

  private void runOnce(Child child, CountDownLatch done) {
    try {
      synchronized (child) {
        if (stopping) {
          child.state = WorkerState.STOPPED;
          return;
        }
        child.thread = Thread.currentThread();
        child.state = WorkerState.RUNNING;
      }
      publish(child, SupervisorEvent.Kind.STARTED, Duration.ZERO, null);
      Throwable failure = null;
      try {
        child.worker.run();
      } catch (Throwable t) { // any failure of the worker is a crash to supervise, Errors included
        failure = t;
      }
      synchronized (child) {
        child.thread = null;
      }
      if (stopping) {
        synchronized (child) {
          child.state = WorkerState.STOPPED;
        }
        publish(child, SupervisorEvent.Kind.STOPPED, Duration.ZERO, null);
      } else if (failure == null) {
        synchronized (child) {
          child.state = WorkerState.COMPLETED;
        }
        publish(child, SupervisorEvent.Kind.COMPLETED, Duration.ZERO, null);
      } else {
        crashed(child, failure);
      }
    } finally {
      done.countDown();
    }
  }

  private void crashed(Child child, Throwable failure) {
    long now = time.nanoTime();
    SupervisorEvent.Kind kind;
    long delay = 0;
    synchronized (child) {
      child.lastFailure = failure;
      while (!child.restartTimes.isEmpty() && now - child.restartTimes.peekFirst() >= windowNanos) {
        child.restartTimes.pollFirst();
      }
      if (stopping) {
        // stop() ran while this worker was failing: no restart.
        child.state = WorkerState.STOPPED;
        kind = SupervisorEvent.Kind.STOPPED;
      } else if (child.restartTimes.size() >= maxRestarts) {
        child.state = WorkerState.GAVE_UP;
        kind = SupervisorEvent.Kind.GAVE_UP;
      } else {
        delay = backoff(child.restartTimes.size());
        child.restartTimes.addLast(now);
        child.restarts++;
        child.state = WorkerState.BACKING_OFF;
        kind = SupervisorEvent.Kind.CRASHED;
      }
    }
    switch (kind) {
      case GAVE_UP -> {
        LOG.log(
            Level.ERROR,
            "supervisor '" + name + "' gave up on worker '" + child.name + "' after "
                + maxRestarts + " restarts within " + Duration.ofNanos(windowNanos),
            failure);
        publish(child, kind, Duration.ZERO, failure);
      }
      case CRASHED -> {
        LOG.log(
            Level.WARNING,
            "worker '" + child.name + "' of supervisor '" + name + "' crashed; restarting in "
                + Duration.ofNanos(delay),
            failure);
        publish(child, kind, Duration.ofNanos(delay), failure);
        // Scheduled only after CRASHED is published, so listeners see CRASHED before the next
        // STARTED; a stop() in between already moved the worker to STOPPED.
        synchronized (child) {
          if (child.state == WorkerState.BACKING_OFF && !stopping) {
            child.pendingRestart = time.schedule(() -> launch(child), delay);
          }
        }
      }
      default -> publish(child, kind, Duration.ZERO, null);
    }
  }

  private long backoff(int previousRestarts) {
    long d = initialBackoffNanos;
    for (int i = 0; i < previousRestarts && d < maxBackoffNanos; i++) {
      d = d > maxBackoffNanos / 2 ? maxBackoffNanos : d * 2;
    }
    return Math.min(d, maxBackoffNanos);
  }

  private void publish(Child child, SupervisorEvent.Kind kind, Duration delay, Throwable cause) {
    if (listeners.isEmpty()) {
      return;
    }
    int restarts;
    synchronized (child) {
      restarts = child.restarts;
    }
    SupervisorEvent event =
        new SupervisorEvent(name, child.name, kind, time.instant(), restarts, delay, cause);
    for (Consumer<? super SupervisorEvent> l : listeners) {
      try {
        l.accept(event);
      } catch (RuntimeException | LinkageError e) {
        LOG.log(Level.WARNING, "supervisor listener " + l + " threw on " + event, e);
      }
    }
  }

  @Override
  public String toString() {
    return "Supervisor{" + name + '}';
  }

  private static final class Child {
    final String name;
    final Worker worker;
    final ArrayDeque<Long> restartTimes = new ArrayDeque<>();
    WorkerState state = WorkerState.STARTING;
    int restarts;
    Throwable lastFailure;
    Thread thread;
    CountDownLatch done;
    Cancellable pendingRestart;

    Child(String name, Worker worker) {
      this.name = name;
      this.worker = worker;
    }
  }

  /** Builds a {@link Supervisor}. Not thread-safe; the supervisor it builds is. */
  public static final class Builder {
    private final String name;
    private Duration initialBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(30);
    private int maxRestarts = 5;
    private Duration window = Duration.ofMinutes(1);
    private TimeSource timeSource = TimeSource.system();
    private Executor executor;

    private Builder(String name) {
      this.name = name;
    }

    /**
     * The restart backoff: {@code initial} after the first crash, doubling per restart within the
     * window, never above {@code max}. Defaults to 100 ms and 30 s.
     *
     * @param initial the first delay, positive
     * @param max the largest delay, at least {@code initial}
     * @return this builder
     * @throws IllegalArgumentException if {@code initial} is not positive or {@code max} is less
     *     than {@code initial}
     */
    public Builder backoff(Duration initial, Duration max) {
      Objects.requireNonNull(initial, "initial");
      Objects.requireNonNull(max, "max");
      if (initial.isNegative() || initial.isZero()) {
        throw new IllegalArgumentException("initial backoff must be positive, was " + initial);
      }
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException(
            "max backoff must be at least the initial backoff " + initial + ", was " + max);
      }
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /**
     * The restart intensity: at most {@code maxRestarts} restarts of one worker within any {@code
     * window}; the crash after that makes the supervisor give up on the worker. Defaults to 5 in 1
     * minute.
     *
     * @param maxRestarts the number of restarts allowed, zero or more (zero: never restart)
     * @param window the sliding window, positive
     * @return this builder
     * @throws IllegalArgumentException if {@code maxRestarts} is negative or {@code window} is not
     *     positive
     */
    public Builder restartIntensity(int maxRestarts, Duration window) {
      Objects.requireNonNull(window, "window");
      if (maxRestarts < 0) {
        throw new IllegalArgumentException("maxRestarts must be >= 0, was " + maxRestarts);
      }
      if (window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("restart window must be positive, was " + window);
      }
      this.maxRestarts = maxRestarts;
      this.window = window;
      return this;
    }

    /**
     * The time source for backoff timers, the restart window and event times. Defaults to {@link
     * TimeSource#system()}.
     *
     * @param timeSource the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
      return this;
    }

    /**
     * Runs workers on {@code executor} instead of a daemon thread each. The executor's threads
     * should be daemon threads, or be shut down by the caller, or they keep the JVM alive. If it
     * rejects a worker, the supervisor gives up on that worker.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Builds the supervisor.
     *
     * @return a new supervisor with no workers
     */
    public Supervisor build() {
      return new Supervisor(this);
    }
  }
}
