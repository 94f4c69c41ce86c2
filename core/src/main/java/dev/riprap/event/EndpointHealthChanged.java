package dev.riprap.event;

import java.time.Instant;
import java.util.Map;

/**
 * An endpoint group's active health check changed its verdict on an endpoint: {@code healthy ==
 * false} after the unhealthy threshold of consecutive failed checks (the endpoint leaves
 * rotation), {@code true} after the healthy threshold of consecutive passed checks (it is back,
 * unless outlier detection has it ejected).
 *
 * @param policy the endpoint group's name
 * @param tags the group's tags
 * @param time when the verdict changed
 * @param endpoint the endpoint's name
 * @param healthy the new verdict
 * @param checks the consecutive checks that decided it (failed ones when unhealthy, passed ones
 *     when healthy)
 * @param cause what the last failed check threw or timed out with; {@code null} when the endpoint
 *     became healthy or the check answered {@code false}
 */
public record EndpointHealthChanged(
    String policy,
    Map<String, String> tags,
    Instant time,
    String endpoint,
    boolean healthy,
    int checks,
    Throwable cause)
    implements EndpointEvent {}
