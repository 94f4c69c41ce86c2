package dev.riprap;

import dev.riprap.event.CallCompleted;
import dev.riprap.event.RetryAbandoned;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.function.Function;

/**
 * The non-blocking driver: one async call, advanced by stage completions and timer tasks, never
 * by a blocked thread (except inside a resilience4j bulkhead configured to wait).
 *
 * <p><b>Ownership.</b> One word, {@link #state}, says who may touch the call's permits and
 * outcome. It holds a phase and a sequence number that grows with every wait and every attempt
 * run, so that a late timer or a stale stage never acts on a later phase:
 *
 * <ul>
 *   <li>{@code ACQUIRING}: one thread, the owner, is advancing the call (taking permits,
 *       deciding on a retry);
 *   <li>{@code WAITING}: nobody runs; a timer (limiter slot, probe, backoff) or a drain will claim
 *       the call back;
 *   <li>{@code RUNNING}: the attempt's stage is in flight; its completion or its attempt timer
 *       claims the call back;
 *   <li>{@code CLOSED}: the call ended and gave back what it held.
 * </ul>
 *
 * <p>Whoever moves the word out of {@code WAITING} or {@code RUNNING} owns the call. The total
 * timeout and a cancel end the call from outside: from {@code WAITING} or {@code RUNNING} they take
 * ownership and give the permits back themselves; from {@code ACQUIRING} they only mark the word
 * {@link #ENDED} and deliver the outcome at once, and the owner gives back what it holds at its
 * next move, which the mark makes fail. So every permit is given back exactly once, by whoever
 * holds the call, and the caller's future completes on time. The outcome is delivered once
 * ({@link #delivered}).
 */
// Size: one state machine. Every method that moves the state word is here on purpose, so that the
// ownership rules above can be checked by reading one file.
final class AsyncCall<T> extends Call implements AttemptContext {
  private static final int ACQUIRING = 0;
  private static final int WAITING = 1;
  private static final int RUNNING = 2;
  private static final int CLOSED = 3;
  private static final int PHASE = 3;
  private static final long ENDED = 4;

  @SuppressWarnings("rawtypes")
  private static final AtomicLongFieldUpdater<AsyncCall> STATE =
      AtomicLongFieldUpdater.newUpdater(AsyncCall.class, "state");
  @SuppressWarnings("rawtypes")
  private static final AtomicIntegerFieldUpdater<AsyncCall> DELIVERED =
      AtomicIntegerFieldUpdater.newUpdater(AsyncCall.class, "delivered");

  private volatile long state;
  private volatile int delivered;

  private final Function<AttemptContext, ? extends CompletionStage<? extends T>> work;
  private final Fallback<T> fallback;
  private final Result<T> future = new Result<>(this);
  private boolean entered;

  // Written by the owner, read by whoever ends the call from outside.
  private volatile Cancellable totalTimer;
  private volatile Cancellable waitTimer;
  private volatile Cancellable attemptTimer;
  private volatile CompletableFuture<?> inFlight;
  private volatile Runnable drainWake;
  private volatile long attemptDeadline = Pipeline.NONE;
  private long attemptStart;
  /** The step to ask next when a wait ends; -1 after a backoff (a new attempt). */
  private int resumeAt;

  AsyncCall(
      Pipeline p,
      Function<AttemptContext, ? extends CompletionStage<? extends T>> work,
      Fallback<T> fallback) {
    super(p);
    this.work = work;
    this.fallback = fallback;
  }

  private static long word(long seq, int phase) {
    return (seq << 3) | phase;
  }

  private static int phase(long s) {
    return (int) (s & PHASE);
  }

  private static long seq(long s) {
    return s >>> 3;
  }

  private static boolean ended(long s) {
    return (s & ENDED) != 0;
  }

  /** The owner hands the call over: from {@code ACQUIRING} to {@code phase}, unless it ended. */
  private long handOver(int phase) {
    long s = state;
    long next = word(seq(s) + 1, phase);
    return !ended(s) && STATE.compareAndSet(this, s, next) ? next : -1;
  }

  /** Claims the call back from the wait or run {@code expected}: the caller becomes the owner. */
  private boolean claim(long expected) {
    return STATE.compareAndSet(this, expected, word(seq(expected), ACQUIRING));
  }

  // ---------------------------------------------------------------- start

