package dev.riprap.event;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * An attempt failed (or returned a result the retry treats as failure) and another will follow
 * after {@code delay}.
 *
 * @param policy the policy name
 * @param tags the policy's tags
 * @param time when the retry was scheduled
 * @param attempt the number of the attempt that failed (1 for the first try)
 * @param delay the wait before the next attempt
 * @param cause the attempt's exception, or {@code null} when a result was retried
 * @param result the attempt's result when a result was retried, else {@code null}
 */
public record RetryScheduled(
    String policy,
    Map<String, String> tags,
    Instant time,
    int attempt,
    Duration delay,
    Throwable cause,
    Object result)
    implements PolicyEvent {}
