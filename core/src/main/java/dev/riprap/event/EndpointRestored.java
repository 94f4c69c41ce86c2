package dev.riprap.event;

import java.time.Instant;
import java.util.Map;

/**
 * An ejected endpoint's time was up: it is back in rotation, on probation until its next success
 * (one failure before that ejects it again).
 *
 * @param policy the endpoint group's name
 * @param tags the group's tags
 * @param time when it came back
 * @param endpoint the endpoint's name
 */
public record EndpointRestored(
    String policy, Map<String, String> tags, Instant time, String endpoint)
    implements EndpointEvent {}
