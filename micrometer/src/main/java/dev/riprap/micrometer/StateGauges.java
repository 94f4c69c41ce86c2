package dev.riprap.micrometer;

import dev.riprap.PacedLimiter;
import dev.riprap.ShutdownGate;
import dev.riprap.health.HealthMonitor;
import dev.riprap.health.HealthStatus;
import dev.riprap.lifecycle.Supervisor;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The gauges that show state rather than count events: a paced limiter's backlog, a supervisor's
 * workers by state, a health monitor's status, a shutdown gate's drain. Each reads its object when
 * the registry is scraped; nothing is added to a call. The gauges hold their object strongly (they
 * are removed with their binding, so nothing leaks), since a weakly held one would turn into
 * {@code NaN} as soon as the caller dropped its own reference.
 */
final class StateGauges {
  private final MeterRegistry registry;
  private final List<Meter.Id> ids = new ArrayList<>();

  private StateGauges(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Removes every gauge registered here. */
  void remove() {
    ids.forEach(registry::remove);
  }

  private <T> void gauge(String name, String help, T obj, ToDoubleFunction<T> f, String... tags) {
    ids.add(
        Gauge.builder(name, obj, f)
            .description(help)
            .tags(tags)
            .strongReference(true)
            .register(registry)
            .getId());
  }

  private <T> void timeGauge(
      String name, String help, T obj, ToDoubleFunction<T> nanos, String... tags) {
    ids.add(
        TimeGauge.builder(name, obj, TimeUnit.NANOSECONDS, nanos)
            .description(help)
            .tags(tags)
            .strongReference(true)
            .register(registry)
            .getId());
  }

  private static double flag(boolean b) {
    return b ? 1 : 0;
  }

  /** A paced limiter's free slots, its backlog and the wait it allows, tagged {@code name}. */
  static StateGauges pacedLimiter(MeterRegistry registry, String name, PacedLimiter limiter) {
    StateGauges g = new StateGauges(registry);
    g.gauge(
        RiprapMetrics.LIMITER_AVAILABLE,
        "Slots of a paced limiter free now",
        limiter,
        PacedLimiter::availableSlots,
        "name",
        name);
    g.timeGauge(
        RiprapMetrics.LIMITER_CLAIMED_AHEAD,
        "How far ahead a paced limiter's slots are claimed: the wait a call asking now would get",
        limiter,
        PacedLimiter::claimedAheadNanos,
        "name",
        name);
    g.timeGauge(
        RiprapMetrics.LIMITER_MAX_WAIT,
        "The longest wait a policy allows for a paced limiter's slot",
        limiter,
        l -> l.maxWait().toNanos(),
        "name",
        name);
    return g;
  }

  /** A supervisor's workers by state, one series per state (zero included). */
  static StateGauges supervisor(MeterRegistry registry, Supervisor supervisor) {
    StateGauges g = new StateGauges(registry);
    for (Supervisor.WorkerState state : Supervisor.WorkerState.values()) {
      g.gauge(
          RiprapMetrics.SUPERVISOR_WORKERS,
          "Supervised workers by state",
          supervisor,
          s -> s.workers().stream().filter(w -> w.state() == state).count(),
          "supervisor",
          supervisor.name(),
          "state",
          RiprapMetrics.lower(state));
    }
    return g;
  }

  /** The health status (1 for the current one, 0 for the others), readiness and liveness. */
  static StateGauges health(MeterRegistry registry, HealthMonitor health) {
    StateGauges g = new StateGauges(registry);
    for (HealthStatus status : HealthStatus.values()) {
      g.gauge(
          RiprapMetrics.HEALTH_STATUS,
          "The service's health status: 1 for the current one",
          health,
          h -> flag(h.report().status() == status),
          "status",
          RiprapMetrics.lower(status));
    }
    g.gauge(RiprapMetrics.HEALTH_READY, "1 when ready for traffic", health, h -> flag(h.isReady()));
    g.gauge(RiprapMetrics.HEALTH_LIVE, "1 when live", health, h -> flag(h.isLive()));
    return g;
  }

  /** A shutdown gate's calls in flight and whether it drains, tagged {@code gate}. */
  static StateGauges drain(MeterRegistry registry, String name, ShutdownGate gate) {
    StateGauges g = new StateGauges(registry);
    g.gauge(
        RiprapMetrics.DRAIN_IN_FLIGHT,
        "Calls in flight through a shutdown gate",
        gate,
        ShutdownGate::inFlight,
        "gate",
        name);
    g.gauge(
        RiprapMetrics.DRAIN_DRAINING,
        "1 once the shutdown gate drains",
        gate,
        x -> flag(x.isDraining()),
        "gate",
        name);
    return g;
  }
}
