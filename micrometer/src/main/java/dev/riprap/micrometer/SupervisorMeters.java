package dev.riprap.micrometer;

import static dev.riprap.micrometer.RiprapMetrics.SUPERVISOR_CRASHES;
import static dev.riprap.micrometer.RiprapMetrics.SUPERVISOR_GAVE_UP;
import static dev.riprap.micrometer.RiprapMetrics.SUPERVISOR_RESTARTS;

import dev.riprap.event.Subscription;
import dev.riprap.lifecycle.Supervisor;
import dev.riprap.lifecycle.SupervisorEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A supervisor's meters: restart, crash and give-up counters from its events, workers by state. */
final class SupervisorMeters {
  private SupervisorMeters() {}

  /** See {@link RiprapMetrics#bind(Supervisor)}. */
  static MeterBinding bind(MeterRegistry registry, Supervisor supervisor) {
    StateGauges workers = StateGauges.supervisor(registry, supervisor);
    Set<Meter.Id> ids = ConcurrentHashMap.newKeySet();
    Subscription sub =
        supervisor.subscribe(
            e -> {
              Tags tags = Tags.of("supervisor", e.supervisor(), "worker", e.worker());
              String name =
                  switch (e.kind()) {
                    case CRASHED -> SUPERVISOR_RESTARTS;
                    case GAVE_UP -> SUPERVISOR_GAVE_UP;
                    default -> null;
                  };
              if (e.kind() == SupervisorEvent.Kind.CRASHED
                  || e.kind() == SupervisorEvent.Kind.GAVE_UP && e.cause() != null) {
                Counter crashes =
                    Counter.builder(SUPERVISOR_CRASHES)
                        .description("Supervised worker crashes")
                        .tags(tags)
                        .register(registry);
                ids.add(crashes.getId());
                crashes.increment();
              }
              if (name != null) {
                Counter c =
                    Counter.builder(name)
                        .description(
                            name.equals(SUPERVISOR_RESTARTS)
                                ? "Supervised worker restarts scheduled"
                                : "Supervised workers given up on")
                        .tags(tags)
                        .register(registry);
                ids.add(c.getId());
                c.increment();
              }
            });
    return () -> {
      sub.close();
      ids.forEach(registry::remove);
      workers.remove();
    };
  }
}
