package dev.riprap.event;

import dev.riprap.RejectionReason;
import java.time.Instant;
import java.util.Map;

/**
 * The policy refused an attempt (or the call, when draining) without running it.
 *
 * @param policy the policy name
 * @param tags the policy's tags
 * @param time when it was refused
 * @param reason why
 */
public record CallRejected(
    String policy, Map<String, String> tags, Instant time, RejectionReason reason)
    implements PolicyEvent {}
