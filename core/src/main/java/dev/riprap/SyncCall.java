package dev.riprap;

import dev.riprap.event.RetryAbandoned;
import io.github.resilience4j.bulkhead.Bulkhead;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The blocking driver: one call on the caller's thread. Waits (limiter slot, probe, backoff) block
 * that thread, each bounded by the call's deadline; the attempt timeout interrupts it from the
 * timer.
 *
 * <p>Interrupts: only the engine's own timeout interrupt is ever cleared. An interrupt from outside
 * ends the call without a further attempt. The work's own {@link InterruptedException} passes
 * through as the work left it (flag clear, as calling the work directly would); every other end
 * after such an interrupt (a wait of the engine's that it cut short, a fallback's value, another
 * failure) leaves the thread's flag set.
 *
 * <p>Allocation: the common call allocates nothing. {@link #run} takes it on a fast path whose
 * state is in locals ({@link #runFast}): no timeout, work that does not ask for its {@link
 * AttemptContext}, every step giving its permit at once, the work returning, the breaker recording
 * it and the retry, if any, accepting the result. At the first other turn (a wait, a refusal, a
 * failure, a retry) the fast path hands the call as it stands to a {@code SyncCall}, which drives
 * the rest; a call with a timeout or attempt-aware work has one from the start (it allocates a
 * timer task, or passes the object to the work as its context, anyway).
 *
 * <p>Why not one object per call, left to the JIT's escape analysis: C2 removes an object only
 * when every method it is passed to is inlined into the method that creates it, and C2 never
 * inlines a method it has already compiled on its own into more than {@code InlineSmallCode}
 * bytes of machine code (2500 on x86-64: "already compiled into a big method"). The driver's
 * methods, resilience4j inlined into them, grow that big once hot, so the object was removed or not
 * depending on the order in which C2 happened to compile them (88 B per call in some runs). The
 * fast path does not depend on that order: it has no object to remove. The methods of this object
 * are the slow paths and may be as big as they need.
 */
final class SyncCall extends Call implements AttemptContext {
  private final Object work;
  private final boolean contextual;
  private long attemptDeadline = Pipeline.NONE;
  /** Whether the caller's thread was interrupted from outside during the call. */
  private boolean interrupted;
  /** Whether that showed as the work throwing {@link InterruptedException}. */
  private boolean workInterrupted;

  private SyncCall(Pipeline p, Object work, boolean contextual, long start, long deadline) {
    super(p);
    this.work = work;
    this.contextual = contextual;
    this.start = start;
    this.deadline = deadline;
  }

  @Override
  Object work() {
    return work;
  }

  // ---------------------------------------------------------------- the call

  /**
   * Runs one call of {@code work} (an {@link AttemptFunction} when {@code contextual}, else a
   * {@link ThrowingSupplier}) through {@code p} to its one outcome: returns the result or throws
   * the failure.
   */
  static Object run(Pipeline p, Object work, boolean contextual, Fallback<?> fallback)
      throws Throwable {
    if (p.untimedAndUncounted && !contextual) {
      // Nothing to enter, count or time out: the fast path at once, with no try/finally.
      long start = p.listening() ? p.time.nanoTime() : Pipeline.UNTIMED;
      return runFast(p, (ThrowingSupplier<?, ?>) work, fallback, start);
    }
    // A total timeout needs the start too.
    long start = p.listening() || p.totalTimeoutNanos != Pipeline.NONE
        ? p.time.nanoTime() : Pipeline.UNTIMED;
    ShutdownGate gate = p.gate;
    if (gate != null && !gate.tryEnter()) {
      SyncCall call = new SyncCall(p, work, contextual, start, Pipeline.NONE);
      call.failure = p.rejection(RejectionReason.SHUTTING_DOWN, null, null);
      return call.endFailed(fallback);
    }
    try {
      if (p.budget != null) {
        p.budget.recordCall();
      }
      // Whether the work asks for its context is the caller's flag, not an instanceof: a
      // negative instanceof of an interface scans the class's secondary supertypes (measured
      // here: 16 ns a call, more than the bulkhead it guarded).
      if (p.attemptTimeoutNanos == Pipeline.NONE && p.totalTimeoutNanos == Pipeline.NONE
          && !contextual) {
        return runFast(p, (ThrowingSupplier<?, ?>) work, fallback, start);
      }
      long deadline = Pipeline.plus(start, p.totalTimeoutNanos);
      return new SyncCall(p, work, contextual, start, deadline).attempts(true, fallback);
    } finally {
      if (gate != null) {
        gate.exit();
      }
    }
  }

  /**
   * The first attempt of a call with no deadline and plain work, its state in locals: the steps'
   * permits at once, the work, the record. Anything else hands the call to an object ({@link
   * #handOver}) at the point where it turned.
   */
  private static Object runFast(
      Pipeline p, ThrowingSupplier<?, ?> work, Fallback<?> fallback, long start) throws Throwable {
    // The steps by name, in Pipeline's order, rather than a loop over p.steps: each call site
    // then sees one final class and is inlined, where one site for all three would be
    // megamorphic (a virtual call per step per call). i counts the permits held.
    BreakerStep breaker = p.breaker;
    LimiterStep limiter = p.limiter;
    BulkheadStep bulkhead = p.bulkhead;
    int i = 0;
    long answer = Step.GO;
    Throwable threw = null;
    try {
      if (breaker != null && (answer = breaker.acquire(Pipeline.NONE)) == Step.GO) {
        i++;
      }
      if (answer == Step.GO && limiter != null
          && (answer = limiter.acquire(Pipeline.NONE)) == Step.GO) {
        i++;
      }
      if (answer == Step.GO && bulkhead != null
          && (answer = bulkhead.acquire(Pipeline.NONE)) == Step.GO) {
        i++;
      }
    } catch (Throwable userCode) {
      threw = userCode;
    }
    if (threw != null) {
      return handOver(p, work, start).acquireThrew(i, threw, fallback);
    }
    if (answer != Step.GO) {
      return handOver(p, work, start).acquiring(i, answer, fallback);
    }
    // No attempt timeout here: only a breaker (slow calls) needs the attempt's duration.
    long t0 = breaker != null ? p.time.nanoTime() : 0L;
    Object result = null;
    Throwable failure = null;
    try {
      result = work.get();
    } catch (Throwable t) {
      failure = t;
    }
    Throwable thrown = i == 0 ? null : settleAll(breaker, limiter, bulkhead,
        breaker != null ? p.time.nanoTime() - t0 : 0L, result, failure);
    if (failure != null || thrown != null) {
      return handOver(p, work, start).attemptEnded(result, failure, thrown, fallback);
    }
    return p.retry == null
        ? succeeded(p, result, start)
        : decideFast(p, work, fallback, start, result);
  }

  /** The retry, asked about the fast path's result: usually it accepts it. */
  private static Object decideFast(
      Pipeline p, Object work, Fallback<?> fallback, long start, Object result) throws Throwable {
    boolean interrupted = Thread.currentThread().isInterrupted();
    long delay;
    try {
      delay = p.retry.delay(p, null, work, 1, result, null, Pipeline.NONE, interrupted);
    } catch (Throwable userCode) {
      return handOver(p, work, start).decisionThrew(result, userCode, interrupted, fallback);
    }
    if (delay >= 0) {
      return handOver(p, work, start).retryAfter(result, delay, interrupted, fallback);
    }
    return succeeded(p, result, start);
  }

  /**
   * The fast path's call returns {@code result}. Its start was read only if someone listened when
   * it began: if not, nobody is owed its {@code CallCompleted}, and the listeners are not read a
   * second time (a volatile read, measured at about 1.5 ns of a bulkhead-only call's 17).
   */
  private static Object succeeded(Pipeline p, Object result, long start) {
    if (start != Pipeline.UNTIMED) {
      p.returned(result, 1, start);
    }
    return result;
  }

  /** The fast path's call as it stands in its first attempt, for an object to drive the rest. */
  private static SyncCall handOver(Pipeline p, Object work, long start) {
    SyncCall call = new SyncCall(p, work, false, start, Pipeline.NONE);
    call.attempt = 1;
    return call;
  }

  /** Step {@code i} of the first attempt answered {@code answer}; steps before it hold permits. */
  private Object acquiring(int i, long answer, Fallback<?> fallback) throws Throwable {
    held = i;
    int next = await(i, answer, Pipeline.NONE);
    if (next >= 0 && acquireFrom(next)) {
      runWork();
    }
    return attempts(p.retry != null && again(), fallback);
  }

  /**
   * Step {@code i} of the first attempt threw (a strategy instance of the user's): the steps
   * before it give their permits back and the attempt fails with what it threw.
   */
  private Object acquireThrew(int i, Throwable thrown, Fallback<?> fallback) throws Throwable {
    held = i;
    releaseHeld();
    failure = thrown;
    return attempts(p.retry != null && again(), fallback);
  }

  /**
   * The first attempt ran and its permits were settled: it failed with {@code f}, or user code
   * run while settling threw {@code thrown}.
   */
  private Object attemptEnded(Object r, Throwable f, Throwable thrown, Fallback<?> fallback)
      throws Throwable {
    if (f instanceof InterruptedException) {
      interruptedInWork();
    }
    result = r;
    failure = f;
    if (thrown != null) {
      userCodeFailed(thrown);
    }
    return attempts(p.retry != null && again(), fallback);
  }

  /** The retry's decision on the first attempt's result threw: the call ends with it. */
  private Object decisionThrew(
      Object r, Throwable userCode, boolean interrupted, Fallback<?> fallback) throws Throwable {
    this.interrupted = interrupted;
    result = r;
    userCodeFailed(userCode);
    return end(fallback);
  }

  /** The retry flagged the first attempt's result: waits {@code delay}, then tries again. */
  private Object retryAfter(Object r, long delay, boolean interrupted, Fallback<?> fallback)
      throws Throwable {
    this.interrupted = interrupted;
    result = r;
    return attempts(waitToRetry(delay), fallback);
  }

  /**
   * Runs attempts, the first when {@code another}, each next one when the retry asks for it after
   * the last; then ends the call.
   */
  private Object attempts(boolean another, Fallback<?> fallback) throws Throwable {
    while (another) {
      attempt++;
      runAttempt();
      another = p.retry != null && again();
    }
    return end(fallback);
  }

  private Object end(Fallback<?> fallback) throws Throwable {
    if (failure == null && !interrupted) {
      p.returned(result, attempt, start);
      return result;
    }
    return endFailed(fallback);
  }

  private Object endFailed(Fallback<?> fallback) throws Throwable {
    complete(fallback, this, attempt);
    if (interrupted && !(failure instanceof InterruptedException && workInterrupted)) {
      // The caller's thread was interrupted from outside. Only the work's own
      // InterruptedException, passed through, leaves the flag as the work left it (as calling
      // the work directly would); every other end, a fallback's value included, keeps the flag.
      Thread.currentThread().interrupt();
    }
    if (failure != null) {
      throw failure;
    }
    return result;
  }

  // ---------------------------------------------------------------- one attempt

  private void runAttempt() {
    nextOutcome();
    held = 0;
    probing = false;
    if (acquireFrom(0)) {
      runWork();
    }
  }

  /**
   * Takes the permits of the steps from {@code i} on, waiting where a step asks to. Returns false
   * when the attempt ended without running ({@link #failure} says how).
   */
  private boolean acquireFrom(int i) {
    Step[] steps = p.steps;
    try {
      while (i < steps.length) {
        long remaining = deadline == Pipeline.NONE
            ? Pipeline.NONE : Pipeline.remaining(deadline, p.time.nanoTime());
        long answer = steps[i].acquire(remaining);
        if (answer == Step.GO) {
          held = ++i;
        } else if ((i = await(i, answer, remaining)) < 0) {
          return false;
        }
      }
      return true;
    } catch (Throwable userCode) {
      // A strategy instance or time source of the user's threw: the attempt fails with it.
      releaseHeld();
      failure = userCode;
      return false;
    }
  }

  /** Runs the work, its permits held, within the attempt's timeout, and settles the attempt. */
  private void runWork() {
    long t0 = p.timesAttempts(deadline) ? p.time.nanoTime() : 0L;
    long timeout = Math.min(p.attemptTimeoutNanos, Pipeline.remaining(deadline, t0));
    if (timeout <= 0) {
      noTimeLeft();
      return;
    }
    Object r = null;
    Throwable f = null;
    try {
      if (contextual) {
        attemptDeadline = timeout == Pipeline.NONE ? Pipeline.NONE : Pipeline.plus(t0, timeout);
      }
      r = timeout == Pipeline.NONE ? invoke() : invokeWithTimeout(timeout, t0);
    } catch (Throwable t) {
      f = t;
    }
    settle(t0, r, f);
  }

  private void noTimeLeft() {
    releaseHeld();
    failure = p.totalTimedOut(attempt);
  }

  /**
   * Step {@code i} did not answer {@link Step#GO}: waits as the answer says. Returns the index of
   * the step to ask next, or -1 when the attempt ended ({@link #failure} says how).
   */
  private int await(int i, long answer, long remaining) {
    answer = resolve(i, answer, remaining);
    try {
      if (answer == Step.GO) {
        held = i + 1;
        return i + 1;
      }
      if (answer > 0) {
        // The permit is held; its slot comes later.
        held = i + 1;
        p.time.await(Pipeline.NEVER, answer);
        return i + 1;
      }
      if (Step.isAskAgain(answer)) {
        long wait = Step.askAgainDelay(answer);
        ShutdownGate gate = p.gate;
        if (wait > 0 && p.time.await(gate == null ? Pipeline.NEVER : gate.drainSignal(), wait)) {
          // A drain began: no more waiting for the probe.
          return refused(i);
        }
        return i;
      }
      if (answer == Step.DEADLINE) {
        noTimeLeft();
        return -1;
      }
      return refused(i);
    } catch (InterruptedException e) {
      releaseHeld();
      interrupted = true;
      failure = e;
      return -1;
    }
  }

  private int refused(int i) {
    releaseHeld();
    if (Thread.currentThread().isInterrupted()) {
      // A bulkhead wait that an interrupt ended (resilience4j keeps the flag set).
      interrupted = true;
    }
    failure = p.steps[i].refusal(p);
    return -1;
  }

  @Override
  long enterWithin(Bulkhead bulkhead, long remainingNanos) {
    if (remainingNanos <= 0) {
      return Step.DEADLINE;
    }
    Interrupter interrupter = new Interrupter(Thread.currentThread());
    Cancellable timer = p.time.schedule(interrupter, remainingNanos);
    boolean permitted = false;
    int fired;
    try {
      permitted = bulkhead.tryAcquirePermission();
    } finally {
      // Even when the bulkhead threw: the timer must not interrupt the caller later.
      timer.cancel();
      fired = interrupter.finish(true);
    }
    if (fired == Interrupter.FOUND_INTERRUPTED) {
      interrupted = true;
    }
    if (fired != Interrupter.DONE) {
      // The deadline came while waiting: a permit taken in that instant is given back by the
      // attempt, which finds no time left.
      return permitted ? Step.GO : Step.DEADLINE;
    }
    return permitted ? Step.GO : Step.REFUSED;
  }

  // ---------------------------------------------------------------- between attempts

  /** After an attempt: decides on a retry and waits for it. Returns whether to try again. */
  private boolean again() {
    if (failure instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
      interrupted = true;
    }
    long delay = decide(interrupted);
    return delay >= 0 && waitToRetry(delay);
  }

  /**
   * Waits {@code delay} before the next attempt. Returns false when a drain or an interrupt ends
   * the wait.
   */
  private boolean waitToRetry(long delay) {
    ShutdownGate gate = p.gate;
    try {
      if (p.time.await(gate == null ? Pipeline.NEVER : gate.drainSignal(), delay)) {
        gate.recordCutShort();
        p.abandoned(attempt, RetryAbandoned.Reason.DRAINING, result, failure);
        return false;
      }
    } catch (InterruptedException e) {
      interrupted = true;
      p.abandoned(attempt, RetryAbandoned.Reason.INTERRUPTED, result, failure);
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- the work

  /** Runs the work with no timeout: an InterruptedException it throws came from outside. */
  private Object invoke() throws Throwable {
    try {
      return invokeRaw();
    } catch (InterruptedException e) {
      interruptedInWork();
      throw e;
    }
  }

  /**
   * The work threw {@link InterruptedException} and no timer of the engine's interrupted it: the
   * interrupt came from outside, and the exception passes through as the work left it.
   */
  private void interruptedInWork() {
    interrupted = true;
    workInterrupted = true;
  }

  @SuppressWarnings("unchecked")
  private Object invokeRaw() throws Throwable {
    return contextual
        ? ((AttemptFunction<Object, Throwable>) work).apply(this)
        : ((ThrowingSupplier<Object, Throwable>) work).get();
  }

  /**
   * Runs the work on the calling thread and interrupts it from the timer at the deadline: no
   * thread hop, one timer task per attempt. The interrupt never leaks into the caller's later
   * code: when the timer fired, the flag it set is cleared before returning.
   */
  private Object invokeWithTimeout(long timeout, long t0) throws Throwable {
    if (p.timeoutExecutor != null) {
      return invokeOffloaded(timeout, t0);
    }
    Interrupter interrupter = new Interrupter(Thread.currentThread());
    Cancellable timer = p.time.schedule(interrupter, timeout);
    Object r = null;
    Throwable f = null;
    try {
      r = invokeRaw();
    } catch (Throwable t) {
      f = t;
    }
    timer.cancel();
    // An InterruptedException from the work used up the timer's interrupt: a flag set now came
    // from outside and stays.
    boolean consumed = f instanceof InterruptedException;
    int fired = interrupter.finish(!consumed);
    if (consumed && fired == Interrupter.FIRED && Thread.currentThread().isInterrupted()) {
      interrupted = true;
    }
    if (fired == Interrupter.DONE) {
      if (f != null) {
        if (f instanceof InterruptedException) {
          interruptedInWork();
        }
        throw f;
      }
      return r;
    }
    if (fired == Interrupter.FOUND_INTERRUPTED) {
      // The deadline found the thread interrupted from outside: that interrupt stands.
      interrupted = true;
    }
    if (f == null) {
      p.discard(r);
    }
    RejectedException e = timedOut(timeout, t0);
    if (!(f instanceof InterruptedException)) {
      Pipeline.suppress(e, f, Call.SUPPRESSED_MAX);
    }
    throw e;
  }

  private RejectedException timedOut(long timeout, long t0) {
    boolean total = deadline != Pipeline.NONE && Pipeline.plus(t0, timeout) >= deadline;
    return p.timedOut(attempt, timeout, total);
  }

  /**
   * Runs the attempt on the timeout executor and waits for it at most {@code timeout}: the
   * caller's wait is bounded even when the work ignores interrupts. On timeout the work is
   * interrupted ({@code cancel(true)}) and left to end on its own thread; the caller returns at
   * once.
   */
  private Object invokeOffloaded(long timeout, long t0) throws Throwable {
    FutureTask<Object> task = new FutureTask<>(() -> {
      try {
        return invokeRaw();
      } catch (Exception | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new ExecutionException(t);
      }
    });
    try {
      p.timeoutExecutor.execute(task);
    } catch (Throwable refused) {
      // The attempt never ran: its permits go back unrecorded, and the call ends with the refusal.
      releaseHeld();
      throw refused;
    }
    try {
      return task.get(timeout, TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ExecutionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      throw cause;
    } catch (TimeoutException e) {
      task.cancel(true);
      throw timedOut(timeout, t0);
    } catch (InterruptedException e) {
      // The caller was interrupted: stop the work too.
      task.cancel(true);
      interrupted = true;
      throw e;
    }
  }

  // ---------------------------------------------------------------- AttemptContext

  @Override
  public int attempt() {
    return attempt;
  }

  @Override
  public long remainingNanos() {
    return attemptDeadline == Pipeline.NONE
        ? Pipeline.NONE
        : Math.max(0, Pipeline.remaining(attemptDeadline, p.time.nanoTime()));
  }

  @Override
  public boolean retryPossible() {
    return p.retry != null && p.retry.possible(p, attempt, deadline);
  }

  // ---------------------------------------------------------------- the timer's interrupt

  /**
   * Interrupts the attempt's thread once at the deadline, and lets the thread undo it. When the
   * deadline finds the thread already interrupted (from outside), it leaves the flag alone, so that
   * interrupt is not mistaken for its own and cleared.
   */
  static final class Interrupter extends AtomicInteger implements Runnable {
    private static final long serialVersionUID = 1L;
    static final int RUNNING = 0;
    static final int FIRING = 1;
    static final int FIRED = 2;
    static final int DONE = 3;
    static final int FOUND_INTERRUPTED = 4;
    private final transient Thread thread;

    Interrupter(Thread thread) {
      this.thread = thread;
    }

    @Override
    public void run() {
      if (compareAndSet(RUNNING, FIRING)) {
        if (thread.isInterrupted()) {
          set(FOUND_INTERRUPTED);
        } else {
          thread.interrupt();
          set(FIRED);
        }
      }
    }

    /**
     * Called by the attempt's thread when the work returned: {@link #DONE} if the timer had not
     * fired (it never will), else {@link #FIRED} (its interrupt is cleared when {@code clear}: the
     * caller passes false when the work's InterruptedException already used it up) or {@link
     * #FOUND_INTERRUPTED}.
     */
    int finish(boolean clear) {
      if (compareAndSet(RUNNING, DONE)) {
        return DONE;
      }
      int state;
      while ((state = get()) == FIRING) {
        Thread.onSpinWait();
      }
      if (state == FIRED && clear) {
        Thread.interrupted();
      }
      return state;
    }
  }
}
