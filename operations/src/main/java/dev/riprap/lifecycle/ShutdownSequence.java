package dev.riprap.lifecycle;

import dev.riprap.DrainReport;
import dev.riprap.TimeSource;
import dev.riprap.lifecycle.GracefulShutdown.Phase;
import dev.riprap.lifecycle.ShutdownReport.Status;
import dev.riprap.lifecycle.ShutdownReport.StepResult;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One run of a {@link GracefulShutdown}: runs the steps in order on a daemon thread of its own
 * under the deadline, builds the one {@link ShutdownReport}, tells the listeners, and hands that
 * report to every caller of {@link #await()}. A caller that reaches the hard bound (the deadline plus
 * {@link GracefulShutdown#HARD_BOUND_GRACE}, real time) abandons the step that hangs instead of
 * waiting for it.
 *
 * <p>Whatever user code does, the run ends with one report and every caller gets it: a step that
 * throws anything (an {@code Error} included) is {@link Status#FAILED} and the next step runs; a
 * listener that throws anything is logged and the others are still told.
 */
final class ShutdownSequence implements Runnable {
  /** A deadline (in nanoseconds) that never passes. */
  static final long NO_BOUND = Long.MAX_VALUE;

  private static final System.Logger LOG = System.getLogger(GracefulShutdown.class.getName());
  private static final long GRACE_NANOS = GracefulShutdown.HARD_BOUND_GRACE.toNanos();

  /** One step's work, given what is left of the deadline. */
  @FunctionalInterface
  interface Action {
    DrainReport run(Duration budget) throws Exception;
  }

  /** A configured step. */
  record Step(Phase phase, String name, Action action) {}

  private final List<Step> steps;
  private final Duration deadline;
  private final long deadlineNanos; // NO_BOUND: none
  private final TimeSource time;
  private final List<Consumer<? super ShutdownReport>> listeners;
  private final CompletableFuture<ShutdownReport> future = new CompletableFuture<>();
  private final long startNanos; // by the time source
  private final long startRealNanos; // System.nanoTime(), for the hard bound
  private final long hardBoundNanos; // real nanoseconds after startRealNanos; NO_BOUND: none
  private final Thread worker;

  // Guarded by this.
  private final List<StepResult> results = new ArrayList<>();
  private Step current;
  private long currentStartNanos;
  private boolean abandoned;
  private ShutdownReport report;

  private ShutdownSequence(
      List<Step> steps,
      Duration deadline,
      TimeSource time,
      List<Consumer<? super ShutdownReport>> listeners) {
    this.steps = steps;
    this.deadline = deadline;
    this.deadlineNanos = nanos(deadline);
    this.time = time;
    this.listeners = listeners;
    this.startNanos = time.nanoTime();
    // The hard bound is real time, measured by the callers themselves: no timer thread (which
    // might be busy or gone at JVM exit) has to fire for a caller to get its answer.
    this.startRealNanos = System.nanoTime();
    this.hardBoundNanos =
        deadlineNanos >= NO_BOUND - GRACE_NANOS ? NO_BOUND : deadlineNanos + GRACE_NANOS;
    this.worker = new Thread(this, "riprap-graceful-shutdown");
    worker.setDaemon(true);
  }

  /**
   * Starts a run on a daemon thread of its own.
   *
   * @return the run, to {@link #await()}
   */
  static ShutdownSequence start(
      List<Step> steps,
      Duration deadline,
      TimeSource time,
      List<Consumer<? super ShutdownReport>> listeners) {
    ShutdownSequence seq = new ShutdownSequence(steps, deadline, time, listeners);
    LOG.log(
        Level.INFO,
        "graceful shutdown started: " + steps.size() + " steps under a deadline of " + deadline);
    seq.worker.start();
    return seq;
  }

  /**
   * A duration in nanoseconds, saturated: {@link Long#MAX_VALUE} nanoseconds (about 292 years) or
   * more is {@link #NO_BOUND}.
   */
  static long nanos(Duration d) {
    return TimeUnit.NANOSECONDS.convert(d);
  }

  /**
   * Waits for the report, at most until the hard bound; then abandons the step still running.
   *
   * @return the one report of this run
   * @throws InterruptedException if the caller is interrupted while waiting (the run goes on)
   */
  ShutdownReport await() throws InterruptedException {
    try {
      if (hardBoundNanos == NO_BOUND) {
        return future.get();
      }
      long left = hardBoundNanos - (System.nanoTime() - startRealNanos);
      return future.get(Math.max(0, left), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return abandon();
    } catch (ExecutionException e) {
      throw new IllegalStateException("the shutdown sequence failed", e.getCause());
    }
  }

  @Override
  public void run() {
    try {
      runSteps();
    } finally {
      finish();
    }
  }

  private void runSteps() {
    for (Step step : steps) {
      long left;
      synchronized (this) {
        if (abandoned) {
          return;
        }
        left = remainingNanos();
        if (left <= 0) {
          record(new StepResult(step.phase, step.name, Status.SKIPPED, Duration.ZERO, null, null));
          continue;
        }
        current = step;
        currentStartNanos = time.nanoTime();
      }
      long stepStart = time.nanoTime();
      DrainReport drain = null;
      Throwable error = null;
      try {
        drain = step.action.run(Duration.ofNanos(left));
      } catch (InterruptedException e) {
        error = e;
        Thread.currentThread().interrupt();
      } catch (Throwable e) {
        // Anything a step throws, an Error included, fails that step only: shutdown is best effort,
        // and the steps after a failed one (closing a database, flushing a log) matter most then.
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
        // Interrupted by someone else than the hard bound: the rest is skipped (finish() says so).
        return;
      }
    }
  }

  private long remainingNanos() {
    return deadlineNanos == NO_BOUND
        ? NO_BOUND
        : deadlineNanos - (time.nanoTime() - startNanos);
  }

  /** On the coordinator's thread, the steps over: the report, the listeners, the callers. */
  private void finish() {
    ShutdownReport r;
    synchronized (this) {
      if (abandoned || report != null) {
        return; // a caller abandoned the run at the hard bound and reported it
      }
      r = buildReport();
    }
    try {
      logFinished(r);
      tell(r);
    } finally {
      future.complete(r);
    }
  }

  /** The hard bound passed: give up on the step that hangs (or the listener), report, return. */
  private ShutdownReport abandon() {
    ShutdownReport r;
    boolean abandonedNow;
    synchronized (this) {
      abandonedNow = report == null;
      if (abandonedNow) {
        abandoned = true;
        if (current != null) {
          record(
              new StepResult(
                  current.phase,
                  current.name,
                  Status.ABANDONED,
                  Duration.ofNanos(time.nanoTime() - currentStartNanos),
                  null,
                  null));
        }
        r = buildReport();
      } else {
        r = report;
      }
    }
    if (!abandonedNow) {
      // The steps are over; a listener still holds the coordinator's thread: interrupted, as a
      // hung step would be, and no caller waits for it any longer.
      if (future.complete(r)) {
        LOG.log(Level.WARNING, "a shutdown listener was still running at the hard bound");
        worker.interrupt();
      }
      return r;
    }
    worker.interrupt();
    // Every caller gets the report now; this one tells the listeners, so that only its own thread
    // waits for them.
    future.complete(r);
    logFinished(r);
    tell(r);
    return r;
  }

  /** Builds the one report, the steps not run reported SKIPPED. Caller holds the lock. */
  private ShutdownReport buildReport() {
    for (Step s : steps.subList(results.size(), steps.size())) {
      record(new StepResult(s.phase, s.name, Status.SKIPPED, Duration.ZERO, null, null));
    }
    report = new ShutdownReport(results, Duration.ofNanos(time.nanoTime() - startNanos), deadline);
    return report;
  }

  private void record(StepResult r) {
    results.add(r);
    if (r.error() != null) {
      LOG.log(Level.WARNING, describe(r), r.error());
    } else {
      LOG.log(r.status() == Status.COMPLETED ? Level.INFO : Level.WARNING, () -> describe(r));
    }
  }

  private static void logFinished(ShutdownReport r) {
    LOG.log(
        r.isClean() ? Level.INFO : Level.WARNING,
        "graceful shutdown finished in " + r.took() + (r.isClean() ? "" : " (not clean)"));
  }

  private void tell(ShutdownReport r) {
    for (Consumer<? super ShutdownReport> l : listeners) {
      try {
        l.accept(r);
      } catch (Throwable t) {
        // Anything, an Error included: the report stands, the other listeners are still told and
        // no caller waits for this one.
        LOG.log(Level.ERROR, "shutdown listener " + l + " threw", t);
      }
    }
  }

  /** One step's outcome as a log line. */
  static String describe(StepResult r) {
    StringBuilder sb =
        new StringBuilder("shutdown ")
            .append(r.phase())
            .append(" '")
            .append(r.name())
            .append("' ")
            .append(r.status().name().toLowerCase(Locale.ROOT))
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
}
