package dev.riprap;

import dev.riprap.event.CallCompleted;
import dev.riprap.event.FallbackApplied;
import io.github.resilience4j.bulkhead.Bulkhead;

/**
 * What one call through a policy shares between its driver and its steps: the attempt counter, the
 * permits the current attempt holds, the deadline, and the decisions both drivers make the same
 * way (retry, fallback, completion). {@link SyncCall} drives it on the caller's thread (a common
 * sync call ends on its fast path, in locals, before any such object exists), {@link AsyncCall} on
 * stage completions and timer tasks.
 *
 * <p>Fields are written only by whoever owns the call at the moment: the caller's thread for a
 * sync call; for an async call, the party that won its state word ({@link AsyncCall}).
 */
abstract class Call extends Outcome {
  /** Earlier attempts' failures kept to attach to the last one: enough to see a pattern. */
  private static final int EARLIER_KEPT = 4;
  /**
   * The most suppressed exceptions a failure may carry before Riprap adds none: an exception
   * instance thrown again and again (a constant) must not grow with every call.
   */
  static final int SUPPRESSED_MAX = 10;

  final Pipeline p;
  long start;
  long deadline = Pipeline.NONE;
  int attempt;
  /** How many of {@link Pipeline#steps} hold a permit for the current attempt. */
  int held;
  /** Probe-wait state of the current attempt (see {@link BreakerStep#acquire}). */
  boolean probing;
  long probeOpening;
  long probeUntil;
  /** User code run while settling the attempt threw: the call ends with it, no retry. */
  boolean userCodeThrew;
  /** The failures of earlier attempts, kept only once a retry happened. */
  private Throwable[] earlier;

  Call(Pipeline p) {
    this.p = p;
  }

  /**
   * A bulkhead whose own wait may outlast the deadline: takes its permit waiting at most {@code
   * remainingNanos}. The async driver cannot bound resilience4j's blocking wait (it ends the call
   * at the deadline from the timer and gives the permit back when the wait ends); the sync driver
   * can.
   */
  long enterWithin(Bulkhead bulkhead, long remainingNanos) {
    return bulkhead.tryAcquirePermission() ? Step.GO : Step.REFUSED;
  }

  /**
   * Step {@code i} answered something other than {@link Step#GO} for the current attempt: turns a
   * breaker's refusal into a wait for its probe where the policy allows it, and a bulkhead wait
   * that could outlast the deadline into a bounded one. Returns the answer the driver acts on.
   */
  final long resolve(int i, long answer, long remainingNanos) {
    Step step = p.steps[i];
    if (answer == Step.REFUSED && step == p.breaker && p.breaker.probeWaitNanos > 0) {
      long wait = p.breaker.probeWait(this, remainingNanos);
      return wait < 0 ? Step.REFUSED : Step.askAgainIn(wait);
    }
    if (answer == Step.BLOCKS) {
      return enterWithin(p.bulkhead.bulkhead, remainingNanos);
    }
    return answer;
  }

  /** The work the call runs, as given to the policy (for the outcome hooks). */
  abstract Object work();

  /** Whether the call was ended from outside (async: total timeout, cancel) while its owner ran. */
  boolean endedFromOutside() {
    return false;
  }

  // ---------------------------------------------------------------- permits

  /** Gives back the permits of an attempt that never ran, innermost first. */
  final void releaseHeld() {
    Step[] steps = p.steps;
    for (int i = held - 1; i >= 0; i--) {
      steps[i].release();
    }
    held = 0;
  }

  /**
   * Records the outcome of an attempt with the first {@code held} steps, which hold its permits,
   * and gives the permits back, innermost first. A timeout ({@link Pipeline.TimedOut}) is recorded
   * as its {@code TimeoutException}. Returns what user code run while recording threw (a breaker
   * predicate), or null. Static, over plain values: the sync driver's fast path holds its permits
   * in a local, with no call object ({@link SyncCall}).
   */
  static Throwable settleHeld(
      Step[] steps, int held, long nanos, Object result, Throwable failure) {
    Throwable recorded = failure instanceof Pipeline.TimedOut ? failure.getCause() : failure;
    Throwable thrown = null;
    for (int i = held - 1; i >= 0; i--) {
      try {
        steps[i].settle(nanos, result, recorded);
      } catch (Throwable t) {
        thrown = t;
      }
    }
    return thrown;
  }