  CompletableFuture<T> start() {
    try {
      start = p.time.nanoTime();
      ShutdownGate gate = p.gate;
      if (gate != null && !gate.tryEnter()) {
        endFromOutside(p.rejection(RejectionReason.SHUTTING_DOWN, null, null));
        return future;
      }
      entered = gate != null;
      if (p.totalTimeoutNanos != Pipeline.NONE) {
        deadline = Pipeline.plus(start, p.totalTimeoutNanos);
        Cancellable timer = p.time.schedule(this::onTotalTimeout, p.totalTimeoutNanos);
        totalTimer = timer;
        if (delivered != 0) {
          timer.cancel();
        }
      }
      if (p.budget != null) {
        p.budget.recordCall();
      }
    } catch (Throwable t) {
      // A time source or gate of the user's that threw: the call ends with it.
      endFromOutside(t);
      return future;
    }
    nextAttempt();
    return future;
  }

  // ---------------------------------------------------------------- one attempt (owner)

  private void nextAttempt() {
    attempt++;
    held = 0;
    probing = false;
    result = null;
    failure = null;
    acquireFrom(0);
  }

  /** Takes the permits of the steps from {@code i} on, waiting where a step asks to. */
  private void acquireFrom(int i) {
    Step[] steps = p.steps;
    try {
      while (i < steps.length) {
        long remaining = Pipeline.remaining(deadline, p.time.nanoTime());
        long answer = steps[i].acquire(remaining);
        if (answer != Step.GO) {
          answer = resolve(i, answer, remaining);
        }
        if (answer == Step.GO) {
          held = ++i;
        } else if (answer > 0) {
          held = i + 1;
          waitThen(answer, i + 1, false);
          return;
        } else if (Step.isAskAgain(answer)) {
          long wait = Step.askAgainDelay(answer);
          if (wait > 0) {
            waitThen(wait, i, false);
            return;
          }
        } else {
          releaseHeld();
          failure = answer == Step.DEADLINE ? p.totalTimedOut(attempt) : steps[i].refusal(p);
          afterAttempt();
          return;
        }
      }
    } catch (Throwable t) {
      // A strategy instance of the user's that threw: the attempt fails with it.
      releaseHeld();
      failure = t;
      afterAttempt();
      return;
    }
    runAttempt();
  }

  private void runAttempt() {
    long now = p.time.nanoTime();
    long timeout = Math.min(p.attemptTimeoutNanos, Pipeline.remaining(deadline, now));
    if (timeout <= 0 || ended(state)) {
      releaseHeld();
      if (!ended(state)) {
        failure = p.totalTimedOut(attempt);
        afterAttempt();
      }
      return;
    }
    attemptStart = now;
    attemptDeadline = timeout == Pipeline.NONE ? Pipeline.NONE : Pipeline.plus(now, timeout);
    CompletionStage<? extends T> stage;
    try {
      stage = work.apply(this);
      if (stage == null) {
        stage = CompletableFuture.failedFuture(
            new NullPointerException("the work returned a null stage"));
      }
    } catch (Throwable t) {
      stage = CompletableFuture.failedFuture(t);
    }
    CompletableFuture<?> handle = cancelHandle(stage);
    long running = handOver(RUNNING);
    if (running < 0) {
      // The call ended while the work started: the attempt never counts.
      releaseHeld();
      cancelQuietly(handle);
      whenDone(stage, (v, t) -> {
        if (t == null) {
          p.discard(v);
        }
      });
      return;
    }
    // From here on this thread is not the owner: only the claim below or a stage/timer may act.
    try {
      if (timeout != Pipeline.NONE) {
        boolean total = deadline != Pipeline.NONE && Pipeline.plus(now, timeout) >= deadline;
        attemptTimer = p.time.schedule(() -> onAttemptTimeout(running, timeout, total), timeout);
      }
      inFlight = handle;
      if (state != running) {
        // Ended or settled meanwhile, maybe before the timer or the handle was there to cancel.
        cancelQuietly(attemptTimer);
        cancelQuietly(handle);
      }
    } catch (Throwable t) {
      onStageDone(running, null, t);
      return;
    }
    whenDone(stage, (v, t) -> onStageDone(running, v, t));
  }

  private void whenDone(
      CompletionStage<? extends T> stage, java.util.function.BiConsumer<Object, Throwable> action) {
    try {
      stage.whenComplete(action);
    } catch (Throwable t) {
      // A stage of the user's that refuses a callback: the attempt fails with what it threw.
      action.accept(null, t);
    }
  }

