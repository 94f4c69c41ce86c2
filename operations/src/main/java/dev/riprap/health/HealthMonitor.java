package dev.riprap.health;

import dev.riprap.Policy;
import dev.riprap.PolicyObserver;
import dev.riprap.PolicyRegistry;
import dev.riprap.TimeSource;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.EndpointStatus;
import dev.riprap.lifecycle.Supervisor;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Tracks the health of a service from its policies' circuit breakers, its endpoint groups (the
 * replicas of its upstreams, an HTTP client's logical services), its supervised workers and its
 * shutdown: {@link HealthStatus#UP}, {@link HealthStatus#DEGRADED} (some breakers open or
 * half-open, some endpoints out of rotation or a group down), {@link HealthStatus#DOWN} (a breaker
 * marked critical is open, a group marked critical is down, or a supervisor gave up on a worker) or
 * {@link HealthStatus#DRAINING} (shutdown started). A group's own status is described on {@link
 * EndpointGroupHealth}.
 *
 * <p>Readiness and liveness are separate answers for separate probes:
 *
 * <ul>
 *   <li>{@link #isReady()}: send traffic here? False once draining, and while a critical breaker is
 *       open (this replica cannot serve; the load balancer should prefer others).
 *   <li>{@link #isLive()}: is the process well? False only when a supervisor gave up on a worker,
 *       which a restart of the process may cure. Breakers never fail liveness: restarting a
 *       service because a downstream is down only adds a cold start to the outage.
 * </ul>
 *
 * <p>A worker given up on makes the status {@link HealthStatus#DOWN} and fails liveness, but not
 * readiness: the replica still serves its requests until the liveness probe restarts it, and a
 * background worker failing on every replica at once must not take them all out of rotation.
 *
 * <p>As a {@link PolicyObserver} it follows a registry's or an HTTP client's per-host instances, so
 * evicted hosts leave the report, and an HTTP client's services ({@link #onGroupAdded}), which
 * leave it when the client is closed. Reports are computed on demand from the breakers' and the
 * groups' own state; the monitor adds nothing to the call path. Thread-safe.
 */
public final class HealthMonitor implements PolicyObserver {
  private final TimeSource time;
  private final Map<Policy, Boolean> policies = new LinkedHashMap<>();
  /** Guarded by {@link #policies}' monitor, like the policies. */
  private final Map<EndpointGroup<?>, Boolean> groups = new LinkedHashMap<>();
  private final Set<String> criticalNames = ConcurrentHashMap.newKeySet();
  private final List<Supervisor> supervisors = new CopyOnWriteArrayList<>();
  private volatile boolean draining;

  /** A monitor on the system time source (used for report timestamps). */
  public HealthMonitor() {
    this(TimeSource.system());
  }

  /**
   * A monitor whose report timestamps come from {@code timeSource}.
   *
   * @param timeSource the time source
   */
  public HealthMonitor(TimeSource timeSource) {
    this.time = Objects.requireNonNull(timeSource, "timeSource");
  }

  /**
   * Monitors {@code policy}; critical if its name was {@linkplain #markCritical(String) marked
   * critical}. Monitoring the same policy again has no effect.
   *
   * @param policy the policy
   * @return this monitor
   */
  public HealthMonitor monitor(Policy policy) {
    Objects.requireNonNull(policy, "policy");
    synchronized (policies) {
      policies.putIfAbsent(policy, Boolean.FALSE);
    }
    return this;
  }

  /**
   * Monitors {@code policy} as critical: its open breaker makes the service {@link
   * HealthStatus#DOWN} and not ready.
   *
   * @param policy the policy
   * @return this monitor
   */
  public HealthMonitor monitorCritical(Policy policy) {
    Objects.requireNonNull(policy, "policy");
    synchronized (policies) {
      policies.put(policy, Boolean.TRUE);
    }
    return this;
  }

  /**
   * Marks every policy and endpoint group called {@code policyName}, now or later, as critical;
   * per-host instances of an HTTP client match by their {@code policy} tag (the template's name),
   * so {@code markCritical("inventory")} covers {@code inventory@host:port} too, and an HTTP
   * client's service matches by its name.
   *
   * @param policyName the policy name
   * @return this monitor
   */
  public HealthMonitor markCritical(String policyName) {
    criticalNames.add(Objects.requireNonNull(policyName, "policyName"));
    return this;
  }

  /**
   * Monitors every policy configured in {@code registry} (those it builds later through {@code
   * policyOrDefault} are not included: monitor them as you get them).
   *
   * @param registry the registry
   * @return this monitor
   */
  public HealthMonitor monitor(PolicyRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    for (String name : registry.names()) {
      monitor(registry.policy(name));
    }
    return this;
  }

  /**
   * Stops monitoring {@code policy}.
   *
   * @param policy the policy
   * @return {@code true} if it was monitored
   */
  public boolean unmonitor(Policy policy) {
    synchronized (policies) {
      return policies.remove(policy) != null;
    }
  }

  /**
   * Monitors an endpoint group (a service's replicas): {@link HealthStatus#DEGRADED} while some of
   * its endpoints are out of rotation, and while it is down (none in rotation, or panic mode);
   * critical if its name was {@linkplain #markCritical(String) marked critical}. Monitoring the
   * same group again has no effect.
   *
   * @param group the group
   * @return this monitor
   * @throws NullPointerException if {@code group} is null
   */
  public HealthMonitor monitor(EndpointGroup<?> group) {
    Objects.requireNonNull(group, "group");
    synchronized (policies) {
      groups.putIfAbsent(group, Boolean.FALSE);
    }
    return this;
  }

  /**
   * Monitors an endpoint group as critical: while it is down (none of its endpoints in rotation,
   * or panic mode) the service is {@link HealthStatus#DOWN} and not ready.
   *
   * @param group the group
   * @return this monitor
   * @throws NullPointerException if {@code group} is null
   */
  public HealthMonitor monitorCritical(EndpointGroup<?> group) {
    Objects.requireNonNull(group, "group");
    synchronized (policies) {
      groups.put(group, Boolean.TRUE);
    }
    return this;
  }

  /**
   * Stops monitoring {@code group}.
   *
   * @param group the group
   * @return {@code true} if it was monitored
   */
  public boolean unmonitor(EndpointGroup<?> group) {
    synchronized (policies) {
      return groups.remove(group) != null;
    }
  }

  /**
   * Monitors a supervisor's workers: a worker it gave up on makes the service not live.
   *
   * @param supervisor the supervisor
   * @return this monitor
   */
  public HealthMonitor monitor(Supervisor supervisor) {
    Objects.requireNonNull(supervisor, "supervisor");
    if (!supervisors.contains(supervisor)) {
      supervisors.add(supervisor);
    }
    return this;
  }

  @Override
  public void onAdded(Policy policy) {
    monitor(policy);
  }

  @Override
  public void onRemoved(Policy policy) {
    unmonitor(policy);
  }

  /** Monitors the group ({@link #monitor(EndpointGroup)}): an HTTP client's service. */
  @Override
  public void onGroupAdded(EndpointGroup<?> group) {
    monitor(group);
  }

  /** Stops monitoring the group: its HTTP client was closed. */
  @Override
  public void onGroupRemoved(EndpointGroup<?> group) {
    unmonitor(group);
  }

  /**
   * Marks the service as draining: status {@link HealthStatus#DRAINING}, not ready. Irreversible.
   * Pass it to {@code GracefulShutdown.Builder#readiness} as {@code health::startDraining}.
   */
  public void startDraining() {
    draining = true;
  }

  /**
   * Whether {@link #startDraining()} was called.
   *
   * @return {@code true} once draining
   */
  public boolean isDraining() {
    return draining;
  }

  /**
   * Whether the service should receive traffic: not draining, no critical breaker open and no
   * critical endpoint group down. A worker given up on does not make the service unready (it
   * fails {@link #isLive()}).
   *
   * @return the readiness
   */
  public boolean isReady() {
    return !draining && overall(snapshot(), groupSnapshot()) != HealthStatus.DOWN;
  }

  /**
   * Whether the process is well: no supervisor gave up on a worker.
   *
   * @return the liveness
   */
  public boolean isLive() {
    for (Supervisor s : supervisors) {
      if (s.hasGivenUp()) {
        return false;
      }
    }
    return true;
  }

  /**
   * A snapshot of everything monitored. Its status is {@link HealthStatus#DRAINING} once draining;
   * else {@link HealthStatus#DOWN} when a critical breaker is open, a critical endpoint group is
   * down or a supervisor gave up on a worker; else the worst of the policies' and groups'
   * statuses, a group that is down counting as degraded.
   *
   * @return the report
   */
  public HealthReport report() {
    List<PolicyHealth> ph = snapshot();
    List<EndpointGroupHealth> gh = groupSnapshot();
    HealthStatus policies = overall(ph, gh);
    List<HealthReport.WorkerHealth> workers = new ArrayList<>();
    boolean live = true;
    for (Supervisor s : supervisors) {
      for (Supervisor.WorkerInfo w : s.workers()) {
        workers.add(new HealthReport.WorkerHealth(s.name(), w.name(), w.state(), w.restarts()));
        live &= w.state() != Supervisor.WorkerState.GAVE_UP;
      }
    }
    HealthStatus status =
        draining ? HealthStatus.DRAINING : live ? policies : HealthStatus.DOWN;
    boolean ready = !draining && policies != HealthStatus.DOWN;
    return new HealthReport(status, ready, live, time.instant(), ph, gh, workers);
  }

  private List<EndpointGroupHealth> groupSnapshot() {
    List<Map.Entry<EndpointGroup<?>, Boolean>> entries;
    synchronized (policies) {
      entries = new ArrayList<>(groups.entrySet());
    }
    List<EndpointGroupHealth> out = new ArrayList<>(entries.size());
    for (Map.Entry<EndpointGroup<?>, Boolean> e : entries) {
      EndpointGroup<?> g = e.getKey();
      boolean critical = e.getValue() || criticalNames.contains(g.name());
      out.add(health(g, critical));
    }
    return out;
  }

  private static EndpointGroupHealth health(EndpointGroup<?> group, boolean critical) {
    boolean panic = group.panic();
    List<EndpointGroupHealth.EndpointHealth> endpoints = new ArrayList<>();
    int in = 0;
    for (EndpointStatus<?> s : group.status()) {
      EndpointGroupHealth.EndpointHealth e = new EndpointGroupHealth.EndpointHealth(
          s.name(), s.ejected(), s.healthy(), s.outstanding());
      endpoints.add(e);
      in += e.inRotation() ? 1 : 0;
    }
    HealthStatus status = panic || in == 0 ? HealthStatus.DOWN
        : in < endpoints.size() ? HealthStatus.DEGRADED : HealthStatus.UP;
    return new EndpointGroupHealth(group.name(), critical, status, panic, endpoints);
  }

  private List<PolicyHealth> snapshot() {
    List<Map.Entry<Policy, Boolean>> entries;
    synchronized (policies) {
      entries = new ArrayList<>(policies.entrySet());
    }
    List<PolicyHealth> out = new ArrayList<>(entries.size());
    for (Map.Entry<Policy, Boolean> e : entries) {
      Policy p = e.getKey();
      boolean critical =
          e.getValue()
              || criticalNames.contains(p.name())
              || criticalNames.contains(p.tags().getOrDefault("policy", p.name()));
      out.add(health(p, critical));
    }
    return out;
  }

  private static PolicyHealth health(Policy policy, boolean critical) {
    CircuitBreaker breaker = policy.circuitBreaker().orElse(null);
    if (breaker == null) {
      return new PolicyHealth(
          policy.name(), policy.tags(), critical, HealthStatus.UP, null, null, -1f, 0, 0, 0);
    }
    CircuitBreaker.State state = breaker.getState();
    HealthStatus status =
        switch (state) {
          case CLOSED, DISABLED, METRICS_ONLY -> HealthStatus.UP;
          case HALF_OPEN -> HealthStatus.DEGRADED;
          case OPEN, FORCED_OPEN -> critical ? HealthStatus.DOWN : HealthStatus.DEGRADED;
        };
    CircuitBreaker.Metrics m = breaker.getMetrics();
    return new PolicyHealth(
        policy.name(),
        policy.tags(),
        critical,
        status,
        breaker.getName(),
        state,
        m.getFailureRate(),
        m.getNumberOfBufferedCalls(),
        m.getNumberOfFailedCalls(),
        m.getNumberOfNotPermittedCalls());
  }

  private static HealthStatus overall(List<PolicyHealth> policies,
      List<EndpointGroupHealth> groups) {
    HealthStatus worst = HealthStatus.UP;
    for (PolicyHealth p : policies) {
      if (p.status() == HealthStatus.DOWN) {
        return HealthStatus.DOWN;
      }
      if (p.status() == HealthStatus.DEGRADED) {
        worst = HealthStatus.DEGRADED;
      }
    }
    for (EndpointGroupHealth g : groups) {
      if (g.status() == HealthStatus.DOWN && g.critical()) {
        return HealthStatus.DOWN;
      }
      if (g.status() != HealthStatus.UP) {
        worst = HealthStatus.DEGRADED;
      }
    }
    return worst;
  }
}
