package dev.riprap.micrometer;

import dev.riprap.PacedLimiter;
import dev.riprap.Policy;
import dev.riprap.PolicyObserver;
import dev.riprap.PolicyRegistry;
import dev.riprap.ShutdownGate;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.EventStream;
import dev.riprap.event.PolicyEvent;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import dev.riprap.event.Subscription;
import dev.riprap.health.HealthMonitor;
import dev.riprap.lifecycle.Supervisor;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetricsPublisher;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetricsPublisher;
import io.github.resilience4j.micrometer.tagged.TaggedRateLimiterMetricsPublisher;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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
 *   <li>A policy's paced limiter ({@code pacedRate}) has Riprap's gauges {@code
 *       riprap.paced.limiter.available.slots}, {@code .claimed.ahead} and {@code .max.wait} (tag
 *       {@code name}, the policy's name, like the resilience4j meters).
 *   <li>A supervisor's events give {@code riprap.supervisor.restarts}, {@code
 *       riprap.supervisor.crashes} and {@code riprap.supervisor.gave.up} (tags {@code supervisor},
 *       {@code worker}), and its workers the gauge {@code riprap.supervisor.workers} (tags {@code
 *       supervisor}, {@code state}).
 *   <li>A health monitor gives {@code riprap.health.status}, {@code .ready} and {@code .live}; a
 *       shutdown gate {@code riprap.drain.in.flight} and {@code riprap.drain.draining}.
 * </ul>
 *
 * <p>No name collides with another library's: every Riprap meter starts with {@code riprap.}, and
 * the {@code resilience4j.*} meters are resilience4j-micrometer's own, with its own tag keys, so they
 * are the same series a resilience4j Spring Boot application publishes for a primitive of that
 * name.
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
   * {@link dev.riprap.event.LimiterModeChanged}.
   */
  public static final String LIMITER_MODE = "riprap.limiter.mode";
  /** Changes of an external limiter's mode, by policy, host and the mode entered. */
  public static final String LIMITER_MODE_CHANGES = "riprap.limiter.mode.changes";
  /**
   * What the HTTP client's cache did, by policy, host and outcome (one of the seven {@link
   * dev.riprap.event.CacheEvent.Outcome}s, lower-case).
   */
  public static final String HTTP_CACHE = "riprap.http.cache";
  /** Supervised worker restarts, by supervisor and worker. */
  public static final String SUPERVISOR_RESTARTS = "riprap.supervisor.restarts";
  /** Supervised worker crashes (restarted or not), by supervisor and worker. */
  public static final String SUPERVISOR_CRASHES = "riprap.supervisor.crashes";
  /** Workers a supervisor gave up on, by supervisor and worker. */
  public static final String SUPERVISOR_GAVE_UP = "riprap.supervisor.gave.up";

  /** Supervised workers by supervisor and state (a gauge per state). */
  public static final String SUPERVISOR_WORKERS = "riprap.supervisor.workers";
  /** A paced limiter's free slots, by {@code name} (the policy's name). */
  public static final String LIMITER_AVAILABLE = "riprap.paced.limiter.available.slots";
  /** How far ahead a paced limiter's slots are claimed (a time gauge), by {@code name}. */
  public static final String LIMITER_CLAIMED_AHEAD = "riprap.paced.limiter.claimed.ahead";
  /** The wait a policy allows for a paced limiter's slot (a time gauge), by {@code name}. */
  public static final String LIMITER_MAX_WAIT = "riprap.paced.limiter.max.wait";
  /** The health status, by {@code status}: 1 for the current one, 0 for the others. */
  public static final String HEALTH_STATUS = "riprap.health.status";
  /** 1 while the service is ready for traffic, else 0. */
  public static final String HEALTH_READY = "riprap.health.ready";
  /** 1 while the service is live, else 0. */
  public static final String HEALTH_LIVE = "riprap.health.live";
  /** Calls in flight through a shutdown gate, by {@code gate}. */
  public static final String DRAIN_IN_FLIGHT = "riprap.drain.in.flight";
  /** 1 once a shutdown gate drains, by {@code gate}. */
  public static final String DRAIN_DRAINING = "riprap.drain.draining";

  /** The tag value used when a tag does not apply. */
  public static final String NONE = "none";

  private final MeterRegistry registry;
  private final TaggedCircuitBreakerMetricsPublisher breakers;
  private final TaggedRateLimiterMetricsPublisher limiters;
  private final TaggedBulkheadMetricsPublisher bulkheads;
  private final Map<Policy, PolicyBinding> bindings = new IdentityHashMap<>();
  private final Map<Object, Integer> primitiveUsers = new IdentityHashMap<>();
  private final Map<PacedLimiter, StateGauges> pacedGauges = new IdentityHashMap<>();
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
   * Binds a supervisor: its events to the restart, crash and give-up counters, and the gauge
   * {@value #SUPERVISOR_WORKERS} of its workers by state (tags {@code supervisor}, {@code state} =
   * {@code starting} | {@code running} | {@code backing_off} | {@code completed} | {@code gave_up}
   * | {@code stopped}; every state has its series, zero included).
   *
   * @param supervisor the supervisor
   * @return the binding; closing it stops counting and removes the supervisor's meters
   */
  public MeterBinding bind(Supervisor supervisor) {
    Objects.requireNonNull(supervisor, "supervisor");
    return SupervisorMeters.bind(registry, supervisor);
  }

  /**
   * Binds a health monitor: the gauges {@value #HEALTH_STATUS} (tag {@code status} = {@code up} |
   * {@code degraded} | {@code down} | {@code draining}, 1 for the current status and 0 for the
   * others), {@value #HEALTH_READY} and {@value #HEALTH_LIVE} (1 or 0). They are computed from
   * {@link HealthMonitor#report()} when the registry is read.
   *
   * @param health the monitor
   * @return the binding; closing it removes the gauges
   * @throws NullPointerException if {@code health} is null
   */
  public MeterBinding bind(HealthMonitor health) {
    StateGauges g = StateGauges.health(registry, Objects.requireNonNull(health, "health"));
    return g::remove;
  }

  /**
   * Binds a shutdown gate under a name: the gauges {@value #DRAIN_IN_FLIGHT} (its calls in flight)
   * and {@value #DRAIN_DRAINING} (1 once its drain started), tagged {@code gate} with the name. A
   * gate has no name of its own; use the one the gate's drain step has in the shutdown.
   *
   * @param name the gate's name, the value of the {@code gate} tag
   * @param gate the gate
   * @return the binding; closing it removes the gauges
   * @throws NullPointerException if an argument is null
   */
  public MeterBinding bind(String name, ShutdownGate gate) {
    Objects.requireNonNull(name, "name");
    StateGauges g = StateGauges.drain(registry, name, Objects.requireNonNull(gate, "gate"));
    return g::remove;
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
    policy
        .pacedLimiter()
        .ifPresent(
            pl ->
                acquire(
                    pl,
                    () -> pacedGauges.put(pl, StateGauges.pacedLimiter(registry, policy.name(), pl))));
  }

  private void releasePrimitives(Policy policy) {
    policy.circuitBreaker().ifPresent(this::release);
    policy.rateLimiter().ifPresent(this::release);
    policy.bulkhead().ifPresent(this::release);
    policy.pacedLimiter().ifPresent(this::release);
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
    } else if (primitive instanceof PacedLimiter pl) {
      pacedGauges.remove(pl).remove();
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

  /** One bound policy: its primitives and its own event stream. */
  private final class PolicyBinding implements MeterBinding {
    private final Policy policy;
    private final CallRecorder recorder;
    private volatile boolean closed;
    Subscription subscription;

    PolicyBinding(Policy policy) {
      this.policy = policy;
      this.recorder = new CallRecorder(registry, policy.name(), policy.tags());
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
    private final Map<String, CallRecorder> recorders = new ConcurrentHashMap<>();
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
      CallRecorder r = recorders.get(event.policy());
      if (r == null) {
        r = recorders.computeIfAbsent(event.policy(), n -> new CallRecorder(registry, n, event.tags()));
        if (lookup != null) {
          lookup.apply(event.policy()).ifPresent(this::primitives);
        }
      }
      r.onEvent(event);
    }

    /** The policy was evicted: drop its meters; a new instance of that name starts afresh. */
    void removed(Policy policy) {
      CallRecorder r = recorders.remove(policy.name());
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
      recorders.values().forEach(CallRecorder::remove);
      recorders.clear();
    }
  }
}
