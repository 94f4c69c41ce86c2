package dev.riprap.event;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Instant;
import java.util.Map;

/**
 * The policy's circuit breaker moved from one state to another. A breaker shared by several
 * policies reports to each of them. One event per transition resilience4j makes, in the order
 * resilience4j publishes them: two transitions made at nearly the same instant can arrive in the
 * other order, so {@code from} is not always the previous event's {@code to}.
 *
 * @param policy the policy name
 * @param tags the policy's tags
 * @param time when the transition happened
 * @param breaker the breaker's name
 * @param from the state it left
 * @param to the state it entered
 */
public record CircuitStateChanged(
    String policy,
    Map<String, String> tags,
    Instant time,
    String breaker,
    CircuitBreaker.State from,
    CircuitBreaker.State to)
    implements PolicyEvent {}
