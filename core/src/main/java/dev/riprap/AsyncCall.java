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
  /** {@link #askLimiter}: the answer will come later; the call was handed over. */
  private static final long PENDING = Long.MIN_VALUE;

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

  private volatile Cancellable totalTimer;
  /**
   * The wait or run the call was last handed over to: set by the owner before it hands the call
   * over, so whoever claims that phase finds its timer, stage and drain wake-up there. The thread
   * that handed over fills them in afterwards and, if the phase ended meanwhile, cancels them
   * itself: a late write lands in its own phase, never in a later one.
   */
  private volatile Phase phase;
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

  @Override
  Object work() {
    return work;
  }

  @Override
  boolean endedFromOutside() {
    return ended(state);
  }

  /**
   * The owner hands the call over: from {@code ACQUIRING} to a wait or a run, unless it ended.
   * Returns the phase's record, or null when the call ended from outside.
   */
  private Phase handOver(int kind) {
    long s = state;
    Phase next = new Phase(word(seq(s) + 1, kind));
    phase = next;
    return !ended(s) && STATE.compareAndSet(this, s, next.word) ? next : null;
  }

  /** One wait or run: its word, and what ends it early. */
  private static final class Phase {
    final long word;
    volatile Cancellable timer;
    volatile CompletableFuture<?> stage;
    volatile Runnable wake;

    Phase(long word) {
      this.word = word;
    }

    void cancel() {
      cancelQuietly(timer);
      cancelQuietly(stage);
    }
  }

  /** Claims the call back from the wait or run {@code expected}: the caller becomes the owner. */
  private boolean claim(long expected) {
    return STATE.compareAndSet(this, expected, word(seq(expected), ACQUIRING));
  }

  // ---------------------------------------------------------------- start

  CompletableFuture<T> start() {
    try {
      p.listening();
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
    nextOutcome();
    acquireFrom(0);
  }

  /** Takes the permits of the steps from {@code i} on, waiting where a step asks to. */
  private void acquireFrom(int i) {
    Step[] steps = p.steps;
    try {
      while (i < steps.length) {
        long remaining = Pipeline.remaining(deadline, p.time.nanoTime());
        long answer;
        if (steps[i] == p.limiter && p.limiter.external != null) {
          answer = askLimiter(i, remaining);
          if (answer == PENDING) {
            return;
          }
        } else {
          answer = steps[i].acquire(remaining);
        }
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
          if (ended(state)) {
            // Ended from outside, its CallCompleted already out: nothing more is published.
            return;
          }
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

  /**
   * Asks the external limiter of step {@code i} for the attempt's permit. An answer already there
   * (a local decision) is returned at once; otherwise the call waits for it in a {@code WAITING}
   * phase, which the total timeout and a cancel end like any wait (the stage is then cancelled and
   * its late answer ignored), and goes on on the async executor when it comes: returns {@link
   * #PENDING}.
   */
  private long askLimiter(int i, long remaining) throws Throwable {
    CompletionStage<Long> stage;
    try {
      stage = p.limiter.acquireAsync(remaining);
    } catch (Throwable t) {
      stage = CompletableFuture.failedFuture(t);
    }
    CompletableFuture<?> handle = cancelHandle(stage);
    if (handle != null && handle.isDone()) {
      // Decided locally (a fallback, an open store breaker): no hop, no phase.
      return LimiterStep.answer(answerNow(handle), remaining);
    }
    Phase wait = handOver(WAITING);
    if (wait == null) {
      // Ended from outside while acquiring: give back what this attempt holds.
      releaseHeld();
      cancelQuietly(handle);
      return PENDING;
    }
    long waiting = wait.word;
    wait.stage = handle;
    if (state != waiting) {
      wait.cancel();
    }
    whenDone(stage, (v, t) -> limiterAnswered(waiting, i, v, t));
    return PENDING;
  }

  /** The value of a completed answer stage; what it failed with is thrown as itself. */
  private static long answerNow(CompletableFuture<?> done) throws Throwable {
    Object v;
    try {
      v = done.join();
    } catch (CompletionException e) {
      throw e.getCause() != null ? e.getCause() : e;
    }
    return answerValue(v);
  }

  private static long answerValue(Object v) {
    if (!(v instanceof Long)) {
      throw new NullPointerException("the external limiter answered " + v + ", not a number");
    }
    return (Long) v;
  }

  /**
   * On the thread that completed the limiter's stage (a store client's I/O thread, say): the call
   * goes on on the async executor, never on that thread.
   */
  private void limiterAnswered(long waiting, int i, Object v, Throwable t) {
    if (state != waiting) {
      return;
    }
    try {
      p.asyncExecutor.execute(() -> {
        if (!claim(waiting)) {
          return;
        }
        long answer;
        try {
          if (t != null) {
            throw unwrap(t);
          }
          answer = LimiterStep.answer(
              answerValue(v), Pipeline.remaining(deadline, p.time.nanoTime()));
        } catch (Throwable failed) {
          // The limiter failed the attempt: what it held before the limiter goes back.
          releaseHeld();
          failure = failed;
          afterAttempt();
          return;
        }
        resumeLimiter(i, answer);
      });
    } catch (Throwable refused) {
      // The executor refused: the call ends with its exception, as after any wait.
      if (claim(waiting)) {
        releaseHeld();
        failure = Pipeline.userCodeFailed(refused, failure);
        result = null;
        finish();
      }
    }
  }

  /** Goes on after the external limiter of step {@code i} answered {@code answer}. */
  private void resumeLimiter(int i, long answer) {
    if (answer == Step.GO) {
      held = i + 1;
      acquireFrom(i + 1);
    } else if (answer > 0) {
      held = i + 1;
      waitThen(answer, i + 1, false);
    } else {
      releaseHeld();
      failure = answer == Step.DEADLINE ? p.totalTimedOut(attempt) : p.steps[i].refusal(p);
      afterAttempt();
    }
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
    Phase run = handOver(RUNNING);
    if (run == null) {
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
    // From here on this thread is not the owner: it only fills in the run's record.
    long running = run.word;
    run.stage = handle;
    try {
      if (timeout != Pipeline.NONE) {
        boolean total = deadline != Pipeline.NONE && Pipeline.plus(now, timeout) >= deadline;
        run.timer = p.time.schedule(() -> onAttemptTimeout(running, timeout, total), timeout);
      }
    } catch (Throwable t) {
      // The time source refused the attempt's timer: the attempt fails with that, and its stage is
      // cancelled rather than left running next to a retry.
      cancelQuietly(handle);
      whenDone(stage, (v, e) -> {
        if (e == null) {
          p.discard(v);
        }
      });
      onStageDone(running, null, t);
      return;
    }
    if (state != running) {
      // Ended or settled meanwhile, maybe before the timer or the handle was there to cancel.
      run.cancel();
    }
    whenDone(stage, (v, t) -> onStageDone(running, v, t));
  }

  private static void whenDone(
      CompletionStage<?> stage, java.util.function.BiConsumer<Object, Throwable> action) {
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
    cancelQuietly(phase.timer);
    settle(attemptStart, v, unwrap(t));
    afterAttempt();
  }

  private void onAttemptTimeout(long running, long timeout, boolean total) {
    if (!claim(running)) {
      return;
    }
    Phase run = phase;
    settle(attemptStart, null, p.timedOut(attempt, timeout, total));
    // A stage not yet recorded is cancelled by the thread that records it, seeing the run over.
    cancelQuietly(run.stage);
    afterAttempt();
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  // ---------------------------------------------------------------- between attempts (owner)

  private void afterAttempt() {
    if (ended(state)) {
      // Ended from outside, its CallCompleted already out: no retry decision, no more events.
      if (failure == null) {
        p.discard(result);
      }
      return;
    }
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
    Phase wait = handOver(WAITING);
    if (wait == null) {
      // Ended from outside while acquiring: give back what this attempt holds.
      releaseHeld();
      if (failure == null) {
        p.discard(result);
      }
      return;
    }
    long waiting = wait.word;
    try {
      if (backoff && p.gate != null) {
        Runnable wake = () -> onDrain(waiting);
        wait.wake = wake;
        p.gate.registerWait(wake);
        if (state != waiting) {
          p.gate.unregisterWait(wake);
        }
      }
      wait.timer = p.time.schedule(() -> waitOver(waiting), nanos);
      if (state != waiting) {
        wait.cancel();
      }
    } catch (Throwable t) {
      // The time source refused the timer: the call ends with what it threw.
      if (claim(waiting)) {
        unregisterWake(wait);
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
        unregisterWake(phase);
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
    unregisterWake(phase);
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
    Phase wait = phase;
    cancelQuietly(wait.timer);
    p.gate.recordCutShort();
    p.abandoned(attempt, RetryAbandoned.Reason.DRAINING, result, failure);
    finish();
  }

  private void unregisterWake(Phase wait) {
    Runnable wake = wait == null ? null : wait.wake;
    if (wake != null) {
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
      int kind = phase(s);
      if (ended(s) || kind == CLOSED || delivered != 0) {
        return;
      }
      if (kind == ACQUIRING) {
        if (STATE.compareAndSet(this, s, s | ENDED)) {
          deliverFromOutside(gaveUp, why != null ? why : p.totalTimedOut(attempt));
          return;
        }
        continue;
      }
      if (!STATE.compareAndSet(this, s, word(seq(s), CLOSED))) {
        continue;
      }
      // The call is ours, and so is the wait or run it was in: the record of that phase.
      Phase ended = this.phase;
      Throwable outcome = gaveUp ? null : p.totalTimedOut(attempt);
      if (kind == WAITING) {
        ended.cancel();
        unregisterWake(ended);
        releaseHeld();
        if (failure == null) {
          // A backoff's retried result: the call ends with the timeout instead.
          p.discard(result);
        }
      } else {
        cancelQuietly(ended.timer);
        if (gaveUp) {
          // The attempt says nothing about the downstream: it is not recorded.
          releaseHeld();
        } else {
          settle(attemptStart, null, outcome);
          outcome = failure;
        }
        cancelQuietly(ended.stage);
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
      // However the caller completes it (cancel, complete, completeAsync, orTimeout, obtrude...),
      // a completion that the call did not deliver means the caller gave up.
      super.whenComplete((v, t) -> {
        if (call.delivered == 0) {
          call.abandoned();
        }
      });
    }

    /**
     * Completes with the call's result; a caller that gave up in the moment before (its cancel
     * won) never sees it, so it is let go of through the discard hook, never lost.
     */
    void deliver(T value) {
      if (!super.complete(value)) {
        call.p.discard(value);
      }
    }

    void deliverFailure(Throwable failure) {
      super.completeExceptionally(failure);
    }
  }
}
