package dev.riprap.http;

import dev.riprap.Policy;
import dev.riprap.PolicyObserver;
import dev.riprap.RejectedException;
import dev.riprap.ShutdownGate;
import dev.riprap.TimeSource;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.event.EventStream;
import dev.riprap.internal.Check;
import dev.riprap.internal.EngineAccess;
import dev.riprap.RetrySettings;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;

/**
 * What a {@link ResilientHttpClient} runs requests with: the delegate, the routes and their
 * policies, the per-host core policies (each made with the HTTP outcome hooks, {@link
 * HttpOutcomes}), the client-wide concurrency limit, the drain gate, the response store (cache
 * and stale-if-error) and the fallback, and the logical services: each an {@link EndpointGroup} of URIs, whose endpoints
 * have policies of their own ({@link #newEndpointPolicy}). Immutable after construction (a
 * service's endpoints change inside its group); thread-safe.
 */
final class HttpEngine {
  final HttpClient delegate;
  final HttpPolicy defaultPolicy;
  final List<Route> routes;
  final HttpClassifier classifier;
  final TimeSource time;
  final EventStream events = new EventStream();
  final ShutdownGate gate;
  final Bulkhead bulkhead;
  final HostPolicies hosts;
  /** The response store: the cache, or the stale-if-error copies alone; null when neither. */
  final HttpCache cache;
  final HttpFallback fallback;
  final Executor asyncExecutor;
  final long drainBytes;
  final HttpOutcomes outcomes;
  /** The services by lower-cased name; fixed at build, their endpoints replaceable. */
  final Map<String, EndpointGroup<URI>> services;
  /** The endpoints' policies: each endpoint's breaker and limiter, per route policy. */
  final HostPolicies endpointHosts;
  /** Policies derived from the routes' by {@link HttpApi} methods, one per derivation. */
  private final ConcurrentHashMap<Object, HttpPolicy> derived = new ConcurrentHashMap<>();

  HttpEngine(HttpClient delegate, HttpPolicy defaultPolicy, List<Route> routes,
      HttpClassifier classifier, TimeSource time, int concurrencyLimit, int maxHosts,
      Duration hostIdleTimeout, CacheSettings cacheSettings, StaleIfError staleIfError,
      HttpFallback fallback,
      List<PolicyObserver> observers, long drainBytes,
      Map<String, EndpointGroup.Builder<URI>> services) {
    this.delegate = delegate;
    this.defaultPolicy = defaultPolicy;
    this.routes = List.copyOf(routes);
    this.classifier = classifier;
    this.time = time;
    this.gate = new ShutdownGate(time);
    this.bulkhead = Bulkhead.of("riprap-http", BulkheadConfig.custom()
        .maxConcurrentCalls(concurrencyLimit)
        .maxWaitDuration(Duration.ZERO)
        .build());
    this.hosts = new HostPolicies(
        maxHosts, hostIdleTimeout.toNanos(), time, this::newHostPolicy, observers);
    this.cache = cacheSettings == null && staleIfError == null
        ? null : new HttpCache(cacheSettings, staleIfError, time, delegate);
    this.fallback = fallback;
    this.asyncExecutor = delegate.executor().orElse(ForkJoinPool.commonPool());
    this.drainBytes = drainBytes;
    this.outcomes = new HttpOutcomes(classifier, time, drainBytes);
    this.endpointHosts = new HostPolicies(
        maxHosts, hostIdleTimeout.toNanos(), time, this::newEndpointPolicy, observers);
    Map<String, EndpointGroup<URI>> groups = new LinkedHashMap<>();
    services.forEach((name, b) -> groups.put(name, b
        // What an attempt's outcome does to its endpoint is the classifier's verdict, as for a
        // breaker; a rejection by the endpoint's own breaker or limiter sent nothing.
        .failureOn(t -> !(t instanceof RejectedException) && outcomes.countsForBreaker(t))
        .failureOnResult(HttpEngine::transientFailure)
        .timeSource(time)
        .parentEvents(events)
        .build()));
    this.services = Collections.unmodifiableMap(groups);
  }

  private static boolean transientFailure(Object result) {
    return result instanceof AttemptResponse && ((AttemptResponse) result).transientFailure;
  }

  /** Replaces a service's endpoints, checked as at build ({@code updateEndpoints}). */
  void updateEndpoints(String service, List<URI> endpoints) {
    String name = Objects.requireNonNull(service, "service").toLowerCase(Locale.ROOT);
    EndpointGroup<URI> group = services.get(name);
    Check.requireArgument(group != null, "service", "one of " + services.keySet(),
        "'" + service + "'");
    List<URI> list = Services.endpoints(name, endpoints);
    Map<String, List<URI>> all = new LinkedHashMap<>();
    services.forEach((n, g) -> all.put(n, g.endpoints()));
    Services.disjoint(name, list, all);
    group.update(list);
  }

