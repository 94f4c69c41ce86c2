package dev.riprap.event;

import java.time.Instant;
import java.util.Map;

/**
 * Something a policy did: a breaker changed state, a retry was scheduled or abandoned, a call was
 * rejected, timed out, fell back, or completed; an external limiter changed mode; an endpoint group
 * ejected or restored an endpoint ({@link EndpointEvent}); the HTTP cache served, validated or
 * missed ({@link CacheEvent}). Events are immutable records; listeners
 * switch on the type.
 *
 * <p>Per-call events are created only when someone listens on the policy's stream or one of its
 * parents, so an unobserved policy allocates nothing for them.
 */
public sealed interface PolicyEvent
    permits CircuitStateChanged,
        RetryScheduled,
        RetryAbandoned,
        CallRejected,
        AttemptTimedOut,
        FallbackApplied,
        CallCompleted,
        LimiterModeChanged,
        EndpointEvent,
        CacheEvent {
  /**
   * The name of the policy that emitted the event (for an {@link EndpointEvent}, the endpoint
   * group's name).
   *
   * @return the policy name
   */
  String policy();

  /**
   * The policy's tags (for example {@code host} for the HTTP client's per-host policies).
   *
   * @return an unmodifiable map, empty when the policy has none
   */
  Map<String, String> tags();

  /**
   * When it happened, by the policy's time source.
   *
   * @return the event's timestamp
   */
  Instant time();
}
