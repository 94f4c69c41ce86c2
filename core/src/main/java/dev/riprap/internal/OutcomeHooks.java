package dev.riprap.internal;

/**
 * The engine's hooks through which an adapter (the HTTP client) gives outcomes their meaning: which
 * returned values are failures, which exceptions the breaker counts, whether and when an outcome
 * is tried again, and how a value the call will not return is released. Set on a policy with
 * {@link EngineAccess#hooks}; the policy then asks these hooks instead of its retry predicates and
 * backoff, and its breaker asks them instead of its record predicates.
 *
 * <p>Not API: {@code dev.riprap.internal} is exported only to {@code dev.riprap.http}, which
 * changes with the core. The hooks are called on whichever thread advances the call. {@link
 * #retryDelayNanos} and {@link #countsForBreaker} may throw (they may run user code, such as a
 * user's HTTP classifier): the engine then ends the call with what they threw, as for a user's
 * retry or record predicate. {@link #isFailure} and {@link #discard} must not throw.
 *
 * @param <W> the type of the work the policy runs (the adapter's per-call object)
 * @param <R> the type of the work's results
 */
public interface OutcomeHooks<W, R> {
  /**
   * Whether a value the work returned is a failure (an HTTP 503, say): the breaker records it as
   * a failure and the call's {@code CallCompleted} says {@code FAILURE}, while the caller still
   * gets the value. Must be a cheap read of what the value already knows; must not throw.
   *
   * @param result the work's value, not null
   * @return {@code true} for a failure
   */
  boolean isFailure(R result);

  /**
   * Whether an exception the work threw (or the {@code TimeoutException} of a timed-out attempt)
   * counts against the breaker. {@code false}: the breaker records nothing for the attempt (a
   * failure of the caller's or of Riprap's own making says nothing about the downstream).
   *
   * @param failure the attempt's exception
   * @return {@code true} to record it as a failure
   */
  boolean countsForBreaker(Throwable failure);

  /**
   * The adapter's part of the retry decision, asked only for the work's own outcomes (never for
   * rejections, interrupts or {@link Error}s): whether this outcome may be tried again at all,
   * and after how long. The engine then applies its limits (attempts, drain, total timeout, retry
   * budget) in the same decision, taking the budget's token, and only then discards a retried
   * value ({@link #discard}).
   *
   * @param work the call's work, as given to the policy
   * @param attempt the attempt that ended, 1-based
   * @param result its value, or null when it failed
   * @param failure its exception, or null
   * @return the wait before the next attempt in nanoseconds, or -1 when the outcome is final
   */
  long retryDelayNanos(W work, int attempt, R result, Throwable failure);

  /**
   * Whether the retry of a failure {@link #retryDelayNanos} allowed takes no token of the retry
   * budget: the attempt never reached the downstream (a service endpoint's own breaker or rate
   * limiter refused it), so another attempt elsewhere adds no load the budget guards against.
   * The other limits (attempts, drain, total timeout) still apply. Must not throw. Default: every
   * retry pays.
   *
   * @param work the call's work, as given to the policy
   * @param failure the attempt's exception, not null
   * @return {@code true} when the retry is free
   */
  default boolean retryIsFree(W work, Throwable failure) {
    return false;
  }

  /**
   * Releases a value the call will not return: a retried one, or one that arrived after its call
   * ended. Must not throw.
   *
   * @param result the value, not null
   */
  void discard(R result);
}
