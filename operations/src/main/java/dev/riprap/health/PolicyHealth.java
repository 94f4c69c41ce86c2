package dev.riprap.health;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.Map;

/**
 * The health of one policy (one per host for an HTTP client's per-host policies: the host is in
 * {@code tags}).
 *
 * @param policy the policy name
 * @param tags the policy's tags (for example {@code host})
 * @param critical whether an open breaker here makes the service {@link HealthStatus#DOWN}
 * @param status {@link HealthStatus#UP} with no breaker or a closed one; {@link
 *     HealthStatus#DEGRADED} when open or half-open; {@link HealthStatus#DOWN} when critical and
 *     open
 * @param breaker the breaker's name, or {@code null} when the policy has none
 * @param state the breaker's state, or {@code null} when the policy has none
 * @param failureRate the breaker's failure rate in percent, or -1 when it has not recorded enough
 *     calls yet (resilience4j's convention)
 * @param bufferedCalls the calls in the breaker's window
 * @param failedCalls the failed calls in the window
 * @param notPermittedCalls calls the breaker refused
 */
public record PolicyHealth(
    String policy,
    Map<String, String> tags,
    boolean critical,
    HealthStatus status,
    String breaker,
    CircuitBreaker.State state,
    float failureRate,
    int bufferedCalls,
    int failedCalls,
    long notPermittedCalls) {

  /**
   * Creates a policy health entry; the tags are copied.
   *
   * @param policy the policy name
   * @param tags the policy's tags
   * @param critical whether critical
   * @param status its status
   * @param breaker the breaker's name, or null
   * @param state the breaker's state, or null
   * @param failureRate the failure rate in percent, or -1
   * @param bufferedCalls calls in the window
   * @param failedCalls failed calls in the window
   * @param notPermittedCalls refused calls
   */
  public PolicyHealth {
    tags = Map.copyOf(tags);
  }

  void toJson(StringBuilder out) {
    out.append("{\"policy\":");
    Json.string(out, policy);
    out.append(",\"tags\":{");
    boolean first = true;
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(tags).entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      Json.string(out, e.getKey()).append(':');
      Json.string(out, e.getValue());
    }
    out.append("},\"critical\":").append(critical);
    out.append(",\"status\":");
    Json.string(out, status.name());
    if (breaker != null) {
      out.append(",\"breaker\":{\"name\":");
      Json.string(out, breaker);
      out.append(",\"state\":");
      Json.string(out, state.name());
      out.append(",\"failureRate\":");
      Json.number(out, failureRate);
      out.append(",\"bufferedCalls\":").append(bufferedCalls);
      out.append(",\"failedCalls\":").append(failedCalls);
      out.append(",\"notPermittedCalls\":").append(notPermittedCalls);
      out.append('}');
    }
    out.append('}');
  }
}
