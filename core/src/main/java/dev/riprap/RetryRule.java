package dev.riprap;

import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.functions.Either;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * The retry decision: one ladder for both drivers, made once per attempt next to the loop that
 * acts on it. The user's predicates and interval function run here; whatever they throw reaches
 * the driver, which ends the call with it ({@link Call#decide}).
 */
final class RetryRule {
  final int maxAttempts;
  private final Predicate<? super Throwable> retryOnException;
  private final Predicate<Object> retryOnResult;
  /** Riprap's own backoff, to the nanosecond; null for a resilience4j config. */
  private final RetrySettings settings;
  /** A resilience4j config's interval function (milliseconds, boxed); null for own settings. */
  private final IntervalBiFunction<Object> interval;
  private final BiConsumer<Integer, Object> consumeResult;
  final boolean retryWhenCircuitOpen;

  RetryRule(RetrySettings settings, boolean retryWhenCircuitOpen) {
    this.maxAttempts = settings.maxAttempts();
    this.retryOnException = settings.retryOn();
    this.retryOnResult = settings.retryOnResult() != null ? settings.retryOnResult() : r -> false;
    this.settings = settings;
    this.interval = null;
    this.consumeResult = null;
    this.retryWhenCircuitOpen = retryWhenCircuitOpen;
  }

  RetryRule(RetryConfig config, boolean retryWhenCircuitOpen) {
    this.maxAttempts = config.getMaxAttempts();
    Predicate<Throwable> onException = config.getExceptionPredicate();
    Predicate<Object> onResult = config.getResultPredicate();
    // resilience4j leaves these null when not configured: every exception is retried, no result is.
    this.retryOnException = onException != null ? onException : t -> true;
    this.retryOnResult = onResult != null ? onResult : r -> false;
    this.settings = null;
    this.interval = config.getIntervalBiFunction();
    this.consumeResult = config.getConsumeResultBeforeRetryAttempt();
    this.retryWhenCircuitOpen = retryWhenCircuitOpen;
  }

  /** Whether a returned value asks for another attempt (user code: may throw). */
  boolean retriesResult(Object result) {
    return retryOnResult.test(result);
  }

  /**
   * Decides whether the attempt that ended with {@code result} or {@code failure} is followed by
   * another. Returns the wait in nanoseconds before it, or -1 to end the call with this outcome.
   * With the policy's {@link dev.riprap.internal.OutcomeHooks}, the hooks say whether the work's
   * outcome may be retried and after how long; the limits below are the engine's either way, and a
   * retried value is discarded only once the budget's token is taken, so a value that is not
   * retried reaches the caller untouched.
   *
   * @param work the call's work (for the hooks)
   * @param interrupted whether the caller's thread was interrupted from outside: never retried
   */
  long delay(Pipeline p, Call call, Object work, int attempt, Object result, Throwable failure,
      long deadline, boolean interrupted) {
    long hooked = -1;
    if (failure != null) {
      // An interrupt means "stop now": never retry through it.
      if (interrupted) {
        return -1;
      }
      if (failure instanceof RejectedException) {
        RejectionReason reason = ((RejectedException) failure).reason();
        // Shutting down and the total timeout end the call; an open breaker would only reject
        // again, so it is not retried unless asked for.
        if (reason == RejectionReason.SHUTTING_DOWN || Pipeline.endsCall(failure)
            || (reason == RejectionReason.CIRCUIT_OPEN && !retryWhenCircuitOpen)) {
          return -1;
        }
      }
      // An Error (out of memory, a failed assertion) is a bug or a dying JVM, not a flaky call.
      if (failure instanceof Error) {
        return -1;
      }
      // The hooks, or else the retry config, decide which exceptions are worth another attempt.
      if (p.hooks != null
          ? (hooked = p.hooks.retryDelayNanos(work, attempt, null, failure)) < 0
          : !retryOnException.test(failure)) {
        return -1;
      }
    } else if (p.hooks != null
        ? (hooked = p.hooks.retryDelayNanos(work, attempt, result, null)) < 0
        : !retryOnResult.test(result)) {
      // A result the retry does not flag is a success (or, with hooks, a final answer).
      return -1;
    }
    // The outcome is retryable; from here on, a limit that stops the retry is reported.
    if (attempt >= maxAttempts) {
      abandoned(p, call, attempt, RetryAbandoned.Reason.MAX_ATTEMPTS, result, failure);
      return -1;
    }
    if (p.gate != null && p.gate.isDraining()) {
      p.gate.recordCutShort();
      abandoned(p, call, attempt, RetryAbandoned.Reason.DRAINING, result, failure);
      return -1;
    }
    long delay = p.hooks != null ? hooked
        : settings != null ? settings.delayNanos(attempt) : intervalNanos(attempt, result, failure);
    // A wait that would end past the total timeout is not worth starting.
    if (deadline != Pipeline.NONE && Pipeline.plus(p.time.nanoTime(), delay) >= deadline) {
      abandoned(p, call, attempt, RetryAbandoned.Reason.DEADLINE, result, failure);
      return -1;
    }
    // The budget keeps retries from multiplying the load on a failing downstream.
    // (A failure that never reached the downstream, as the hooks say, retries for free.)
    if (p.budget != null && !(failure != null && p.hooks != null && freeRetry(p, work, failure))
        && !p.budget.tryAcquireRetry()) {
      abandoned(p, call, attempt, RetryAbandoned.Reason.BUDGET_EXHAUSTED, result, failure);
      return -1;
    }
    if (failure == null && consumeResult != null) {
      consumeResult.accept(attempt, result);
    }
    // The retried result is released when the next attempt starts ({@link Call#nextOutcome}), not
    // now: a wait that a drain or an interrupt cuts short ends the call with it, whole.
    if (p.events.hasListeners() && !endedFromOutside(call)) {
      p.events.publish(
          new RetryScheduled(
              p.name, p.tags, p.time.instant(), attempt, Duration.ofNanos(delay), failure,
              failure == null ? result : null));
    }
    return delay;
  }

  /** Whether the hooks let this failure's retry go without a budget token; they must not throw. */
  private static boolean freeRetry(Pipeline p, Object work, Throwable failure) {
    try {
      return p.hooks.retryIsFree(work, failure);
    } catch (RuntimeException e) {
      return false; // a hook that broke its contract: the retry pays, as by default
    }
  }

  /**
   * Whether {@code call} (null on the sync fast path, which nobody else can end) was ended from
   * outside while user code in this decision ran: its {@code CallCompleted} is out, so the decision
   * publishes nothing more.
   */
  private static boolean endedFromOutside(Call call) {
    return call != null && call.endedFromOutside();
  }

  private static void abandoned(Pipeline p, Call call, int attempt, RetryAbandoned.Reason reason,
      Object result, Throwable failure) {
    if (!endedFromOutside(call)) {
      p.abandoned(attempt, reason, result, failure);
    }
  }

  /** The wait a resilience4j interval function gives, in nanoseconds (saturated). */
  private long intervalNanos(int attempt, Object result, Throwable failure) {
    Either<Throwable, Object> outcome =
        failure != null ? Either.left(failure) : Either.right(result);
    Long millis = interval.apply(attempt, outcome);
    return millis == null ? 0 : TimeUnit.MILLISECONDS.toNanos(Math.max(0, millis));
  }

  /** Whether another attempt could follow attempt {@code attempt} (no budget token taken). */
  boolean possible(Pipeline p, int attempt, long deadline) {
    return attempt < maxAttempts
        && (p.gate == null || !p.gate.isDraining())
        && (deadline == Pipeline.NONE || p.time.nanoTime() < deadline)
        && (p.budget == null || p.budget.hasRetryToken());
  }
}
