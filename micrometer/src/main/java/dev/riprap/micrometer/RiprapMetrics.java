package dev.riprap.micrometer;

import dev.riprap.Policy;
import dev.riprap.PolicyObserver;
import dev.riprap.PolicyRegistry;
import dev.riprap.RejectionReason;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.EventStream;
import dev.riprap.event.LimiterModeChanged;
import dev.riprap.event.PolicyEvent;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import dev.riprap.event.Subscription;
import dev.riprap.lifecycle.Supervisor;
import dev.riprap.lifecycle.SupervisorEvent;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetricsPublisher;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetricsPublisher;
import io.github.resilience4j.micrometer.tagged.TaggedRateLimiterMetricsPublisher;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Binds Riprap policies and supervisors to a Micrometer {@link MeterRegistry}.
 *
 * <ul>
 *   <li>The primitives' own meters ({@code resilience4j.circuitbreaker.*}, {@code
 *       resilience4j.ratelimiter.*}, {@code resilience4j.bulkhead.*}) come from
 *       resilience4j-micrometer's tagged publishers, tagged {@code name} with the primitive's name.
 *   <li>Riprap's own meters are built from the policy's events: the call timer {@code riprap.calls}
 *       (tags {@code policy}, {@code host}, {@code outcome}, {@code reason}) from {@code
 *       CallCompleted}, {@code riprap.retries} from {@code RetryScheduled}, and {@code
 *       riprap.retries.abandoned} (tag {@code reason}) from {@code RetryAbandoned}.
 *   <li>A supervisor's events give {@code riprap.supervisor.restarts}, {@code
 *       riprap.supervisor.crashes} and {@code riprap.supervisor.gave.up} (tags {@code supervisor},
 *       {@code worker}).
 * </ul>
 *
 * <p>Every meter has the same tag keys whatever the policy, as Prometheus requires: {@code policy}
 * is the policy's {@code policy} tag if it has one (an HTTP client's per-host policy {@code
 * api@host:443} is tagged with its template's name {@code api}), else its name; {@code host} is the
 * policy's {@code host} tag or {@code "none"}; {@code reason} is the rejection reason or {@code
 * "none"}. Values are lower-case ({@code timed_out}, {@code circuit_open}).
 *
 * <pre>{@code
 * RiprapMetrics metrics = new RiprapMetrics(meterRegistry);
 * MeterBinding binding = metrics.bind(policy);   // close() removes its meters again
 * metrics.bind(policyRegistry);                  // every policy of a registry, later ones too
 * metrics.bindEvents(httpClient.events());       // calls and retries of every per-host policy
 * }</pre>
 *
 * <p>Tag cardinality is bounded by what is bound: {@link MeterBinding#close()} (or {@link
 * #onRemoved(Policy)}, when a registry or HTTP client evicts a per-host instance) removes the
 * policy's meters, and the primitives' meters once no bound policy shares the primitive. Binding
 * the same policy twice returns the existing binding. Thread-safe.
 */
public final class RiprapMetrics implements PolicyObserver {
  /** The call timer, by policy, host, outcome and rejection reason. */
  public static final String CALLS = "riprap.calls";
  /** Retries scheduled, by policy and host. */
  public static final String RETRIES = "riprap.retries";
  /** Retries abandoned, by policy, host and reason. */
  public static final String RETRIES_ABANDONED = "riprap.retries.abandoned";
  /**
   * Who decides an external limiter's permits (riprap-bucket4j's fleet-wide limiter), by policy,
   * host and mode: 1 for the mode in force, 0 for the others; registered at the policy's first
   * {@link LimiterModeChanged}.
   */
  public static final String LIMITER_MODE = "riprap.limiter.mode";
  /** Changes of an external limiter's mode, by policy, host and the mode entered. */
  public static final String LIMITER_MODE_CHANGES = "riprap.limiter.mode.changes";
  /** Supervised worker restarts, by supervisor and worker. */
  public static final String SUPERVISOR_RESTARTS = "riprap.supervisor.restarts";
  /** Supervised worker crashes (restarted or not), by supervisor and worker. */
  public static final String SUPERVISOR_CRASHES = "riprap.supervisor.crashes";
  /** Workers a supervisor gave up on, by supervisor and worker. */
  public static final String SUPERVISOR_GAVE_UP = "riprap.supervisor.gave.up";

  /** The tag value used when a tag does not apply. */
  public static final String NONE = "none";

  private final MeterRegistry registry;
  private final TaggedCircuitBreakerMetricsPublisher breakers;
  private final TaggedRateLimiterMetricsPublisher limiters;
  private final TaggedBulkheadMetricsPublisher bulkheads;
  private final Map<Policy, PolicyBinding> bindings = new IdentityHashMap<>();
  private final Map<Object, Integer> primitiveUsers = new IdentityHashMap<>();
  private final List<StreamBinding> streams = new ArrayList<>();

  /**
   * Metrics that register their meters in {@code registry}.
   *
   * @param registry the meter registry
   */
  public RiprapMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.breakers = new TaggedCircuitBreakerMetricsPublisher(registry);
    this.limiters = new TaggedRateLimiterMetricsPublisher(registry);
    this.bulkheads = new TaggedBulkheadMetricsPublisher(registry);
  }

  /**
   * Binds a policy: publishes its breaker, limiter and bulkhead meters and records its calls and
   * retries from its events.
   *
   * @param policy the policy
   * @return the binding; closing it removes the policy's meters
   */
  public MeterBinding bind(Policy policy) {
    Objects.requireNonNull(policy, "policy");
    synchronized (this) {
      PolicyBinding existing = bindings.get(policy);
      if (existing != null) {
        return existing;
      }
      PolicyBinding b = new PolicyBinding(policy);
      bindings.put(policy, b);
      acquirePrimitives(policy);
      b.subscription = policy.events().subscribe(b::onEvent);
      return b;
    }
  }

  /**
   * Binds a supervisor's events to the restart, crash and give-up counters.
   *
   * @param supervisor the supervisor
   * @return the binding; closing it stops counting and removes the supervisor's meters
   */
  public MeterBinding bind(Supervisor supervisor) {
    Objects.requireNonNull(supervisor, "supervisor");
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
    };
  }

  /** Binds the policy ({@link #bind(Policy)}); for registries and per-host HTTP instances. */
  @Override
  public void onAdded(Policy policy) {
    bind(policy);
  }

  /**
   * Removes the policy's meters: its own binding ({@link MeterBinding#close()}) if it was bound,
   * and its meters in every bound registry or stream.
   */
  @Override
  public void onRemoved(Policy policy) {
    PolicyBinding b;
    List<StreamBinding> streamBindings;
    synchronized (this) {
      b = bindings.get(policy);
      streamBindings = new ArrayList<>(streams);
    }
    if (b != null) {
      b.close();
    }
    for (StreamBinding s : streamBindings) {
      s.removed(policy);
    }
  }

  private void acquirePrimitives(Policy policy) {
    policy.circuitBreaker().ifPresent(cb -> acquire(cb, () -> breakers.publishMetrics(cb)));
    policy.rateLimiter().ifPresent(rl -> acquire(rl, () -> limiters.publishMetrics(rl)));
    policy.bulkhead().ifPresent(bh -> acquire(bh, () -> bulkheads.publishMetrics(bh)));
  }

  private void releasePrimitives(Policy policy) {
    policy.circuitBreaker().ifPresent(this::release);
    policy.rateLimiter().ifPresent(this::release);
    policy.bulkhead().ifPresent(this::release);
  }

  private void acquire(Object primitive, Runnable publish) {
    int users = primitiveUsers.merge(primitive, 1, Integer::sum);
    if (users == 1) {
      publish.run();
    }
  }

  private void release(Object primitive) {
    Integer users = primitiveUsers.get(primitive);
    if (users == null) {
      return;
    }
    if (users > 1) {
      primitiveUsers.put(primitive, users - 1);
      return;
    }
    primitiveUsers.remove(primitive);
    if (primitive instanceof CircuitBreaker cb) {
      breakers.removeMetrics(cb);
    } else if (primitive instanceof RateLimiter rl) {
      limiters.removeMetrics(rl);
    } else if (primitive instanceof Bulkhead bh) {
      bulkheads.removeMetrics(bh);
    }
  }

  static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  /**
   * Records the call timer and retry counters of every policy whose events reach {@code stream}: a
   * registry's or an HTTP client's stream, which receives the events of all their policies. Meters
   * are made on a policy's first event, tagged from the event ({@code policy} is the event's
   * {@code policy} tag if it has one, else the policy name; {@code host} its {@code host} tag).
   * Only events are seen here, not the primitives: bind a policy itself ({@link #bind(Policy)})
   * or a registry ({@link #bind(PolicyRegistry)}) for those. Do not also bind a policy whose events
   * reach this stream, or its calls are counted twice.
   *
   * @param stream the event stream
   * @return the binding; closing it stops recording and removes every meter it made
   */
  public MeterBinding bindEvents(EventStream stream) {
    return bindStream(Objects.requireNonNull(stream, "stream"), null);
  }

  /**
   * Binds a policy registry: its policies' primitives and, through the registry's event stream,
   * their calls and retries, including policies the registry builds later ({@code
   * policyOrDefault}), which are bound on their first event.
   *
   * @param policies the registry
   * @return the binding; closing it removes every meter it made
   */
  public MeterBinding bind(PolicyRegistry policies) {
    Objects.requireNonNull(policies, "policies");
    StreamBinding b = bindStream(policies.events(), policies::find);
    for (String name : policies.names()) {
      b.primitives(policies.policy(name));
    }
    return b;
  }

  private StreamBinding bindStream(EventStream stream, Function<String, Optional<Policy>> lookup) {
    StreamBinding b = new StreamBinding(lookup);
    synchronized (this) {
      streams.add(b);
    }
    b.subscription = stream.subscribe(b::onEvent);
    return b;
  }

  /** The meters of one policy name: made on first use, cached, removed together. */
  private final class Recorder {
    private final String policy;
    private final String host;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicReference<LimiterModeChanged.Mode> limiterMode =
        new java.util.concurrent.atomic.AtomicReference<>();
    private final List<Meter> gauges = new java.util.concurrent.CopyOnWriteArrayList<>();

    Recorder(String policyName, Map<String, String> tags) {
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
        counters
            .computeIfAbsent(
                RETRIES,
                k ->
                    Counter.builder(RETRIES)
                        .description("Retries scheduled by a Riprap policy")
                        .tags("policy", policy, "host", host)
                        .register(registry))
            .increment();
      } else if (event instanceof RetryAbandoned a) {
        String reason = lower(a.reason());
        counters
            .computeIfAbsent(
                RETRIES_ABANDONED + '/' + reason,
                k ->
                    Counter.builder(RETRIES_ABANDONED)
                        .description("Retryable outcomes that were not retried, by reason")
                        .tags("policy", policy, "host", host, "reason", reason)
                        .register(registry))
            .increment();
      } else if (event instanceof LimiterModeChanged m) {
        String mode = lower(m.mode());
        counters
            .computeIfAbsent(
                LIMITER_MODE_CHANGES + '/' + mode,
                k ->
                    Counter.builder(LIMITER_MODE_CHANGES)
                        .description("Changes of who decides an external limiter's permits")
                        .tags("policy", policy, "host", host, "mode", mode)
                        .register(registry))
            .increment();
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

    void remove() {
      timers.values().forEach(registry::remove);
      counters.values().forEach(registry::remove);
      gauges.forEach(registry::remove);
    }
  }

  /** One bound policy: its primitives and its own event stream. */
  private final class PolicyBinding implements MeterBinding {
    private final Policy policy;
    private final Recorder recorder;
    private volatile boolean closed;
    Subscription subscription;

    PolicyBinding(Policy policy) {
      this.policy = policy;
      this.recorder = new Recorder(policy.name(), policy.tags());
    }

    void onEvent(PolicyEvent event) {
      if (!closed) {
        recorder.onEvent(event);
      }
    }

    @Override
    public void close() {
      synchronized (RiprapMetrics.this) {
        if (closed) {
          return;
        }
        closed = true;
        bindings.remove(policy);
        subscription.close();
        releasePrimitives(policy);
      }
      recorder.remove();
    }
  }

  /** A registry's or client's stream: a recorder per policy name, primitives found by lookup. */
  private final class StreamBinding implements MeterBinding {
    private final Function<String, Optional<Policy>> lookup;
    private final Map<String, Recorder> recorders = new ConcurrentHashMap<>();
    private final Map<String, Policy> withPrimitives = new ConcurrentHashMap<>();
    private volatile boolean closed;
    Subscription subscription;

    StreamBinding(Function<String, Optional<Policy>> lookup) {
      this.lookup = lookup;
    }

    void primitives(Policy policy) {
      synchronized (RiprapMetrics.this) {
        if (!closed && withPrimitives.putIfAbsent(policy.name(), policy) == null) {
          acquirePrimitives(policy);
        }
      }
    }

    void onEvent(PolicyEvent event) {
      if (closed) {
        return;
      }
      Recorder r = recorders.get(event.policy());
      if (r == null) {
        r = recorders.computeIfAbsent(event.policy(), n -> new Recorder(n, event.tags()));
        if (lookup != null) {
          lookup.apply(event.policy()).ifPresent(this::primitives);
        }
      }
      r.onEvent(event);
    }

    /** The policy was evicted: drop its meters; a new instance of that name starts afresh. */
    void removed(Policy policy) {
      Recorder r = recorders.remove(policy.name());
      if (r != null) {
        r.remove();
      }
      synchronized (RiprapMetrics.this) {
        if (withPrimitives.remove(policy.name(), policy)) {
          releasePrimitives(policy);
        }
      }
    }

    @Override
    public void close() {
      synchronized (RiprapMetrics.this) {
        if (closed) {
          return;
        }
        closed = true;
        streams.remove(this);
        subscription.close();
        withPrimitives.values().forEach(RiprapMetrics.this::releasePrimitives);
        withPrimitives.clear();
      }
      recorders.values().forEach(Recorder::remove);
      recorders.clear();
    }
  }
}
