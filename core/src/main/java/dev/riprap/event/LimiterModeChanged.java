package dev.riprap.event;

import java.time.Instant;
import java.util.Map;

/**
 * An external rate limiter of the policy ({@code dev.riprap.ExternalLimiter}, such as
 * riprap-bucket4j's fleet-wide limiter) changed who decides its permits: the shared store, or,
 * while the store cannot answer, the limiter's fail mode. A limiter shared by several policies
 * reports to each of them.
 *
 * @param policy the policy name
 * @param tags the policy's tags
 * @param time when the mode changed
 * @param limiter the limiter's description (its store and key)
 * @param mode the mode now in force
 * @param reason why, in words ({@code "store timed out after 50ms"}, {@code "store answered
 *     again"})
 * @param cause the store failure that led to a fail mode, or {@code null}
 */
public record LimiterModeChanged(
    String policy,
    Map<String, String> tags,
    Instant time,
    String limiter,
    Mode mode,
    String reason,
    Throwable cause)
    implements PolicyEvent {

  /** Who decides the permits. */
  public enum Mode {
    /** The shared store: the fleet-wide quota holds. */
    SHARED,
    /** A limiter local to this replica, while the store cannot answer. */
    LOCAL,
    /** Every attempt is allowed, while the store cannot answer. */
    ALLOW,
    /** Every attempt is refused as rate limited, while the store cannot answer. */
    REJECT
  }
}
