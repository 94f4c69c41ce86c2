package dev.riprap.spring.boot;

import dev.riprap.health.EndpointGroupHealth;
import dev.riprap.health.HealthMonitor;
import dev.riprap.health.HealthReport;
import dev.riprap.health.PolicyHealth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * A {@link HealthMonitor} as Spring Boot Actuator health, in one of three views. The starter
 * registers all three: {@code riprap} (the whole report), {@code riprapLiveness} (in the {@code
 * liveness} group) and {@code riprapReadiness} (in the {@code readiness} group).
 *
 * <table>
 *   <caption>Riprap's status as Actuator's</caption>
 *   <tr><th>view</th><th>{@code UP}</th><th>otherwise</th></tr>
 *   <tr><td>{@link View#REPORT}</td><td>{@code UP} and {@code DEGRADED} (some breakers open, some
 *       endpoints of a service out of rotation: the service still works; the detail {@code riprap}
 *       says {@code DEGRADED})</td>
 *       <td>{@code DOWN} for {@code DOWN} (a critical breaker open, a critical service with no
 *       endpoint in rotation, a worker given up on);
 *       {@code OUT_OF_SERVICE} for {@code DRAINING}</td></tr>
 *   <tr><td>{@link View#LIVENESS}</td><td>{@link HealthMonitor#isLive()}</td>
 *       <td>{@code DOWN}</td></tr>
 *   <tr><td>{@link View#READINESS}</td><td>{@link HealthMonitor#isReady()}</td>
 *       <td>{@code OUT_OF_SERVICE}</td></tr>
 * </table>
 *
 * <p>Open breakers never fail liveness (restarting a service because a downstream is down only adds
 * a cold start to the outage). Computed on each request from the breakers' own state. Thread-safe.
 */
public final class RiprapHealthIndicator implements HealthIndicator {
  /** Which answer the indicator gives. */
  public enum View {
    /** The whole report: status, readiness, liveness, policies, endpoint groups, workers. */
    REPORT,
    /** Liveness only: is the process well? */
    LIVENESS,
    /** Readiness only: should it receive traffic? */
    READINESS
  }

  private final HealthMonitor monitor;
  private final View view;

  /**
   * An indicator of {@code monitor}.
   *
   * @param monitor the monitor
   * @param view the answer it gives
   */
  public RiprapHealthIndicator(HealthMonitor monitor, View view) {
    this.monitor = Objects.requireNonNull(monitor, "monitor");
    this.view = Objects.requireNonNull(view, "view");
  }

  @Override
  public Health health() {
    switch (view) {
      case LIVENESS:
        return (monitor.isLive() ? Health.up() : Health.down()).build();
      case READINESS:
        return (monitor.isReady() ? Health.up() : Health.outOfService()).build();
      default:
        return report(monitor.report());
    }
  }

  private static Health report(HealthReport report) {
    Status status =
        switch (report.status()) {
          case UP, DEGRADED -> Status.UP;
          case DOWN -> Status.DOWN;
          case DRAINING -> Status.OUT_OF_SERVICE;
        };
    List<Map<String, Object>> policies = new ArrayList<>();
    for (PolicyHealth p : report.policies()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("policy", p.policy());
      m.put("tags", p.tags());
      m.put("critical", p.critical());
      m.put("status", p.status().name());
      if (p.breaker() != null) {
        m.put("breaker", p.breaker());
        m.put("state", p.state().name());
        m.put("failureRate", p.failureRate());
        m.put("bufferedCalls", p.bufferedCalls());
        m.put("failedCalls", p.failedCalls());
        m.put("notPermittedCalls", p.notPermittedCalls());
      }
      policies.add(m);
    }
    List<Map<String, Object>> groups = new ArrayList<>();
    for (EndpointGroupHealth g : report.endpointGroups()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("group", g.group());
      m.put("critical", g.critical());
      m.put("status", g.status().name());
      m.put("panic", g.panic());
      m.put("inRotation", g.inRotation());
      List<Map<String, Object>> endpoints = new ArrayList<>();
      for (EndpointGroupHealth.EndpointHealth e : g.endpoints()) {
        Map<String, Object> em = new LinkedHashMap<>();
        em.put("name", e.name());
        em.put("ejected", e.ejected());
        em.put("healthy", e.healthy());
        em.put("outstanding", e.outstanding());
        endpoints.add(em);
      }
      m.put("endpoints", endpoints);
      groups.add(m);
    }
    List<Map<String, Object>> workers = new ArrayList<>();
    for (HealthReport.WorkerHealth w : report.workers()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("supervisor", w.supervisor());
      m.put("worker", w.worker());
      m.put("state", w.state().name());
      m.put("restarts", w.restarts());
      workers.add(m);
    }
    return Health.status(status)
        .withDetail("riprap", report.status().name())
        .withDetail("ready", report.ready())
        .withDetail("live", report.live())
        .withDetail("policies", policies)
        .withDetail("endpointGroups", groups)
        .withDetail("workers", workers)
        .build();
  }
}
