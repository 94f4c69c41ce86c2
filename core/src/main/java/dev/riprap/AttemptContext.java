package dev.riprap;

/**
 * What one attempt may know about the call it belongs to. Handed to {@link AttemptFunction} and to
 * the async form of {@link Policy#executeAsync}. Valid only while the attempt runs; not to be kept.
 */
public interface AttemptContext {
  /**
   * The attempt number, starting at 1 for the first try.
   *
   * @return the 1-based attempt number
   */
  int attempt();

  /**
   * The time left for this attempt before the policy times it out: the smaller of the attempt
   * timeout and what remains of the total timeout.
   *
   * @return nanoseconds left, or {@link Long#MAX_VALUE} when neither timeout is set
   */
  long remainingNanos();

  /**
   * Whether a failure of this attempt could still be followed by another attempt: the retry
   * strategy allows more attempts, the total deadline has not passed, the policy is not draining
   * and the retry budget (if any) has a token. It does not consume a budget token and it does not
   * know whether the outcome will be retryable: a hint only, since the retry decision is made after
   * the attempt (the HTTP client makes it with the engine's hooks instead).
   *
   * @return {@code true} when another attempt may follow
   */
  boolean retryPossible();
}
