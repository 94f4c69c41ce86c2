package dev.riprap.event;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * An endpoint group took an endpoint out of rotation after consecutive failures (or one failure
 * on probation).
 *
 * @param policy the endpoint group's name
 * @param tags the group's tags
 * @param time when it was ejected
 * @param endpoint the endpoint's name
 * @param failures the consecutive failures that ejected it (1 on probation)
 * @param ejections the ejection multiplier after this ejection
 * @param duration how long it stays out: the base ejection time x {@code ejections}, at most the
 *     maximum ejection time
 * @param cause the failure that ejected it
 */
public record EndpointEjected(
    String policy,
    Map<String, String> tags,
    Instant time,
    String endpoint,
    int failures,
    int ejections,
    Duration duration,
    Throwable cause)
    implements EndpointEvent {}
