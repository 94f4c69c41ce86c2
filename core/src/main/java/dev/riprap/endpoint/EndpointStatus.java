package dev.riprap.endpoint;

import java.time.Duration;
import java.util.Optional;

/**
 * One endpoint of an {@link EndpointGroup} as it was when {@link EndpointGroup#status()} read it.
 * The fields are read one by one without a lock: under load they may come from slightly different
 * moments.
 *
 * @param endpoint the endpoint
 * @param name its name, as the group's name function gave it
 * @param ejected whether it is out of rotation
 * @param probation whether it came back from an ejection and has not succeeded since (one failure
 *     ejects it again)
 * @param healthy whether the active health check has it in rotation ({@code true} when the group
 *     has no health check); it takes traffic when healthy and not ejected
 * @param outstanding the attempts in flight on it through the group
 * @param consecutiveFailures the failures since its last success or ejection
 * @param ejections the ejection multiplier: how many times it was ejected, less one for each base
 *     ejection time it then spent in rotation
 * @param passedChecks the active health checks of it that passed since it joined the group (0
 *     without a health check)
 * @param failedChecks the active health checks of it that failed since it joined the group (0
 *     without a health check)
 * @param latency the peak EWMA latency estimate, when the group balances on it and the endpoint
 *     has been observed
 * @param <E> the endpoint type
 */
public record EndpointStatus<E>(
    E endpoint,
    String name,
    boolean ejected,
    boolean probation,
    boolean healthy,
    int outstanding,
    int consecutiveFailures,
    int ejections,
    long passedChecks,
    long failedChecks,
    Optional<Duration> latency) {}
