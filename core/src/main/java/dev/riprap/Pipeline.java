package dev.riprap;

import dev.riprap.event.AttemptTimedOut;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.CallRejected;
import dev.riprap.event.EventStream;
import dev.riprap.event.RetryAbandoned;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A policy's settings as the engine reads them, and the one place where the order of the
 * strategies is written. Immutable; shared by every call of the policy.
 *
 * <p>The order, outermost first, is {@code Fallback(TotalTimeout(Retry(CircuitBreaker(RateLimiter(
 * Bulkhead(AttemptTimeout(call)))))))}. The outer three are the call's own loop ({@link Call}):
 * the fallback ends it, the total timeout bounds it, the retry repeats attempts. The next three
 * are per-attempt {@link Step}s, taken in {@link #steps} order before each attempt and given back
 * in reverse after it. The attempt timeout is the innermost bound, applied by the drivers around
 * the work itself ({@link SyncCall}, {@link AsyncCall}).
 */
final class Pipeline {
  /** "No limit": no timeout, no deadline. Deadline arithmetic saturates to it. */
  static final long NONE = Long.MAX_VALUE;
  /** The start of a call whose start was not read (no total timeout, nobody listening). */
  static final long UNTIMED = Long.MIN_VALUE;
  /** A latch that never opens: a wait on it lasts its whole time. */
  static final CountDownLatch NEVER = new CountDownLatch(1);

  private static final System.Logger LOG = System.getLogger(Policy.class.getName());

  final String name;
  final Map<String, String> tags;
  final TimeSource time;
  final EventStream events;
  final ShutdownGate gate;
  final RetryBudget budget;
  final BreakerStep breaker;
  final LimiterStep limiter;
  final BulkheadStep bulkhead;
  /** The per-attempt steps in order, absent strategies left out. */
  final Step[] steps;
  final RetryRule retry;
  final long attemptTimeoutNanos;
  final long totalTimeoutNanos;
  final Executor asyncExecutor;
  final Executor timeoutExecutor;
  final Consumer<Object> discarded;
  /** The adapter's meaning of outcomes, or null: the retry's and breaker's own predicates. */
  final dev.riprap.internal.OutcomeHooks<Object, Object> hooks;
  /**
   * No gate, no budget, no timeout: a sync call of plain work goes straight to the fast path
   * ({@link SyncCall#run}), one test instead of four on every call.
   */
  final boolean untimedAndUncounted;

  @SuppressWarnings("unchecked")
  Pipeline(
      String name,
      Map<String, String> tags,
      TimeSource time,
      EventStream events,
      ShutdownGate gate,
      RetryBudget budget,
      BreakerStep breaker,
      LimiterStep limiter,
      BulkheadStep bulkhead,
      RetryRule retry,
      long attemptTimeoutNanos,
      long totalTimeoutNanos,
      Executor asyncExecutor,
      Executor timeoutExecutor,
      Consumer<Object> discarded,
      dev.riprap.internal.OutcomeHooks<?, ?> hooks) {
    this.name = name;
    this.tags = tags;
    this.time = time;
    this.events = events;
    this.gate = gate;
    this.budget = budget;
    this.breaker = breaker;
    this.limiter = limiter;
    this.bulkhead = bulkhead;
    this.steps = present(breaker, limiter, bulkhead);
    this.retry = retry;
    this.attemptTimeoutNanos = attemptTimeoutNanos;
    this.totalTimeoutNanos = totalTimeoutNanos;
    this.asyncExecutor = asyncExecutor;
    this.timeoutExecutor = timeoutExecutor;
    this.discarded = discarded;
    this.hooks = (dev.riprap.internal.OutcomeHooks<Object, Object>) hooks;
    this.untimedAndUncounted = gate == null && budget == null && attemptTimeoutNanos == NONE
        && totalTimeoutNanos == NONE;
  }

  /** The order of the per-attempt steps, written once: breaker, then limiter, then bulkhead. */
  private static Step[] present(Step... order) {
    int n = 0;
    for (Step s : order) {
      n += s == null ? 0 : 1;
    }
    Step[] steps = new Step[n];
    int i = 0;
    for (Step s : order) {
      if (s != null) {
        steps[i++] = s;
      }
    }
    return steps;
  }

  // ---------------------------------------------------------------- time arithmetic

  /** A setting in nanoseconds, saturated; {@link #NONE} when it is not set. */
  static long nanos(Duration d) {
    return d == null ? NONE : dev.riprap.internal.Check.saturatedNanos(d);
  }


  /** {@code from + delta} for a non-negative delta, saturating at {@link #NONE}. */
  static long plus(long from, long delta) {
    if (delta == NONE || from == NONE) {
      return NONE;
    }
    long sum = from + delta;
    // Overflow iff both operands have the sign opposite to the sum's.
    return ((from ^ sum) & (delta ^ sum)) < 0 ? NONE : sum;
  }

  /** The time left until {@code deadline} at {@code now}, {@link #NONE} when there is none. */
  static long remaining(long deadline, long now) {
    if (deadline == NONE) {
      return NONE;
    }
    long left = deadline - now;
    return ((deadline ^ now) & (deadline ^ left)) < 0 ? (deadline > now ? NONE : 0) : left;
  }

  /**
   * Whether someone listens as a call begins (its start is then read, for the durations). Tells
   * the breaker step first, so that its transitions are relayed from this call on ({@link
   * BreakerTransitions}): the one place a call reads the listeners before its end, so a policy
   * nobody listens to pays nothing more for exact transition events.
   */
  boolean listening() {
    if (!events.hasListeners()) {
      return false;
    }
    if (breaker != null) {
      breaker.listening();
    }
    return true;
  }

  /** Whether an attempt needs its start read: the breaker (slow calls) or a timeout. */
  boolean timesAttempts(long deadline) {
    return breaker != null || attemptTimeoutNanos != NONE || deadline != NONE;
  }

  // ---------------------------------------------------------------- outcomes and events

  RejectedException rejection(RejectionReason reason, String detail, Throwable cause) {
    if (events.hasListeners()) {
      events.publish(new CallRejected(name, tags, time.instant(), reason));
    }
    return new RejectedException(name, reason, detail, cause);
  }

  /** The total timeout ended the call: the message names the configured timeout. */
  RejectedException totalTimedOut(int attempt) {
    return timedOut(attempt, totalTimeoutNanos, true);
  }

  RejectedException timedOut(int attempt, long timeoutNanos, boolean total) {
    Duration timeout = Duration.ofNanos(total ? totalTimeoutNanos : timeoutNanos);
    String what = (total ? "total timeout " : "attempt timeout ") + Durations.format(timeout);
    if (events.hasListeners()) {
      events.publish(new AttemptTimedOut(name, tags, time.instant(), attempt, timeout, total));
    }
    return new TimedOut(name, what, total);
  }

  /** A timeout rejection that remembers whether the total timeout (which ends the call) fired. */
  static final class TimedOut extends RejectedException {
    private static final long serialVersionUID = 1L;
    final boolean total;

    TimedOut(String policy, String what, boolean total) {
      super(policy, RejectionReason.TIMED_OUT, what, new TimeoutException(what + " expired"));
      this.total = total;
    }
  }

  static boolean endsCall(Throwable failure) {
    return failure instanceof TimedOut && ((TimedOut) failure).total;
  }

  void abandoned(int attempt, RetryAbandoned.Reason reason, Object result, Throwable failure) {
    if (events.hasListeners()) {
      events.publish(
          new RetryAbandoned(name, tags, time.instant(), attempt, reason, failure,
              failure == null ? result : null));
    }
  }

  /**
   * Publishes the one {@link CallCompleted} of a call that returns {@code result}: a success,
   * unless the hooks classify the value as a failure (the caller still gets it).
   */
  void returned(Object result, int attempts, long start) {
    if (!events.hasListeners()) {
      return;
    }
    completed(
        hooks != null && result != null && hooks.isFailure(result)
            ? CallCompleted.Outcome.FAILURE
            : CallCompleted.Outcome.SUCCESS,
        null, attempts, start);
  }

  /** Publishes the one {@link CallCompleted} of a call that ended with {@code failure} or not. */
  void completed(CallCompleted.Outcome outcome, Throwable failure, int attempts, long start) {
    if (!events.hasListeners()) {
      return;
    }
    RejectionReason reason = null;
    if (outcome == CallCompleted.Outcome.FAILURE && failure instanceof RejectedException) {
      reason = ((RejectedException) failure).reason();
      outcome = reason == RejectionReason.TIMED_OUT
          ? CallCompleted.Outcome.TIMED_OUT
          : CallCompleted.Outcome.REJECTED;
    }
    events.publish(
        new CallCompleted(
            name, tags, time.instant(), outcome, reason, attempts,
            // A listener that subscribed during an untimed call gets a zero duration.
            start == UNTIMED ? Duration.ZERO : Duration.ofNanos(time.nanoTime() - start)));
  }

  /** Hands a result the call will not return to the discarded-result handler, if any. */
  void discard(Object result) {
    if (result == null) {
      return;
    }
    if (hooks != null) {
      hooks.discard(result);
      return;
    }
    if (discarded != null) {
      try {
        discarded.accept(result);
      } catch (Throwable e) {
        LOG.log(System.Logger.Level.WARNING, "discarded-result handler of policy '" + name
            + "' threw", e);
      }
    }
  }

  /**
   * Adds {@code earlier} to {@code thrown}'s suppressed exceptions where that is possible and
   * bounded: never itself, never past {@code limit} entries (an exception instance thrown again
   * and again, a constant say, must not grow without end).
   */
  static void suppress(Throwable thrown, Throwable earlier, int limit) {
    if (earlier == null || earlier == thrown || thrown == null) {
      return;
    }
    try {
      if (thrown.getSuppressed().length < limit) {
        thrown.addSuppressed(earlier);
      }
    } catch (RuntimeException ignored) {
      // Suppression disabled or refused: the thrown exception still stands.
    }
  }

  /**
   * User code the engine ran threw {@code thrown} while the call's outcome was {@code outcome}:
   * the call ends with {@code thrown}, the outcome it replaced attached as suppressed.
   */
  static Throwable userCodeFailed(Throwable thrown, Throwable outcome) {
    suppress(thrown, outcome, Call.SUPPRESSED_MAX);
    return thrown;
  }
}
