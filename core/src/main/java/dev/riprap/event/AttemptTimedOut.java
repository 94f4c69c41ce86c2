package dev.riprap.event;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * An attempt ran out of time: its own attempt timeout or what was left of the total timeout.
 *
 * @param policy the policy name
 * @param tags the policy's tags
 * @param time when it timed out
 * @param attempt the attempt number
 * @param timeout the time the attempt was given
 * @param total {@code true} when the total timeout expired (the call ends), {@code false} for an
 *     attempt timeout (the retry may try again)
 */
public record AttemptTimedOut(
    String policy,
    Map<String, String> tags,
    Instant time,
    int attempt,
    Duration timeout,
    boolean total)
    implements PolicyEvent {}
