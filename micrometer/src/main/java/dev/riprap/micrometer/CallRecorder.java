package dev.riprap.micrometer;

import static dev.riprap.micrometer.RiprapMetrics.CALLS;
import static dev.riprap.micrometer.RiprapMetrics.HTTP_CACHE;
import static dev.riprap.micrometer.RiprapMetrics.LIMITER_MODE;
import static dev.riprap.micrometer.RiprapMetrics.LIMITER_MODE_CHANGES;
import static dev.riprap.micrometer.RiprapMetrics.NONE;
import static dev.riprap.micrometer.RiprapMetrics.RETRIES;
import static dev.riprap.micrometer.RiprapMetrics.RETRIES_ABANDONED;
import static dev.riprap.micrometer.RiprapMetrics.lower;

import dev.riprap.RejectionReason;
import dev.riprap.event.CacheEvent;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.LimiterModeChanged;
import dev.riprap.event.PolicyEvent;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** The meters of one policy name: made on first use, cached, removed together. */
final class CallRecorder {
  private final MeterRegistry registry;
  private final String policy;
  private final String host;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final AtomicReference<LimiterModeChanged.Mode> limiterMode = new AtomicReference<>();
  private final List<Meter> gauges = new CopyOnWriteArrayList<>();

  CallRecorder(MeterRegistry registry, String policyName, Map<String, String> tags) {
    this.registry = registry;
    this.policy = tags.getOrDefault("policy", policyName);
    this.host = tags.getOrDefault("host", NONE);
  }

  void onEvent(PolicyEvent event) {
    if (event instanceof CallCompleted c) {
      RejectionReason r = c.rejection();
      String outcome = lower(c.outcome());
      String reason = r == null ? NONE : lower(r);
      timers
          .computeIfAbsent(
              outcome + '/' + reason,
              k ->
                  Timer.builder(CALLS)
                      .description("Calls through a Riprap policy, waits and retries included")
                      .tags("policy", policy, "host", host, "outcome", outcome, "reason", reason)
                      .register(registry))
          .record(c.duration().toNanos(), TimeUnit.NANOSECONDS);
    } else if (event instanceof RetryScheduled) {
      count(RETRIES, "Retries scheduled by a Riprap policy", null, null);
    } else if (event instanceof RetryAbandoned a) {
      count(RETRIES_ABANDONED, "Retryable outcomes that were not retried, by reason",
          "reason", lower(a.reason()));
    } else if (event instanceof CacheEvent c) {
      count(HTTP_CACHE, "What the HTTP client's cache did, by outcome", "outcome",
          lower(c.outcome()));
    } else if (event instanceof LimiterModeChanged m) {
      count(LIMITER_MODE_CHANGES, "Changes of who decides an external limiter's permits",
          "mode", lower(m.mode()));
      if (limiterMode.getAndSet(m.mode()) == null) {
        for (LimiterModeChanged.Mode each : LimiterModeChanged.Mode.values()) {
          gauges.add(
              Gauge.builder(LIMITER_MODE, limiterMode, r -> r.get() == each ? 1 : 0)
                  .description("1 for the mode deciding an external limiter's permits")
                  .tags("policy", policy, "host", host, "mode", lower(each))
                  .register(registry));
        }
      }
    }
  }

  /**
   * Increments the counter {@code name} of this policy and host, with one more tag {@code key} =
   * {@code value} when {@code key} is not null; made on first use.
   */
  private void count(String name, String description, String key, String value) {
    counters
        .computeIfAbsent(
            key == null ? name : name + '/' + value,
            k -> {
              Counter.Builder b =
                  Counter.builder(name).description(description).tags("policy", policy, "host", host);
              return (key == null ? b : b.tag(key, value)).register(registry);
            })
        .increment();
  }

  void remove() {
    timers.values().forEach(registry::remove);
    counters.values().forEach(registry::remove);
    gauges.forEach(registry::remove);
  }
}
