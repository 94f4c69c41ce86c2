package dev.riprap.lifecycle;

import dev.riprap.DrainReport;
import dev.riprap.TimeSource;
import dev.riprap.lifecycle.ShutdownReport.Status;
import dev.riprap.lifecycle.ShutdownReport.StepResult;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Stops a service without losing work: on SIGTERM or SIGINT (through a JVM shutdown hook, {@link
 * #installShutdownHook()}) or on demand ({@link #shutdown()}), runs these phases in order under one
 * overall deadline:
 *
 * <ol>
 *   <li>{@link Phase#READINESS}: readiness goes false ({@code health::startDraining});
 *   <li>{@link Phase#PROPAGATION}: wait the propagation delay while still serving, so load
 *       balancers see the failing readiness and stop routing here;
 *   <li>{@link Phase#STOP_ACCEPTING}: new inbound requests are refused (503, {@code Connection:
 *       close});
 *   <li>{@link Phase#DRAIN_INBOUND}: wait for the server requests in flight;
 *   <li>{@link Phase#STOP_WORKERS}: stop supervised background workers;
 *   <li>{@link Phase#DRAIN_OUTBOUND}: drain outbound clients and policies (the calls their own
 *       background work still makes);
 *   <li>{@link Phase#CLOSE}: close resources, in the order they were added.
 * </ol>
 *
 * <pre>{@code
 * GracefulShutdown shutdown = GracefulShutdown.builder()
 *     .deadline(Duration.ofSeconds(25))        // below Kubernetes' terminationGracePeriodSeconds
 *     .propagationDelay(Duration.ofSeconds(5))
 *     .readiness(health::startDraining)
 *     .httpServer("api", serverDrain)          // stop accepting + drain in-flight + stop
 *     .drainOutbound("inventory-client", client::drain)
 *     .close("executor", executor::shutdown)
 *     .build()
 *     .installShutdownHook();
 * }</pre>
 *
 * <p>Each step gets what is left of the deadline (the propagation wait at most its delay); a step
 * that starts after the deadline is {@link Status#SKIPPED}, one that ends after it is {@link
 * Status#OVERRUN}. Every step is logged ({@link System.Logger}) with its duration. Steps run on a
 * daemon thread; the caller waits at most the deadline plus one second ({@link #HARD_BOUND_GRACE})
 * of real time, then interrupts a step that still hangs, reports it {@link Status#ABANDONED} and
 * returns, so a stuck close never hangs the JVM. The coordinator's own threads are daemon threads.
 *
 * <p>The deadline and the propagation wait are measured by the {@link TimeSource}, so tests run the
 * sequence on a fake clock; the hard bound against hung steps is real time. Thread-safe; the
 * sequence runs once, later calls to {@link #shutdown()} wait for that same run.
 *
 * <p>Note: the JDK's default {@code java.util.logging} backend resets its handlers in a shutdown
 * hook of its own, so log lines written during a SIGTERM shutdown may be lost with it; the returned
 * {@link ShutdownReport} (and {@link Builder#onFinished}) always carry the outcome.
 */
public final class GracefulShutdown {
  /** How long past the deadline the caller waits for a hung step before abandoning it. */
  public static final Duration HARD_BOUND_GRACE = Duration.ofSeconds(1);

  private static final System.Logger LOG = System.getLogger(GracefulShutdown.class.getName());

  /** The phases, in the order they run. */
  public enum Phase {
    /** Readiness goes false. */
    READINESS,
    /** Wait while load balancers stop routing here. */
    PROPAGATION,
    /** Refuse new inbound requests. */
    STOP_ACCEPTING,
    /** Wait for inbound requests in flight. */
    DRAIN_INBOUND,
    /** Stop supervised background workers. */
    STOP_WORKERS,
    /** Drain outbound clients and policies. */
    DRAIN_OUTBOUND,
    /** Close resources. */
    CLOSE
  }

  /** One step's work, given what is left of the deadline. */
  @FunctionalInterface
  private interface Action {
    DrainReport run(Duration budget) throws Exception;
  }

  private record Step(Phase phase, String name, Action action) {}

  private final List<Step> steps;
  private final Duration deadline;
  private final TimeSource time;
  private final List<java.util.function.Consumer<? super ShutdownReport>> finishedListeners;
  private final Object lock = new Object();
  private CompletableFuture<ShutdownReport> run;
  private Sequence sequence;
  private long hardBoundNanos; // System.nanoTime() past which a caller abandons the run
  private Thread hook;

  private GracefulShutdown(Builder b) {
    List<Step> ordered = new ArrayList<>();
    for (Phase phase : Phase.values()) {
      for (Step s : b.steps) {
        if (s.phase == phase) {
          ordered.add(s);
        }
      }
    }
    this.steps = List.copyOf(ordered);
    this.deadline = b.deadline;
    this.time = b.timeSource;
    this.finishedListeners = List.copyOf(b.finishedListeners);
  }

  /**
   * Starts a builder.
   *
   * @return a builder with the defaults: deadline 25 s, propagation delay 5 s, system time source,
   *     no steps
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Registers a JVM shutdown hook that runs {@link #shutdown()} on SIGTERM, SIGINT or a normal
   * exit, and waits for it (at most the deadline plus {@link #HARD_BOUND_GRACE}).
   *
   * @return this coordinator
   * @throws IllegalStateException if the hook is already installed
   */
  public GracefulShutdown installShutdownHook() {
    synchronized (lock) {
      if (hook != null) {
        throw new IllegalStateException("the shutdown hook is already installed");
      }
      hook =
          new Thread(
              () -> {
                try {
                  shutdown();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "riprap-shutdown-hook");
      Runtime.getRuntime().addShutdownHook(hook);
    }
    return this;
  }

  /**
   * Removes the hook installed by {@link #installShutdownHook()}, if any (for tests and for
   * services that manage their own hooks). Has no effect once the JVM is shutting down.
   *
   * @return {@code true} if a hook was removed
   */
  public boolean removeShutdownHook() {
    synchronized (lock) {
      if (hook == null) {
        return false;
      }
      try {
        boolean removed = Runtime.getRuntime().removeShutdownHook(hook);
        hook = null;
        return removed;
      } catch (IllegalStateException e) { // the JVM is already shutting down
        return false;
      }
    }
  }

  /**
   * Whether {@link #shutdown()} has been called.
   *
   * @return {@code true} once the sequence has started
   */
  public boolean isShuttingDown() {
    synchronized (lock) {
      return run != null;
    }
  }

  /**
   * Runs the shutdown sequence, or waits for the run already started, and returns its report.
   * Returns within the deadline plus {@link #HARD_BOUND_GRACE} of real time.
   *
   * @return the report
   * @throws InterruptedException if the calling thread is interrupted while waiting (the sequence
   *     goes on in the background)
   */
  public ShutdownReport shutdown() throws InterruptedException {
    CompletableFuture<ShutdownReport> future;
    Sequence seq;
    long hardBound;
    synchronized (lock) {
      if (run == null) {
        run = new CompletableFuture<>();
        sequence = new Sequence(run);
        // The hard bound is real time, measured by the callers themselves: no timer thread (which
        // might be busy or gone at JVM exit) has to fire for a caller to get its answer.
        hardBoundNanos = System.nanoTime() + deadline.plus(HARD_BOUND_GRACE).toNanos();
        start(sequence);
      }
      future = run;
      seq = sequence;
      hardBound = hardBoundNanos;
    }
    try {
      return future.get(Math.max(0, hardBound - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      seq.abandon();
      return future.join();
    } catch (ExecutionException e) {
      throw new IllegalStateException("the shutdown sequence failed", e.getCause());
    }
  }

  private void start(Sequence seq) {
    Thread worker = new Thread(seq, "riprap-graceful-shutdown");
    worker.setDaemon(true);
    seq.worker = worker;
    LOG.log(
        Level.INFO,
        "graceful shutdown started: " + steps.size() + " steps under a deadline of " + deadline);
    worker.start();
  }

  /** Runs the steps on the coordinator's daemon thread; completes the future once. */
  private final class Sequence implements Runnable {
    private final CompletableFuture<ShutdownReport> future;
    private final List<StepResult> results = new ArrayList<>();
    private long startNanos;
    private Step current;
    private boolean abandoned;
    volatile Thread worker;

    Sequence(CompletableFuture<ShutdownReport> future) {
      this.future = future;
    }

    @Override
    public void run() {
      startNanos = time.nanoTime();
      long end = startNanos + deadline.toNanos();
      for (Step step : steps) {
        long left = end - time.nanoTime();
        synchronized (this) {
          if (abandoned) {
            return;
          }
          if (left <= 0) {
            record(new StepResult(step.phase, step.name, Status.SKIPPED, Duration.ZERO, null, null));
            continue;
          }
          current = step;
        }
        long stepStart = time.nanoTime();
        DrainReport drain = null;
        Throwable error = null;
        try {
          drain = step.action.run(Duration.ofNanos(left));
        } catch (InterruptedException e) {
          error = e;
          Thread.currentThread().interrupt();
        } catch (Exception | LinkageError e) {
          error = e;
        }
        long took = time.nanoTime() - stepStart;
        Status status;
        if (error != null) {
          status = Status.FAILED;
        } else if (took > left) {
          status = Status.OVERRUN;
        } else if (drain != null && !drain.isClean()) {
          status = Status.INCOMPLETE;
        } else {
          status = Status.COMPLETED;
        }
        synchronized (this) {
          if (abandoned) {
            return;
          }
          current = null;
          record(new StepResult(step.phase, step.name, status, Duration.ofNanos(took), drain, error));
        }
        if (Thread.currentThread().isInterrupted()) {
          // Interrupted by someone else than the hard bound: skip the rest, report honestly.
          abandonRemaining();
          return;
        }
      }
      finish();
    }

    private synchronized void abandonRemaining() {
      for (Step s : steps.subList(results.size(), steps.size())) {
        record(new StepResult(s.phase, s.name, Status.SKIPPED, Duration.ZERO, null, null));
      }
      finish();
    }

    /** The hard bound passed: give up on the step that hangs and report. */
    void abandon() {
      synchronized (this) {
        if (future.isDone() || abandoned) {
          return;
        }
        abandoned = true;
        int next = results.size();
        if (current != null) {
          record(
              new StepResult(
                  current.phase,
                  current.name,
                  Status.ABANDONED,
                  Duration.ofNanos(time.nanoTime() - startNanos),
                  null,
                  null));
          next++;
        }
        for (Step s : steps.subList(next, steps.size())) {
          record(new StepResult(s.phase, s.name, Status.SKIPPED, Duration.ZERO, null, null));
        }
      }
      Thread w = worker;
      if (w != null) {
        w.interrupt();
      }
      finish();
    }

    private void record(StepResult r) {
      results.add(r);
      LOG.log(r.status() == Status.COMPLETED ? Level.INFO : Level.WARNING, () -> describe(r));
    }

    private void finish() {
      ShutdownReport report;
      synchronized (this) {
        if (future.isDone()) {
          return;
        }
        report =
            new ShutdownReport(
                results, Duration.ofNanos(time.nanoTime() - startNanos), deadline);
      }
      LOG.log(
          report.isClean() ? Level.INFO : Level.WARNING,
          "graceful shutdown finished in " + report.took() + (report.isClean() ? "" : " (not clean)"));
      for (var l : finishedListeners) {
        try {
          l.accept(report);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "shutdown listener " + l + " threw", e);
        }
      }
      future.complete(report);
    }
  }

  static String describe(StepResult r) {
    StringBuilder sb =
        new StringBuilder("shutdown ")
            .append(r.phase())
            .append(" '")
            .append(r.name())
            .append("' ")
            .append(r.status().name().toLowerCase(java.util.Locale.ROOT))
            .append(" in ")
            .append(r.took().toMillis())
            .append(" ms");
    DrainReport d = r.drain();
    if (d != null) {
      sb.append(": ")
          .append(d.inFlightAtStart())
          .append(" in flight, ")
          .append(d.completed())
          .append(" completed, ")
          .append(d.stillRunning())
          .append(" still running");
      if (d.retriesCutShort() > 0) {
        sb.append(", ").append(d.retriesCutShort()).append(" retry waits cut short");
      }
    }
    if (r.error() != null) {
      sb.append(": ").append(r.error());
    }
    return sb.toString();
  }

  /** Builds a {@link GracefulShutdown}. Not thread-safe; the coordinator it builds is. */
  public static final class Builder {
    private final List<Step> steps = new ArrayList<>();
    private final List<java.util.function.Consumer<? super ShutdownReport>> finishedListeners =
        new ArrayList<>();
    private Duration deadline = Duration.ofSeconds(25);
    private Duration propagationDelay = Duration.ofSeconds(5);
    private TimeSource timeSource = TimeSource.system();

    private Builder() {}

    /**
     * The overall deadline for the whole sequence. Defaults to 25 s, which leaves 5 s of
     * Kubernetes' default {@code terminationGracePeriodSeconds: 30} for the JVM to exit.
     *
     * @param deadline positive
     * @return this builder
     * @throws IllegalArgumentException if {@code deadline} is not positive
     */
    public Builder deadline(Duration deadline) {
      Objects.requireNonNull(deadline, "deadline");
      if (deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("deadline must be positive, was " + deadline);
      }
      this.deadline = deadline;
      return this;
    }

    /**
     * How long to keep serving after readiness went false, so that load balancers stop routing
     * here before the server refuses requests. Defaults to 5 s; zero skips the phase.
     *
     * @param delay zero or more, shorter than the deadline
     * @return this builder
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public Builder propagationDelay(Duration delay) {
      Objects.requireNonNull(delay, "delay");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("propagation delay must not be negative, was " + delay);
      }
      this.propagationDelay = delay;
      return this;
    }

    /**
     * The time source for the deadline and the propagation wait. Defaults to {@link
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
     * Adds a {@link Phase#READINESS} action that makes readiness fail, typically {@code
     * health::startDraining}.
     *
     * @param markNotReady the action; must be quick
     * @return this builder
     */
    public Builder readiness(Runnable markNotReady) {
      Objects.requireNonNull(markNotReady, "markNotReady");
      return step(Phase.READINESS, "readiness", budget -> {
        markNotReady.run();
        return null;
      });
    }

    /**
     * Adds a {@link Phase#STOP_ACCEPTING} action.
     *
     * @param name what it stops, for the report and logs; not blank
     * @param action the action; must not block for long
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder stopAccepting(String name, Runnable action) {
      Objects.requireNonNull(action, "action");
      return step(Phase.STOP_ACCEPTING, name, budget -> {
        action.run();
        return null;
      });
    }

    /**
     * Adds a {@link Phase#DRAIN_INBOUND} step: waits for inbound requests in flight, given what is
     * left of the deadline.
     *
     * @param name what it drains; not blank
     * @param drainable the drain
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder drainInbound(String name, Drainable drainable) {
      Objects.requireNonNull(drainable, "drainable");
      return step(Phase.DRAIN_INBOUND, name, drainable::drain);
    }

    /**
     * Adds a JDK HTTP server: {@link HttpServerDrain#stopAccepting()} in {@link
     * Phase#STOP_ACCEPTING} and {@link HttpServerDrain#stop(Duration)} (drain, then stop the server)
     * in {@link Phase#DRAIN_INBOUND}.
     *
     * @param name the server's name; not blank
     * @param server the drain support of the server
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder httpServer(String name, HttpServerDrain server) {
      Objects.requireNonNull(server, "server");
      stopAccepting(name, server::stopAccepting);
      return step(Phase.DRAIN_INBOUND, name, server::stop);
    }

    /**
     * Adds a {@link Phase#STOP_WORKERS} step that stops a supervisor's workers (interrupt, then
     * join within what is left of the deadline).
     *
     * @param supervisor the supervisor
     * @return this builder
     */
    public Builder stopWorkers(Supervisor supervisor) {
      Objects.requireNonNull(supervisor, "supervisor");
      return step(Phase.STOP_WORKERS, supervisor.name(), supervisor::stop);
    }

    /**
     * Adds a {@link Phase#DRAIN_OUTBOUND} step: a {@code ShutdownGate}, a {@code PolicyRegistry} or
     * a {@code ResilientHttpClient}, as {@code gate::drain}.
     *
     * @param name what it drains; not blank
     * @param drainable the drain
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder drainOutbound(String name, Drainable drainable) {
      Objects.requireNonNull(drainable, "drainable");
      return step(Phase.DRAIN_OUTBOUND, name, drainable::drain);
    }

    /**
     * Adds a {@link Phase#CLOSE} step. Close steps run in the order they were added.
     *
     * @param name what it closes; not blank
     * @param resource the resource
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder close(String name, AutoCloseable resource) {
      Objects.requireNonNull(resource, "resource");
      return step(Phase.CLOSE, name, budget -> {
        resource.close();
        return null;
      });
    }

    /**
     * Adds a listener told the report when the sequence has finished (or was abandoned at the hard
     * bound), on the coordinator's thread (on the caller's, when the run was abandoned).
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder onFinished(java.util.function.Consumer<? super ShutdownReport> listener) {
      finishedListeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    private Builder step(Phase phase, String name, Action action) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("step name must not be blank");
      }
      steps.add(new Step(phase, name, action));
      return this;
    }

    /**
     * Builds the coordinator. Nothing runs until {@link GracefulShutdown#shutdown()} or the hook.
     *
     * @return the coordinator
     * @throws IllegalStateException if the propagation delay is not shorter than the deadline
     */
    public GracefulShutdown build() {
      if (propagationDelay.compareTo(deadline) >= 0) {
        throw new IllegalStateException(
            "propagation delay " + propagationDelay + " must be shorter than the deadline "
                + deadline);
      }
      List<Step> all = new ArrayList<>(steps);
      if (!propagationDelay.isZero()) {
        Duration delay = propagationDelay;
        TimeSource ts = timeSource;
        CountDownLatch never = new CountDownLatch(1);
        all.add(
            new Step(
                Phase.PROPAGATION,
                "propagation delay",
                budget -> {
                  ts.await(never, Math.min(delay.toNanos(), budget.toNanos()));
                  return null;
                }));
      }
      Builder copy = new Builder();
      copy.steps.addAll(all);
      copy.finishedListeners.addAll(finishedListeners);
      copy.deadline = deadline;
      copy.propagationDelay = propagationDelay;
      copy.timeSource = timeSource;
      return new GracefulShutdown(copy);
    }
  }
}
