package dev.riprap.event;

import dev.riprap.RejectionReason;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A call through the policy ended: exactly one per call, whatever the outcome. Metrics are built on
 * this event.
 *
 * @param policy the policy name
 * @param tags the policy's tags
 * @param time when the call ended
 * @param outcome how it ended
 * @param rejection the rejection reason when {@code outcome} is {@link Outcome#REJECTED} or {@link
 *     Outcome#TIMED_OUT}, else {@code null}
 * @param attempts how many attempts ran or were tried
 * @param duration the call's whole duration, waits included
 */
public record CallCompleted(
    String policy,
    Map<String, String> tags,
    Instant time,
    Outcome outcome,
    RejectionReason rejection,
    int attempts,
    Duration duration)
    implements PolicyEvent {

  /** How a call ended. */
  public enum Outcome {
    /** The work returned a result. */
    SUCCESS,
    /** The work failed with its own exception. */
    FAILURE,
    /** The call failed and a fallback produced the result. */
    FALLBACK,
    /** The policy rejected the call: circuit open, rate limited, bulkhead full, shutting down. */
    REJECTED,
    /** An attempt timeout (on the last attempt) or the total timeout ended the call. */
    TIMED_OUT
  }
}