  /**
   * {@link #settleHeld} for an attempt that holds every step's permit, the steps called by name
   * (see {@link SyncCall}'s fast path for why), in the same reverse order.
   */
  static Throwable settleAll(BreakerStep breaker, LimiterStep limiter, BulkheadStep bulkhead,
      long nanos, Object result, Throwable failure) {
    // The fast path's steps as it read them (the pipeline's, in its locals): no reload after
    // the permits' atomic operations.
    Throwable recorded = failure instanceof Pipeline.TimedOut ? failure.getCause() : failure;
    Throwable thrown = null;
    if (bulkhead != null) {
      try {
        bulkhead.settle(nanos, result, recorded);
      } catch (Throwable t) {
        thrown = t;
      }
    }
    if (limiter != null) {
      try {
        limiter.settle(nanos, result, recorded);
      } catch (Throwable t) {
        thrown = t;
      }
    }
    if (breaker != null) {
      try {
        breaker.settle(nanos, result, recorded);
      } catch (Throwable t) {
        thrown = t;
      }
    }
    return thrown;
  }

  /** How long the attempt that began at {@code t0} took; the clock is read only for a breaker. */
  static long took(Pipeline p, long t0) {
    return p.breaker != null ? p.time.nanoTime() - t0 : 0L;
  }

  /**
   * The attempt that began at {@code t0} ended with {@code r} or {@code f}: records it with the
   * steps that hold a permit and gives the permits back, then leaves the attempt's outcome in
   * {@link #result} and {@link #failure}. When user code run while recording throws, the
   * attempt's outcome becomes that throwable.
   */
  final void settle(long t0, Object r, Throwable f) {
    Throwable thrown = null;
    if (held > 0) {
      thrown = settleHeld(p.steps, held, took(p, t0), r, f);
      held = 0;
    }
    result = r;
    failure = f;
    if (thrown != null) {
      userCodeFailed(thrown);
    }
  }

  /**
   * User code the engine ran about the current outcome (a breaker's or the retry's predicate)
   * threw {@code thrown}: the call ends with it, no retry; the outcome it replaced is attached as
   * suppressed, or, for a result, handed to the discarded-result handler.
   */
  final void userCodeFailed(Throwable thrown) {
    if (failure == null) {
      p.discard(result);
    }
    failure = Pipeline.userCodeFailed(thrown, failure);
    result = null;
    userCodeThrew = true;
  }

  /**
   * A new attempt starts: the last attempt's result, which the retry did not return, is released
   * now (a wait cut short before this point ends the call with it, untouched), and the outcome is
   * cleared for the new attempt.
   */
  final void nextOutcome() {
    if (failure == null && result != null) {
      p.discard(result);
    }
    result = null;
    failure = null;
  }

  // ---------------------------------------------------------------- decisions

  /**
   * The retry decision after attempt {@link #attempt}: the wait before the next attempt, or -1.
   * When user code in the decision throws, the call ends with what it threw: it becomes the
   * call's {@link #failure} and -1 is returned.
   */
  final long decide(boolean interrupted) {
    Object result = this.result;
    Throwable failure = this.failure;
    if (p.retry == null || userCodeThrew) {
      return -1;
    }
    try {
      long delay =
          p.retry.delay(p, this, work(), attempt, result, failure, deadline, interrupted);
      if (delay >= 0 && failure != null) {
        keepEarlier(failure);
      }
      return delay;
    } catch (Throwable userCode) {
      userCodeFailed(userCode);
      return -1;
    }
  }

  private void keepEarlier(Throwable failure) {
    if (earlier == null) {
      earlier = new Throwable[EARLIER_KEPT];
    }
    for (int i = 0; i < EARLIER_KEPT; i++) {
      if (earlier[i] == null) {
        earlier[i] = failure;
        return;
      }
    }
  }

  /**
   * Ends the call with {@code out}: attaches what a failure after retries should carry, applies
   * the fallback and publishes the call's one {@link CallCompleted}. Leaves the final outcome in
   * {@code out}. Runs once per call; user code in the fallback that throws becomes the outcome.
   */
  final void complete(Fallback<?> fallback, Outcome out, int attempts) {
    Throwable failure = out.failure;
    if (failure == null) {
      p.returned(out.result, attempts, start);
      return;
    }
    if (attempts > 1) {
      attachAttempts(failure, attempts);
    }
    if (fallback != null) {
      try {
        if (fallback.handles(failure)) {
          out.result = fallback.apply(failure);
          out.failure = null;
          if (p.events.hasListeners()) {
            p.events.publish(new FallbackApplied(p.name, p.tags, p.time.instant(), failure));
          }
          p.completed(CallCompleted.Outcome.FALLBACK, null, attempts, start);
          return;
        }
      } catch (Throwable userCode) {
        out.failure = Pipeline.userCodeFailed(userCode, failure);
      }
    }
    p.completed(CallCompleted.Outcome.FAILURE, out.failure, attempts, start);
  }

  /** A failure that ends a call after more than one attempt tells how many and what came before. */
  private void attachAttempts(Throwable failure, int attempts) {
    Pipeline.suppress(failure, new RetriesExhaustedException(p.name, attempts), SUPPRESSED_MAX);
    if (earlier != null) {
      for (Throwable t : earlier) {
        Pipeline.suppress(failure, t, SUPPRESSED_MAX);
      }
    }
  }
}
