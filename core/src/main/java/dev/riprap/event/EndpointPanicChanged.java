package dev.riprap.event;

import java.time.Instant;
import java.util.Map;

/**
 * An endpoint group entered or left panic mode: while too few of its endpoints are in rotation
 * (below its panic threshold), it spreads attempts over all of them, ejected and unhealthy ones
 * included.
 *
 * @param policy the endpoint group's name
 * @param tags the group's tags
 * @param time when the mode changed
 * @param panic {@code true} when it entered panic mode, {@code false} when it left it
 * @param inRotation the endpoints in rotation (neither ejected nor unhealthy) at that moment
 * @param total all the group's endpoints at that moment
 */
public record EndpointPanicChanged(
    String policy, Map<String, String> tags, Instant time, boolean panic, int inRotation,
    int total)
    implements EndpointEvent {}
