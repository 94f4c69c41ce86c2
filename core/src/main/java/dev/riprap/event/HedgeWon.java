package dev.riprap.event;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A hedge's outcome won its race: it was the first acceptable outcome of its attempt, and the
 * attempts still in flight on the other endpoints were cancelled. Not published when the first
 * attempt wins (then nothing was hedged, or the hedges lost).
 *
 * @param policy the endpoint group's name (in the HTTP client, the service's name)
 * @param tags the group's tags
 * @param time when the hedge won
 * @param endpoint the name of the endpoint whose hedge won
 * @param cancelled the names of the endpoints whose attempts were cancelled, the first one's first
 * @param hedge which hedge of the attempt won, from 1
 * @param attempt the policy's attempt number, from 1
 * @param delay the hedge delay that elapsed before that hedge was sent
 */
public record HedgeWon(
    String policy,
    Map<String, String> tags,
    Instant time,
    String endpoint,
    List<String> cancelled,
    int hedge,
    int attempt,
    Duration delay)
    implements EndpointEvent {}
