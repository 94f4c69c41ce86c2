package dev.riprap.lifecycle;

import dev.riprap.Cancellable;
import dev.riprap.lifecycle.Supervisor.WorkerInfo;
import dev.riprap.lifecycle.Supervisor.WorkerState;
import dev.riprap.lifecycle.SupervisorEvent.Kind;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * The life of one worker of a {@link Supervisor}: start, run, crash, back off, restart, give up,
 * stop.
 *
 * <p>Every move between {@link WorkerState}s happens under this object's lock, together with what
 * must go with it (the restart timer, the event), so no move is half made. Events wait in an outbox
 * in the order of the moves and are handed to the listeners outside the lock, by one thread at a
 * time: so listeners see one worker's events in order, and a listener that hangs holds no lock that
 * {@link Supervisor#stop} needs. User code (the worker, listeners, the executor, the time source)
 * that throws anything can lose at most its own event, never leave the worker in a state nothing
 * will move it out of.
 */
final class SupervisedWorker {
  private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());
  private static final Set<WorkerState> SETTLED =
      EnumSet.of(WorkerState.COMPLETED, WorkerState.GAVE_UP, WorkerState.STOPPED);

  private final Supervisor owner;
  final String name;
  private final Supervisor.Worker work;

  // Guarded by this.
  private final ArrayDeque<Long> restartTimes = new ArrayDeque<>();
  private final ArrayDeque<SupervisorEvent> outbox = new ArrayDeque<>();
  private boolean delivering;
  private WorkerState state = WorkerState.STARTING;
  private int restarts;
  private Throwable lastFailure;
  private Thread thread;
  private CountDownLatch runDone;
  private Cancellable pendingRestart;

  SupervisedWorker(Supervisor owner, String name, Supervisor.Worker work) {
    this.owner = owner;
    this.name = name;
    this.work = work;
  }

  synchronized WorkerInfo info() {
    return new WorkerInfo(name, state, restarts, lastFailure);
  }

  /** Hands one run to the executor (the first run, or a restart when the backoff is over). */
  void launch() {
    CountDownLatch done = new CountDownLatch(1);
    boolean stoppedNow;
    synchronized (this) {
      pendingRestart = null;
      if (SETTLED.contains(state)) {
        return; // stop() came first and said so
      }
      stoppedNow = owner.isStopping();
      if (stoppedNow) {
        moveTo(WorkerState.STOPPED, Kind.STOPPED, 0, null);
      } else {
        state = WorkerState.STARTING;
        runDone = done;
      }
    }
    if (stoppedNow) {
      deliver();
      return;
    }
    try {
      owner.execute(() -> runOnce(done), name);
    } catch (Throwable refusal) {
      // RejectedExecutionException from a shut-down executor, or anything else an executor (or
      // Thread.start) throws: the run never starts.
      cannotContinue(refusal, "start", EnumSet.of(WorkerState.STARTING));
      done.countDown();
    }
  }

  private void runOnce(CountDownLatch done) {
    try {
      boolean stoppedNow;
      synchronized (this) {
        if (state != WorkerState.STARTING) {
          return; // stopped before it ran (stop() said so), or run a second time by the executor
        }
        stoppedNow = owner.isStopping();
        if (stoppedNow) {
          moveTo(WorkerState.STOPPED, Kind.STOPPED, 0, null);
        } else {
          thread = Thread.currentThread();
          moveTo(WorkerState.RUNNING, Kind.STARTED, 0, null);
        }
      }
      deliver();
      if (stoppedNow) {
        return;
      }
      Throwable failure = null;
      try {
        work.run();
      } catch (Throwable t) { // any failure of the worker is a crash to supervise, Errors included
        failure = t;
      }
      settle(failure);
    } catch (Throwable t) {
      // The supervisor's own handling failed (a time source or a logger that throws): the worker
      // cannot be supervised any more; say so rather than leave it RUNNING.
      cannotContinue(t, "supervise", EnumSet.of(WorkerState.RUNNING));
    } finally {
      done.countDown();
    }
  }

  /** The run returned ({@code failure == null}) or threw: complete, stop, restart or give up. */
  private void settle(Throwable failure) {
    long now = owner.time.nanoTime();
    Kind kind;
    long delay = 0;
    Throwable refusal = null;
    synchronized (this) {
      thread = null;
      if (failure != null) {
        lastFailure = failure;
      }
      while (!restartTimes.isEmpty() && now - restartTimes.peekFirst() >= owner.windowNanos) {
        restartTimes.pollFirst();
      }
      if (owner.isStopping()) {
        kind = Kind.STOPPED; // stop() ran while this run was ending: no restart
        moveTo(WorkerState.STOPPED, kind, 0, null);
      } else if (failure == null) {
        kind = Kind.COMPLETED;
        moveTo(WorkerState.COMPLETED, kind, 0, null);
      } else if (restartTimes.size() >= owner.maxRestarts) {
        kind = Kind.GAVE_UP;
        moveTo(WorkerState.GAVE_UP, kind, 0, failure);
      } else {
        kind = Kind.CRASHED;
        delay = owner.backoffNanos(restartTimes.size());
        restartTimes.addLast(now);
        restarts++;
        moveTo(WorkerState.BACKING_OFF, kind, delay, failure);
        try {
          pendingRestart = owner.time.schedule(this::launch, delay);
        } catch (Throwable t) { // a time source that cannot schedule any more
          refusal = t;
          lastFailure = t;
          moveTo(WorkerState.GAVE_UP, Kind.GAVE_UP, 0, t);
        }
      }
    }
    if (kind == Kind.GAVE_UP) {
      LOG.log(
          Level.ERROR,
          "supervisor '" + owner.name() + "' gave up on worker '" + name + "' after "
              + owner.maxRestarts + " restarts within " + Duration.ofNanos(owner.windowNanos),
          failure);
    } else if (kind == Kind.CRASHED) {
      LOG.log(
          Level.WARNING,
          "worker '" + name + "' of supervisor '" + owner.name() + "' crashed; restarting in "
              + Duration.ofNanos(delay),
          failure);
    }
    if (refusal != null) {
      LOG.log(
          Level.ERROR,
          "supervisor '" + owner.name() + "' could not schedule the restart of worker '" + name
              + "'; gave up on it",
          refusal);
    }
    deliver();
  }

  /**
   * Stops this worker for {@link Supervisor#stop}: cancels a pending restart, interrupts a running
   * worker. A worker backing off, or handed to the executor but not running yet, is stopped at
   * once (if the executor runs it later, the worker itself does not run).
   *
   * @return the latch that opens when the running worker has returned, or {@code null} when there
   *     is nothing to wait for
   */
  CountDownLatch stop() {
    CountDownLatch wait = null;
    synchronized (this) {
      if (pendingRestart != null) {
        pendingRestart.cancel();
        pendingRestart = null;
      }
      switch (state) {
        case STARTING, BACKING_OFF -> moveTo(WorkerState.STOPPED, Kind.STOPPED, 0, null);
        case RUNNING -> {
          wait = runDone;
          if (thread != null) {
            thread.interrupt();
          }
        }
        default -> { } // settled already
      }
    }
    deliver();
    return wait;
  }

  /**
   * The worker cannot go on from one of the states {@code from} ({@code why} refused it): it is
   * given up on, or stopped when the supervisor is stopping. In any other state it is left alone
   * (the executor that threw may have run it after all; stop() may have settled it).
   */
  private void cannotContinue(Throwable why, String doing, Set<WorkerState> from) {
    boolean gaveUp = false;
    synchronized (this) {
      if (from.contains(state)) {
        thread = null;
        if (owner.isStopping()) {
          moveTo(WorkerState.STOPPED, Kind.STOPPED, 0, null);
        } else {
          gaveUp = true;
          lastFailure = why;
          moveTo(WorkerState.GAVE_UP, Kind.GAVE_UP, 0, why);
        }
      }
    }
    String message =
        "supervisor '" + owner.name() + "' could not " + doing + " worker '" + name + "'";
    if (gaveUp) {
      LOG.log(Level.ERROR, message + "; gave up on it", why);
    } else {
      LOG.log(Level.WARNING, message, why);
    }
    deliver();
  }

  /** Makes a move and queues its event. Caller holds the lock. */
  private void moveTo(WorkerState next, Kind kind, long delayNanos, Throwable cause) {
    assert !SETTLED.contains(state) : name + " is settled (" + state + "), cannot move to " + next;
    state = next;
    if (!owner.hasListeners()) {
      return; // nobody listens: no event is made
    }
    try {
      outbox.add(
          new SupervisorEvent(
              owner.name(),
              name,
              kind,
              owner.time.instant(),
              restarts,
              Duration.ofNanos(delayNanos),
              cause));
    } catch (Throwable t) { // a time source that throws: the move stands, its event is lost
      LOG.log(Level.WARNING, "supervisor '" + owner.name() + "' lost its " + kind + " event", t);
    }
  }

  /**
   * Hands the queued events to the listeners, unless another thread is doing so already (it will
   * hand over these too). Never holds the lock while a listener runs.
   */
  private void deliver() {
    synchronized (this) {
      if (delivering) {
        return;
      }
      delivering = true;
    }
    boolean drained = false;
    try {
      while (true) {
        SupervisorEvent event;
        synchronized (this) {
          event = outbox.poll();
          if (event == null) {
            delivering = false;
            drained = true;
            return;
          }
        }
        owner.publish(event);
      }
    } finally {
      if (!drained) { // publish itself failed (a logger that throws): let the next move deliver
        synchronized (this) {
          delivering = false;
        }
      }
    }
  }
}
