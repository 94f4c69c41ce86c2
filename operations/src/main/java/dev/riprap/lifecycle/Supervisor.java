package dev.riprap.lifecycle;

import dev.riprap.DrainReport;
import dev.riprap.TimeSource;
import dev.riprap.event.Subscription;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
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
 *
 * <p>User code never strands a worker: whatever the worker throws (an {@code Error} included) is a
 * crash; whatever a listener throws is logged and changes nothing; an executor that refuses a start
 * or a restart (a {@code RejectedExecutionException} from a shut-down executor, or anything else)
 * and a time source that cannot schedule the restart make the supervisor give up on that worker,
 * or stop it when the supervisor is stopping. Each worker's life is a {@code SupervisedWorker}.
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
  // Read by SupervisedWorker, the life of one worker.
  final int maxRestarts;
  final long windowNanos;
  final TimeSource time;
  private final Executor executor;
  private final Map<String, SupervisedWorker> children = new LinkedHashMap<>();
  private final List<Consumer<? super SupervisorEvent>> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean stopping;

  private Supervisor(Builder b) {
    this.name = b.name;
    // Durations of 292 years or more saturate at Long.MAX_VALUE nanoseconds.
    this.initialBackoffNanos = TimeUnit.NANOSECONDS.convert(b.initialBackoff);
    this.maxBackoffNanos = TimeUnit.NANOSECONDS.convert(b.maxBackoff);
    this.maxRestarts = b.maxRestarts;
    this.windowNanos = TimeUnit.NANOSECONDS.convert(b.window);
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
    SupervisedWorker child;
    synchronized (children) {
      if (stopping) {
        throw new IllegalStateException(
            "supervisor '" + name + "' is stopped; cannot start worker '" + workerName + "'");
      }
      if (children.containsKey(workerName)) {
        throw new IllegalStateException(
            "worker '" + workerName + "' is already supervised by '" + name + "'");
      }
      child = new SupervisedWorker(this, workerName, worker);
      children.put(workerName, child);
    }
    child.launch();
  }

  /**
   * Adds a listener for this supervisor's events. It is called on one of the supervisor's threads
   * (a worker's thread, the timer, or the thread that called {@link #stop}); the events of one
   * worker reach the listeners one at a time, in the order they happened. A listener never changes
   * the supervisor's course: one that throws anything, an {@code Error} included, is logged (with
   * the throwable) and the next listeners are still told; restarts happen as scheduled.
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
    List<SupervisedWorker> snapshot;
    synchronized (children) {
      snapshot = new ArrayList<>(children.values());
    }
    List<WorkerInfo> out = new ArrayList<>(snapshot.size());
    for (SupervisedWorker c : snapshot) {
      out.add(c.info());
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
   * since these are real threads) until they have returned or {@code timeout} passes. A worker
   * handed to the executor but not running yet is stopped without waiting for it (if the executor
   * runs it later, the worker itself does not run). No worker is started or restarted afterwards.
   * Calling it again waits again for workers still running.
   *
   * @param timeout the longest wait, zero or more; {@link Long#MAX_VALUE} nanoseconds or more (such
   *     as {@code Duration.ofMillis(Long.MAX_VALUE)}) waits without bound
   * @return running workers at the start, those that returned, and those still running
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws InterruptedException if interrupted while waiting
   */
  public DrainReport stop(Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative, was " + timeout);
    }
    long timeoutNanos = TimeUnit.NANOSECONDS.convert(timeout); // saturates
    long start = System.nanoTime();
    List<SupervisedWorker> snapshot;
    synchronized (children) {
      stopping = true;
      snapshot = new ArrayList<>(children.values());
    }
    List<CountDownLatch> running = new ArrayList<>();
    for (SupervisedWorker c : snapshot) {
      CountDownLatch done = c.stop();
      if (done != null) {
        running.add(done);
      }
    }
    int still = 0;
    for (CountDownLatch done : running) {
      if (timeoutNanos == Long.MAX_VALUE) {
        done.await();
      } else if (!done.await(
          Math.max(0, timeoutNanos - (System.nanoTime() - start)), TimeUnit.NANOSECONDS)) {
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

  boolean isStopping() {
    return stopping;
  }

  /** Runs a worker on the executor, or on a daemon thread of its own. May throw anything. */
  void execute(Runnable run, String workerName) {
    if (executor == null) {
      Thread t = new Thread(run, "riprap-" + name + "-" + workerName);
      t.setDaemon(true);
      t.start();
    } else {
      executor.execute(run);
    }
  }

  /** The backoff before the restart that follows {@code previousRestarts} within the window. */
  long backoffNanos(int previousRestarts) {
    long d = initialBackoffNanos;
    for (int i = 0; i < previousRestarts && d < maxBackoffNanos; i++) {
      d = d > maxBackoffNanos / 2 ? maxBackoffNanos : d * 2;
    }
    return Math.min(d, maxBackoffNanos);
  }

  boolean hasListeners() {
    return !listeners.isEmpty();
  }

  /**
   * Tells the listeners, in the order they subscribed. Whatever a listener throws, an {@code Error}
   * included, is logged and changes nothing: the next listeners are still told.
   */
  void publish(SupervisorEvent event) {
    for (Consumer<? super SupervisorEvent> l : listeners) {
      try {
        l.accept(event);
      } catch (Throwable t) {
        LOG.log(Level.WARNING, "supervisor listener " + l + " threw on " + event, t);
      }
    }
  }

  @Override
  public String toString() {
    return "Supervisor{" + name + '}';
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
     * refuses a worker's start or restart (throws anything), the supervisor gives up on that worker
     * ({@link WorkerState#GAVE_UP}, the refusal as its last failure), or stops it when the
     * supervisor is stopping.
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
