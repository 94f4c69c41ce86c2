package dev.riprap.event;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An endpoint group sent a hedge: an attempt of a call had not answered after the hedge delay, so
 * a parallel attempt went to another endpoint (see {@code dev.riprap.endpoint.Hedging}).
 *
 * @param policy the endpoint group's name (in the HTTP client, the service's name)
 * @param tags the group's tags
 * @param time when the hedge was sent
 * @param endpoint the name of the endpoint the hedge went to
 * @param inFlight the names of this call's endpoints already in flight, the first one's first
 * @param hedge which hedge of the attempt this is, from 1
 * @param attempt the policy's attempt number the hedge belongs to, from 1
 * @param delay the hedge delay that elapsed before it was sent
 */
public record HedgeSent(
    String policy,
    Map<String, String> tags,
    Instant time,
    String endpoint,
    List<String> inFlight,
    int hedge,
    int attempt,
    Duration delay)
    implements EndpointEvent {}
