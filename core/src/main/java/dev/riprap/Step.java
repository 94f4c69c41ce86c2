package dev.riprap;

/**
 * One per-attempt strategy of the pipeline (breaker, limiter, bulkhead) with the same three hooks:
 * {@link #acquire} before the attempt, then exactly one of {@link #release} (the attempt never ran)
 * or {@link #settle} (it ran) for every acquire that returned a held permit. The drivers call the
 * hooks in {@link Pipeline#steps} order and remember how many steps hold a permit, so a permit is
 * given back once by construction: whoever owns the call's state gives back what it holds.
 *
 * <p>{@link #acquire} answers with a {@code long}, so that nothing is allocated per attempt:
 *
 * <ul>
 *   <li>{@link #GO}: the permit is held; go on with the next step;
 *   <li>a positive number of nanoseconds: the permit is held, but the attempt must wait that long
 *       before it goes on (a rate limiter's reserved slot);
 *   <li>{@link #REFUSED}: no permit; the attempt ends with {@link #refusal()};
 *   <li>{@link #DEADLINE}: the permit would come after the call's deadline: the call times out;
 *   <li>{@link #BLOCKS}: the step would block the thread past the deadline; the driver bounds the
 *       wait ({@link Call#enterWithin});
 *   <li>{@link #askAgainIn(long)}: no permit yet; ask this step again after a wait (a call waiting
 *       for a circuit breaker's probe, see {@link Call#resolve}).
 * </ul>
 *
 * <p>The hooks take no reference to the call, so that the sync driver's fast path runs them with
 * no call object at all ({@link SyncCall}).
 */
abstract class Step {
  static final long GO = 0;
  static final long REFUSED = -1;
  /** The deadline comes before the step could hand out its permit: the call times out. */
  static final long DEADLINE = -2;
  /** The step's own wait could outlast the deadline: the driver must bound it. */
  static final long BLOCKS = -3;
  private static final long ASK_AGAIN = -4;

  /** No permit yet: ask again after {@code nanos} (saturating). */
  static long askAgainIn(long nanos) {
    return ASK_AGAIN - Math.min(nanos, Long.MAX_VALUE + ASK_AGAIN);
  }

  static boolean isAskAgain(long answer) {
    return answer <= ASK_AGAIN;
  }

  /** The wait of an {@link #askAgainIn} answer. */
  static long askAgainDelay(long answer) {
    return ASK_AGAIN - answer;
  }

  /**
   * Asks for this step's permit for the call's current attempt.
   *
   * @param remainingNanos the time left before the call's deadline, {@link Pipeline#NONE} if none
   * @return one of the answers in the class comment
   */
  abstract long acquire(long remainingNanos);

  /** The rejection for a {@link #REFUSED} answer; publishes the rejection event. */
  abstract RejectedException refusal(Pipeline p);

  /** Gives the permit back: the attempt it was taken for never ran. Never throws. */
  abstract void release();

  /**
   * The attempt ran and ended with {@code result} or {@code failure}: records it and gives the
   * permit back. The permit is given back even when user code this runs (a breaker's record
   * predicate) throws; that throwable is then rethrown for the call to end with.
   *
   * @param nanos how long the attempt took
   * @param result the attempt's result, when {@code failure} is null
   * @param failure what the attempt threw (for a timeout, the {@code TimeoutException})
   */
  abstract void settle(long nanos, Object result, Throwable failure);
}