  private static CompletableFuture<?> cancelHandle(CompletionStage<?> stage) {
    try {
      return stage.toCompletableFuture();
    } catch (Throwable e) {
      return null;
    }
  }

  private void onStageDone(long running, Object v, Throwable t) {
    if (!claim(running)) {
      // Too late: the attempt already timed out or the call ended.
      if (t == null) {
        p.discard(v);
      }
      return;
    }
    cancelQuietly(attemptTimer);
    attemptTimer = null;
    inFlight = null;
    settle(attemptStart, v, unwrap(t));
    afterAttempt();
  }

  private void onAttemptTimeout(long running, long timeout, boolean total) {
    if (!claim(running)) {
      return;
    }
    CompletableFuture<?> handle = inFlight;
    inFlight = null;
    attemptTimer = null;
    settle(attemptStart, null, p.timedOut(attempt, timeout, total));
    cancelQuietly(handle);
    afterAttempt();
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  // ---------------------------------------------------------------- between attempts (owner)

  private void afterAttempt() {
    long delay = decide(false);
    if (delay < 0) {
      finish();
      return;
    }
    waitThen(delay, -1, true);
  }

  /**
   * The owner waits {@code nanos}, then goes on at step {@code resumeIndex} (-1: a new attempt).
   * The word moves to {@code WAITING} before the timer exists, so a timer that fires at once
   * finds the wait to claim.
   */
  private void waitThen(long nanos, int resumeIndex, boolean backoff) {
    resumeAt = resumeIndex;
    long waiting = handOver(WAITING);
    if (waiting < 0) {
      // Ended from outside while acquiring: give back what this attempt holds.
      releaseHeld();
      if (failure == null) {
        p.discard(result);
      }
      return;
    }
    try {
      if (backoff && p.gate != null) {
        Runnable wake = () -> onDrain(waiting);
        drainWake = wake;
        p.gate.registerWait(wake);
        if (state != waiting) {
          p.gate.unregisterWait(wake);
        }
      }
      Cancellable timer = p.time.schedule(() -> waitOver(waiting), nanos);
      waitTimer = timer;
      if (state != waiting) {
        timer.cancel();
      }
    } catch (Throwable t) {
      // The time source refused the timer: the call ends with what it threw.
      if (claim(waiting)) {
        unregisterWake();
        releaseHeld();
        failure = Pipeline.userCodeFailed(t, failure);
        result = null;
        finish();
      }
    }
  }

  /** On the timer thread: the wait is over; the call goes on on the async executor. */
  private void waitOver(long waiting) {
    if (state != waiting) {
      return;
    }
    try {
      p.asyncExecutor.execute(() -> resume(waiting));
    } catch (Throwable refused) {
      // The executor refused (shut down, saturated): the call ends with its exception, the
      // previous attempt's outcome attached.
      if (claim(waiting)) {
        unregisterWake();
        releaseHeld();
        if (failure == null) {
          p.discard(result);
        }
        failure = Pipeline.userCodeFailed(refused, failure);
        result = null;
        finish();
      }
    }
  }

  private void resume(long waiting) {
    if (!claim(waiting)) {
      return;
    }
    waitTimer = null;
    unregisterWake();
    if (resumeAt < 0) {
      nextAttempt();
    } else {
      acquireFrom(resumeAt);
    }
  }

  /** A drain began during a backoff: the call ends at once with its last outcome. */
  private void onDrain(long waiting) {
    if (!claim(waiting)) {
      return;
    }
    drainWake = null;
    cancelQuietly(waitTimer);
    p.gate.recordCutShort();
    p.abandoned(attempt, RetryAbandoned.Reason.DRAINING, result, failure);
    finish();
  }

  private void unregisterWake() {
    Runnable wake = drainWake;
    if (wake != null) {
      drainWake = null;
      p.gate.unregisterWait(wake);
    }
  }

  // ---------------------------------------------------------------- the end

  /** The owner ends the call with its own outcome. */
  private void finish() {
    long s = state;
    if (ended(s) || !STATE.compareAndSet(this, s, word(seq(s), CLOSED))) {
      // Ended from outside, and its outcome already delivered.
      if (failure == null) {
        p.discard(result);
      }
      return;
    }
    deliver(this, false);
  }

  private void onTotalTimeout() {
    endFromOutside(null);
  }

  /** The caller gave up on the future (cancelled or completed it): nothing is recorded. */
  void abandoned() {
    endFromOutside(Result.ABANDONED);
  }

  /**
   * Ends the call from outside: the total timeout ({@code why == null}), the caller giving up
   * ({@link Result#ABANDONED}), or a failure before the first attempt.
   */
  private void endFromOutside(Throwable why) {
    boolean gaveUp = why == Result.ABANDONED;
    while (true) {
      long s = state;
      int phase = phase(s);
      if (ended(s) || phase == CLOSED || delivered != 0) {
        return;
      }
      if (phase == ACQUIRING) {
        if (STATE.compareAndSet(this, s, s | ENDED)) {
          deliverFromOutside(gaveUp, why != null ? why : p.totalTimedOut(attempt));
          return;
        }
        continue;
      }
      if (!STATE.compareAndSet(this, s, word(seq(s), CLOSED))) {
        continue;
      }
      Throwable outcome = gaveUp ? null : p.totalTimedOut(attempt);
      if (phase == WAITING) {
        cancelQuietly(waitTimer);
        unregisterWake();
        releaseHeld();
      } else {
        cancelQuietly(attemptTimer);
        CompletableFuture<?> handle = inFlight;
        if (gaveUp) {
          // The attempt says nothing about the downstream: it is not recorded.
          releaseHeld();
        } else {
          settle(attemptStart, null, outcome);
          outcome = failure;
        }
        cancelQuietly(handle);
      }
      deliverFromOutside(gaveUp, outcome);
      return;
    }
  }

  private void deliverFromOutside(boolean gaveUp, Throwable failure) {
    Outcome out = new Outcome();
    out.failure = failure;
    deliver(out, gaveUp);
  }

  @SuppressWarnings("unchecked")
  private void deliver(Outcome out, boolean gaveUp) {
    if (!DELIVERED.compareAndSet(this, 0, 1)) {
      return;
    }
    cancelQuietly(totalTimer);
    unregisterWake();
    if (entered) {
      p.gate.exit();
    }
    if (gaveUp) {
      p.completed(CallCompleted.Outcome.FAILURE, null, attempt, start);
      return;
    }
    complete(fallback, out, attempt);
    if (out.failure == null) {
      future.deliver((T) out.result);
    } else {
      future.deliverFailure(out.failure);
    }
  }

  private static void cancelQuietly(Cancellable c) {
    if (c != null) {
      try {
        c.cancel();
      } catch (Throwable ignored) {
        // A time source's handle that throws: the timer task finds the call ended anyway.
      }
    }
  }

  private static void cancelQuietly(CompletableFuture<?> f) {
    if (f != null) {
      try {
        f.cancel(true);
      } catch (Throwable ignored) {
        // A stage of the user's that refuses cancellation: its late outcome is discarded.
      }
    }
  }

  CompletableFuture<T> future() {
    return future;
  }

  // ---------------------------------------------------------------- AttemptContext

  @Override
  public int attempt() {
    return attempt;
  }

  @Override
  public long remainingNanos() {
    long d = attemptDeadline;
    return d == Pipeline.NONE ? Pipeline.NONE : Math.max(0, Pipeline.remaining(d, p.time.nanoTime()));
  }

  @Override
  public boolean retryPossible() {
    return p.retry != null && p.retry.possible(p, attempt, deadline);
  }

  /**
   * The caller's future. Completing or cancelling it from outside tells the call that the caller
   * gave up: retries stop, the attempt in flight is cancelled and its permits given back.
   */
  static final class Result<T> extends CompletableFuture<T> {
    /** Marks an end from outside by the caller. */
    static final Throwable ABANDONED = new Throwable("abandoned", null, false, false) {
      private static final long serialVersionUID = 1L;
    };

    private final transient AsyncCall<T> call;

    Result(AsyncCall<T> call) {
      this.call = call;
    }

    void deliver(T value) {
      super.complete(value);
    }

    void deliverFailure(Throwable failure) {
      super.completeExceptionally(failure);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled) {
        call.abandoned();
      }
      return cancelled;
    }

    @Override
    public boolean complete(T value) {
      boolean completed = super.complete(value);
      if (completed) {
        call.abandoned();
      }
      return completed;
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
      boolean completed = super.completeExceptionally(ex);
      if (completed) {
        call.abandoned();
      }
      return completed;
    }
  }
}