  /**
   * The service a request URI names, or null when its host is no service's name.
   *
   * @throws IllegalArgumentException if the URI names a service with a port
   */
  EndpointGroup<URI> service(URI uri) {
    String host = uri.getHost();
    EndpointGroup<URI> group = host == null ? null : services.get(host.toLowerCase(Locale.ROOT));
    if (group != null && uri.getPort() != -1) {
      throw new IllegalArgumentException("request URI " + Redact.uri(uri) + " names the service '"
          + group.name() + "' with a port; a service's endpoints have the ports");
    }
    return group;
  }

  /** The first matching route's policy, else the default. */
  HttpPolicy policyFor(String method, URI uri) {
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    for (Route r : routes) {
      if (r.matches(method, path)) {
        return r.policy;
      }
    }
    return defaultPolicy;
  }

  /**
   * The policy made by {@code make} for {@code derivation} (a value naming the route policy and
   * what changes), made once per client: {@link HttpApi} clients of one interface share it, and
   * with it its per-host breakers and budgets.
   */
  HttpPolicy derived(Object derivation, Supplier<HttpPolicy> make) {
    return derived.computeIfAbsent(derivation, d -> make.get());
  }

  /** The longest total timeout of the client's policies: how long {@code close()} drains. */
  Duration longestTotalTimeout() {
    Duration longest = defaultPolicy.totalTimeout();
    for (Route r : routes) {
      if (r.policy.totalTimeout().compareTo(longest) > 0) {
        longest = r.policy.totalTimeout();
      }
    }
    return longest;
  }

  static String authority(URI uri) {
    return Redact.authority(uri);
  }

  static Responses.Info info(HttpResponse<?> r) {
    return new Responses.Info(r.statusCode(), r.headers(), r.version());
  }

  /**
   * A host's core policy made from {@code p}: its breaker, limiter and retry budget are the
   * host's; the concurrency limit, events and gate the client's. What outcomes mean (failures,
   * retries, waits, discarded bodies) is the hooks' ({@link HttpOutcomes}), not predicates in the
   * resilience4j configs.
   */
  Policy newHostPolicy(HttpPolicy p, String authority) {
    Policy.Builder b = base(p, authority)
        .shutdownGate(gate)
        .bulkhead(bulkhead)
        .totalTimeout(p.totalTimeout());
    if (p.maxRetries() > 0) {
      // The attempts only: which outcomes are retried and after what wait is the hooks' call.
      b.retry(RetrySettings.builder(p.maxRetries() + 1).build()).retryBudget(p.newBudget(time));
    }
    if (services.containsKey(authority)) {
      // A service's policy runs the call's loop; its endpoints' policies have the breakers, and
      // an attempt one of them refused is retried on another endpoint.
      return b.retryWhenCircuitOpen(true).build();
    }
    return guarded(b, p, p.name() + "@" + authority, true);
  }

  /**
   * An endpoint's policy made from {@code p}, which each attempt to it runs in, inside its
   * service's policy: the endpoint's breaker and limiter, nothing else (one attempt, no timeout,
   * no concurrency limit or gate, which the service's policy holds). It does not wait for a probe
   * when the breaker is open: the attempt fails at once and is retried on another endpoint.
   */
  Policy newEndpointPolicy(HttpPolicy p, String authority) {
    return guarded(base(p, authority), p, p.name() + "@" + authority, false);
  }

  private Policy.Builder base(HttpPolicy p, String authority) {
    Policy.Builder b =
        Policy.builder(p.name() + "@" + authority)
            .tag("host", authority)
            .tag("policy", p.name())
            .timeSource(time)
            .parentEvents(events)
            .asyncExecutor(asyncExecutor);
    EngineAccess.hooks(b, outcomes);
    return b;
  }

  /** {@code b} with {@code p}'s breaker and rate limiter, built. */
  private Policy guarded(Policy.Builder b, HttpPolicy p, String name, boolean probeWait) {
    if (p.hasCircuitBreaker()) {
      b.circuitBreaker(CircuitBreaker.of(name, breakerConfig(p)));
      if (probeWait && !p.probeWait().isZero()) {
        b.awaitProbe(p.probeWait());
      }
    }
    p.rateLimiter().ifPresent(config -> b.rateLimiter(RateLimiter.of(name, config)));
    return b.build();
  }

  private CircuitBreakerConfig breakerConfig(HttpPolicy p) {
    CircuitBreakerConfig.Builder b = CircuitBreakerConfig.custom()
        .failureRateThreshold(p.failureRateThreshold());
    if (p.breakerWindowCalls() > 0) {
      b.slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
          .slidingWindowSize(p.breakerWindowCalls());
    } else {
      b.slidingWindowType(CircuitBreakerConfig.SlidingWindowType.TIME_BASED)
          .slidingWindowSize((int) p.breakerWindow().orElseThrow().toSeconds());
    }
    return b
        .minimumNumberOfCalls(p.minimumCalls())
        .waitDurationInOpenState(p.breakDuration())
        .permittedNumberOfCallsInHalfOpenState(p.halfOpenCalls())
        .clock(time.clock())
        .build();
  }
}
