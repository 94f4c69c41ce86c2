package dev.riprap.event;

import java.time.Instant;
import java.util.Map;

/**
 * The call failed and a fallback produced its result.
 *
 * @param policy the policy name
 * @param tags the policy's tags
 * @param time when the fallback ran
 * @param cause the failure the fallback replaced
 */
public record FallbackApplied(
    String policy, Map<String, String> tags, Instant time, Throwable cause)
    implements PolicyEvent {}
