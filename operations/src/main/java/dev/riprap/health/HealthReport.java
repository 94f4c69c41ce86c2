package dev.riprap.health;

import dev.riprap.lifecycle.Supervisor;
import java.time.Instant;
import java.util.List;

/**
 * A snapshot of a service's health, made by {@link HealthMonitor#report()}.
 *
 * @param status the overall status: {@link HealthStatus#DRAINING} once shutdown started, else
 *     {@link HealthStatus#DOWN} when a supervised worker was given up on, else the worst of the
 *     policies' and endpoint groups' statuses ({@link HealthStatus#DOWN} over {@link
 *     HealthStatus#DEGRADED} over {@link HealthStatus#UP}; a group that is down counts as degraded
 *     unless critical)
 * @param ready whether the service should receive traffic: not draining, no critical breaker
 *     open and no critical endpoint group down (a worker given up on fails liveness, not
 *     readiness)
 * @param live whether the process is alive and well: no supervised worker was given up on
 * @param time when the snapshot was taken
 * @param policies every monitored policy, in the order they were added
 * @param endpointGroups every monitored endpoint group (an HTTP client's services), in the order
 *     they were added
 * @param workers every supervised worker, supervisor by supervisor
 */
public record HealthReport(
    HealthStatus status,
    boolean ready,
    boolean live,
    Instant time,
    List<PolicyHealth> policies,
    List<EndpointGroupHealth> endpointGroups,
    List<WorkerHealth> workers) {

  /**
   * Creates a report; the lists are copied.
   *
   * @param status the overall status
   * @param ready the readiness
   * @param live the liveness
   * @param time when it was taken
   * @param policies the policies' health
   * @param endpointGroups the endpoint groups' health
   * @param workers the supervised workers
   */
  public HealthReport {
    policies = List.copyOf(policies);
    endpointGroups = List.copyOf(endpointGroups);
    workers = List.copyOf(workers);
  }

  /**
   * One supervised worker.
   *
   * @param supervisor the supervisor's name
   * @param worker the worker's name
   * @param state its state
   * @param restarts how many times it was restarted
   */
  public record WorkerHealth(
      String supervisor, String worker, Supervisor.WorkerState state, int restarts) {}

  /**
   * Renders the report as one line of JSON (UTF-8 safe; strings escaped per RFC 8259):
   *
   * <pre>{@code
   * {"status":"DEGRADED","ready":true,"live":true,"time":"2026-01-01T00:00:00Z",
   *  "policies":[{"policy":"inventory","tags":{"host":"inventory:8080"},"critical":false,
   *   "status":"DEGRADED","breaker":{"name":"inventory","state":"OPEN","failureRate":100,
   *   "bufferedCalls":4,"failedCalls":4,"notPermittedCalls":2}}],
   *  "endpointGroups":[{"group":"orders","critical":false,"status":"DEGRADED","panic":false,
   *   "inRotation":1,"endpoints":[{"name":"http://10.0.0.1:8080","ejected":true,"healthy":true,
   *   "outstanding":0},{"name":"http://10.0.0.2:8080","ejected":false,"healthy":true,
   *   "outstanding":2}]}],
   *  "workers":[{"supervisor":"background","worker":"poller","state":"RUNNING","restarts":0}]}
   * }</pre>
   *
   * <p>A policy without a breaker has no {@code breaker} member.
   *
   * @return the JSON text
   */
  public String toJson() {
    StringBuilder out = new StringBuilder(256);
    out.append("{\"status\":");
    Json.string(out, status.name());
    out.append(",\"ready\":").append(ready);
    out.append(",\"live\":").append(live);
    out.append(",\"time\":");
    Json.string(out, time.toString());
    out.append(",\"policies\":[");
    for (int i = 0; i < policies.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      policies.get(i).toJson(out);
    }
    out.append("],\"endpointGroups\":[");
    for (int i = 0; i < endpointGroups.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      endpointGroups.get(i).toJson(out);
    }
    out.append("],\"workers\":[");
    for (int i = 0; i < workers.size(); i++) {
      WorkerHealth w = workers.get(i);
      if (i > 0) {
        out.append(',');
      }
      out.append("{\"supervisor\":");
      Json.string(out, w.supervisor());
      out.append(",\"worker\":");
      Json.string(out, w.worker());
      out.append(",\"state\":");
      Json.string(out, w.state().name());
      out.append(",\"restarts\":").append(w.restarts()).append('}');
    }
    return out.append("]}").toString();
  }
}
