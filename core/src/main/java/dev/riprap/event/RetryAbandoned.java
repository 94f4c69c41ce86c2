package dev.riprap.event;

import java.time.Instant;
import java.util.Map;

/**
 * An attempt's outcome was retryable but no retry followed; the call ends with that outcome.
 *
 * @param policy the policy name
 * @param tags the policy's tags
 * @param time when the decision was made
 * @param attempt the number of the last attempt
 * @param reason what stopped the retries
 * @param cause the last attempt's exception, or {@code null} when it returned a result
 * @param result the last attempt's result, or {@code null}
 */
public record RetryAbandoned(
    String policy,
    Map<String, String> tags,
    Instant time,
    int attempt,
    Reason reason,
    Throwable cause,
    Object result)
    implements PolicyEvent {

  /** What stopped the retries. */
  public enum Reason {
    /** The retry strategy's maximum number of attempts was reached. */
    MAX_ATTEMPTS,
    /** The retry budget had no token: retries already made up their allowed share of calls. */
    BUDGET_EXHAUSTED,
    /** The next wait would end past the total timeout. */
    DEADLINE,
    /** The policy started draining; the backoff wait was cut short. */
    DRAINING,
    /** The calling thread was interrupted. */
    INTERRUPTED
  }
}
