package dev.riprap.micrometer;

import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.EndpointStatus;
import dev.riprap.event.EndpointEjected;
import dev.riprap.event.EndpointsUpdated;
import dev.riprap.event.PolicyEvent;
import dev.riprap.event.Subscription;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * The meters of one endpoint group, tagged {@code group} (the group's name) and, per endpoint,
 * {@code endpoint} (its name, fixed when it joined: as many values as endpoints). The gauges and
 * the health-check counters read {@link EndpointGroup#status()} when the registry is scraped; the
 * ejection counter counts {@link EndpointEjected} events. Meters follow the set: an {@link
 * EndpointsUpdated} event adds the newcomers' and removes the leavers', so a group whose endpoints
 * come and go (service discovery) leaves no meter behind. Thread-safe; the set of meters is
 * guarded by this object's monitor.
 */
final class EndpointGroupMeters implements MeterBinding {
  private final MeterRegistry registry;
  private final EndpointGroup<?> group;
  private final Map<String, List<Meter.Id>> byEndpoint = new LinkedHashMap<>();
  private final Map<String, Counter> ejections = new LinkedHashMap<>();
  private final Meter.Id panic;
  private Subscription subscription;
  private boolean closed;

  private EndpointGroupMeters(MeterRegistry registry, EndpointGroup<?> group) {
    this.registry = registry;
    this.group = group;
    this.panic = Gauge.builder(RiprapMetrics.ENDPOINT_GROUP_PANIC, group, g -> g.panic() ? 1 : 0)
        .description("1 while the endpoint group is in panic mode")
        .tags("group", group.name())
        .strongReference(true)
        .register(registry)
        .getId();
  }

  /** Binds {@code group}: listens first, then makes the meters of the endpoints there now. */
  static EndpointGroupMeters bind(MeterRegistry registry, EndpointGroup<?> group) {
    EndpointGroupMeters m = new EndpointGroupMeters(registry, group);
    m.subscription = group.events().subscribe(m::onEvent);
    m.sync();
    return m;
  }

  private void onEvent(PolicyEvent event) {
    if (event instanceof EndpointEjected e) {
      Counter c;
      synchronized (this) {
        c = ejections.get(e.endpoint());
      }
      if (c == null) {
        sync();
        synchronized (this) {
          c = ejections.get(e.endpoint());
        }
      }
      if (c != null) {
        c.increment();
      }
    } else if (event instanceof EndpointsUpdated) {
      sync();
    }
  }

  /** Makes the meters of endpoints that have none and removes those of endpoints gone. */
  private synchronized void sync() {
    if (closed) {
      return;
    }
    Set<String> now = new HashSet<>();
    for (EndpointStatus<?> s : group.status()) {
      now.add(s.name());
      if (!byEndpoint.containsKey(s.name())) {
        register(s.name());
      }
    }
    for (String name : new ArrayList<>(byEndpoint.keySet())) {
      if (!now.contains(name)) {
        byEndpoint.remove(name).forEach(registry::remove);
        ejections.remove(name);
      }
    }
  }

  private void register(String name) {
    List<Meter.Id> ids = new ArrayList<>();
    ids.add(gauge(RiprapMetrics.ENDPOINT_OUTSTANDING, "Attempts in flight on the endpoint", name,
        EndpointStatus::outstanding));
    ids.add(gauge(RiprapMetrics.ENDPOINT_EJECTED, "1 while outlier detection has the endpoint out",
        name, s -> s.ejected() ? 1 : 0));
    ids.add(gauge(RiprapMetrics.ENDPOINT_HEALTHY,
        "1 while the active health check has the endpoint in rotation (1 without a check)", name,
        s -> s.healthy() ? 1 : 0));
    ids.add(checks(name, "passed", EndpointStatus::passedChecks));
    ids.add(checks(name, "failed", EndpointStatus::failedChecks));
    Counter c = Counter.builder(RiprapMetrics.ENDPOINT_EJECTIONS)
        .description("Ejections of the endpoint by outlier detection")
        .tags("group", group.name(), "endpoint", name)
        .register(registry);
    ids.add(c.getId());
    ejections.put(name, c);
    byEndpoint.put(name, ids);
  }

  private Meter.Id gauge(String meter, String help, String name,
      ToDoubleFunction<EndpointStatus<?>> value) {
    return Gauge.builder(meter, group, g -> read(g, name, value))
        .description(help)
        .tags("group", group.name(), "endpoint", name)
        .strongReference(true)
        .register(registry)
        .getId();
  }

  private Meter.Id checks(String name, String result, ToDoubleFunction<EndpointStatus<?>> value) {
    return FunctionCounter.builder(RiprapMetrics.ENDPOINT_HEALTH_CHECKS, group,
            g -> read(g, name, value))
        .description("Active health checks of the endpoint, by result")
        .tags("group", group.name(), "endpoint", name, "result", result)
        .register(registry)
        .getId();
  }

  /** The endpoint's value now; NaN once it left (its meters are being removed). */
  private static double read(EndpointGroup<?> group, String name,
      ToDoubleFunction<EndpointStatus<?>> value) {
    for (EndpointStatus<?> s : group.status()) {
      if (s.name().equals(name)) {
        return value.applyAsDouble(s);
      }
    }
    return Double.NaN;
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      byEndpoint.values().forEach(ids -> ids.forEach(registry::remove));
      byEndpoint.clear();
      ejections.clear();
      registry.remove(panic);
    }
    subscription.close();
  }
}
