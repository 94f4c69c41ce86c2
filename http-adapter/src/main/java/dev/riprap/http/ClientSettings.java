package dev.riprap.http;

import dev.riprap.PolicyObserver;
import dev.riprap.TimeSource;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.internal.Check;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The settings of a {@link ResilientHttpClient.Builder} and their documented setters, each checked
 * when set. Package-private: users see these methods on {@link ResilientHttpClient.Builder}, which
 * adds {@link ResilientHttpClient.Builder#build()}. Not thread-safe.
 */
abstract class ClientSettings {
  HttpClient delegate;
  HttpPolicy policy = HttpPolicy.standard();
  final List<Route> routes = new ArrayList<>();
  HttpClassifier classifier = HttpClassifier.standard();
  int concurrencyLimit = 1000;
  int maxHosts = 1000;
  Duration hostIdleTimeout = Duration.ofMinutes(10);
  StaleIfError staleIfError;
  CacheSettings cache;
  HttpFallback fallback;
  TimeSource timeSource = TimeSource.system();
  final List<PolicyObserver> observers = new ArrayList<>();
  long maxDrainBytes = ResilientHttpClient.DEFAULT_DRAIN_BYTES;
  /** The logical services by lower-cased name, each its group's builder (checked endpoints). */
  final Map<String, EndpointGroup.Builder<URI>> services = new LinkedHashMap<>();
  /** The endpoints of each service, as checked. */
  private final Map<String, List<URI>> serviceEndpoints = new LinkedHashMap<>();

  ClientSettings() {}

  /**
   * How long a transient failure's body may be to be read into memory during its attempt, so that
   * its connection can carry the retry and its bytes are kept for the caller should it be final; a
   * longer body, or one whose length the response does not declare (chunked, or until the
   * connection closes), is held unread, and if retried its connection is given up. Default 8
   * KiB: an error body is usually a few hundred bytes, and reading 8 KiB on a local network
   * costs less than a new connection (a TCP and often a TLS handshake), while a 256 MiB body
   * would cost far more.
   *
   * @param bytes 0 (never drain) to 1 MiB
   * @return this builder
   * @throws IllegalArgumentException if out of range
   */
  public ResilientHttpClient.Builder maxDrainBytes(int bytes) {
    this.maxDrainBytes = Check.inRange(bytes, 0, 1 << 20, "maxDrainBytes");
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * The client that sends the requests. Default: {@code HttpClient.newHttpClient()}, made at
   * {@link ResilientHttpClient.Builder#build()}.
   *
   * @param delegate the client to wrap
   * @return this builder
   * @throws IllegalArgumentException if {@code delegate} is itself a {@code ResilientHttpClient}
   *     (the pipelines would nest)
   */
  public ResilientHttpClient.Builder delegate(HttpClient delegate) {
    Objects.requireNonNull(delegate, "delegate");
    if (delegate instanceof ResilientHttpClient) {
      throw new IllegalArgumentException(
          "delegate must not be a ResilientHttpClient (the pipelines would nest), was "
              + delegate);
    }
    this.delegate = delegate;
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * The policy for requests no route matches. Default {@link HttpPolicy#standard()}.
   *
   * @param policy the default policy
   * @return this builder
   */
  public ResilientHttpClient.Builder policy(HttpPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * A route: requests with this method whose path matches {@code pathPattern} get {@code policy}.
   * Routes are tried in the order added; the first match wins. In the pattern {@code *} matches
   * within one path segment and {@code **} matches anything; the rest is literal ({@code
   * "/payments/**"}, {@code "/items/*}{@code /stock"}). Default: no routes.
   *
   * @param method an upper-case method such as {@code "POST"}, or {@code "*"} for any
   * @param pathPattern the raw path pattern, starting with {@code /}
   * @param policy the policy for matching requests
   * @return this builder
   * @throws IllegalArgumentException if the method or the pattern is malformed
   */
  public ResilientHttpClient.Builder route(String method, String pathPattern, HttpPolicy policy) {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(pathPattern, "pathPattern");
    Objects.requireNonNull(policy, "policy");
    routes.add(new Route(Route.checkMethod(method), pathPattern, policy));
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * Which outcomes are transient failures. Default {@link HttpClassifier#standard()}.
   *
   * @param classifier the classifier
   * @return this builder
   */
  public ResilientHttpClient.Builder classifier(HttpClassifier classifier) {
    this.classifier = Objects.requireNonNull(classifier, "classifier");
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * The most requests in flight across all hosts; one more is rejected at once with {@link
   * dev.riprap.RejectionReason#BULKHEAD_FULL}. Default 1000 (Microsoft's standard handler).
   *
   * @param limit at least 1
   * @return this builder
   * @throws IllegalArgumentException if below 1
   */
  public ResilientHttpClient.Builder concurrencyLimit(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("concurrencyLimit must be >= 1, was " + limit);
    }
    this.concurrencyLimit = limit;
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * The most per-host policies kept (one per host and route policy in use); the least recently
   * used is dropped beyond it. Default 1000.
   *
   * @param maxHosts at least 1
   * @return this builder
   * @throws IllegalArgumentException if below 1
   */
  public ResilientHttpClient.Builder maxHosts(int maxHosts) {
    if (maxHosts < 1) {
      throw new IllegalArgumentException("maxHosts must be >= 1, was " + maxHosts);
    }
    this.maxHosts = maxHosts;
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * How long a per-host policy may go unused before it is dropped. Default 10 minutes.
   *
   * @param idle positive; above 36,500 days taken as 36,500 days (never dropped, in practice)
   * @return this builder
   * @throws IllegalArgumentException if not positive
   */
  public ResilientHttpClient.Builder hostIdleTimeout(Duration idle) {
    this.hostIdleTimeout = Check.capped(Check.positive(idle, "hostIdleTimeout"));
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * Turns on the HTTP cache with {@link CacheSettings#of(long)}: an in-memory RFC 9111 shared
   * cache of at most {@code maxBytes}. Same as {@code cache(CacheSettings.of(maxBytes))}.
   *
   * @param maxBytes the most bytes kept in all (bodies and header fields), at least 1
   * @return this builder
   * @throws IllegalArgumentException if {@code maxBytes} is below 1
   * @see #cache(CacheSettings)
   */
  public ResilientHttpClient.Builder cache(long maxBytes) {
    return cache(CacheSettings.of(maxBytes));
  }

  /**
   * Turns on the HTTP cache: GET responses kept as RFC 9111 allows and served while fresh
   * without a request upstream (and without a permit, a breaker record or retry budget: a fresh
   * hit is served while the host's breaker is open); stale ones validated with a conditional
   * request (an attempt like any other), served at once within their {@code
   * stale-while-revalidate} (one background refresh) or instead of a failure within their {@code
   * stale-if-error}; concurrent misses for one URI send one request upstream and the others wait
   * for it, each within its own timeout. docs/caching.md has every rule. Default: off, since a
   * cache serves what the origin said earlier and the caller must choose that. With {@link
   * #staleIfError} as well, the one store also serves stale copies on failures as those settings
   * say.
   *
   * @param settings the cache's settings
   * @return this builder
   * @throws NullPointerException if {@code settings} is null
   */
  public ResilientHttpClient.Builder cache(CacheSettings settings) {
    this.cache = Objects.requireNonNull(settings, "settings");
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * Turns on the stale-if-error cache. Default: off, since serving old data is a change of meaning
   * the caller must choose. Its copies live in the client's one response store: alone, they are
   * served only when the upstream fails; with {@link #cache(CacheSettings)} the cache's bounds
   * apply and {@link StaleIfError#maxAge()} lets any copy that may be served stale be served on a
   * failure.
   *
   * @param settings the cache bounds, for example {@link StaleIfError#defaults()}
   * @return this builder
   */
  public ResilientHttpClient.Builder staleIfError(StaleIfError settings) {
    this.staleIfError = Objects.requireNonNull(settings, "settings");
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * Tells {@code observer} of every per-host policy the client creates and evicts (and, on
   * {@link ResilientHttpClient#close()}, of every one still held), so that per-host meters
   * ({@code RiprapMetrics}) and health entries ({@code HealthMonitor}) come and go with the
   * hosts and their number stays within {@link #maxHosts}. May be called several times; the
   * observers are told in order, on the thread that created or evicted the policy. Default:
   * none.
   *
   * @param observer the observer
   * @return this builder
   * @throws NullPointerException if {@code observer} is null
   */
  public ResilientHttpClient.Builder observer(PolicyObserver observer) {
    observers.add(Objects.requireNonNull(observer, "observer"));
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * The fallback for calls that end in an exception, consulted after the stale-if-error cache.
   * Default: none.
   *
   * @param fallback the fallback
   * @return this builder
   */
  public ResilientHttpClient.Builder fallback(HttpFallback fallback) {
    this.fallback = Objects.requireNonNull(fallback, "fallback");
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * The time source for timeouts, backoff waits, breakers, budgets, cache ages and event times.
   * Default {@link TimeSource#system()}. Request timeouts are the JDK's and use real time.
   *
   * @param timeSource the time source
   * @return this builder
   */
  public ResilientHttpClient.Builder timeSource(TimeSource timeSource) {
    this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
    return (ResilientHttpClient.Builder) this;
  }

  /**
   * A logical service: a request to {@code http://<service>/path?query} (or {@code https}) goes,
   * per attempt, to one of {@code endpoints}, with the endpoint's scheme, host and port and the
   * request's path and query, as {@code lb://service} does in Spring Cloud. The endpoints form an
   * {@link EndpointGroup} with its defaults (power of two choices over least outstanding attempts,
   * ejection after 5 consecutive failures, see {@code docs/endpoints.md}): each attempt goes to an
   * endpoint the request has not tried yet when one is in rotation, and an attempt's outcome as
   * the {@link #classifier classifier} judges it (a transport failure or a 5xx is a failure, a 4xx
   * is not) feeds the endpoint's ejection. Each endpoint has its own breaker and rate limiter from
   * the request's policy, as a host does; the service has the request's retries, retry budget and
   * total timeout. May be called for several services; the set can be replaced later with {@link
   * ResilientHttpClient#updateEndpoints}. Default: no services.
   *
   * @param service the service's name, a host name (RFC 1123 labels; matched without regard to
   *     case) that is no endpoint's host; requests name it without a port
   * @param endpoints at least one, no two equal: absolute {@code http} or {@code https} URIs with a
   *     host and optional port, no userinfo, path (a lone {@code /} is allowed), query or fragment
   * @return this builder
   * @throws IllegalArgumentException if the name or an endpoint is malformed, the list is empty or
   *     has two equal endpoints, an endpoint's host is a service's name, or the service's name is
   *     another service's endpoint host
   * @throws IllegalStateException if the service was given already
   * @throws NullPointerException if an argument is null
   */
  public ResilientHttpClient.Builder endpoints(String service, List<URI> endpoints) {
    return endpoints(service, endpoints, group -> {});
  }

  /**
   * {@link #endpoints(String, List)} with the endpoint group's settings: {@code settings} gets the
   * group's builder to set its balancer and ejection settings ({@link EndpointGroup.Builder}).
   * The client sets the group's {@code failureOn}, {@code failureOnResult} (the classifier's
   * verdict), {@code timeSource} (the client's) and {@code parentEvents} (the client's {@link
   * ResilientHttpClient#events() events}) itself, over whatever {@code settings} set.
   *
   * @param service the service's name, as for {@link #endpoints(String, List)}
   * @param endpoints the endpoints, as for {@link #endpoints(String, List)}
   * @param settings sets the group's settings; called once, now
   * @return this builder
   * @throws IllegalArgumentException as for {@link #endpoints(String, List)}, or as a setter of
   *     the group's builder throws it
   * @throws IllegalStateException if the service was given already
   * @throws NullPointerException if an argument is null
   */
  public ResilientHttpClient.Builder endpoints(String service, List<URI> endpoints,
      Consumer<EndpointGroup.Builder<URI>> settings) {
    String name = Services.name(service);
    Objects.requireNonNull(settings, "settings");
    Check.requireState(!services.containsKey(name), "service '%s' was given already, with %s",
        name, serviceEndpoints.get(name));
    List<URI> list = Services.endpoints(name, endpoints);
    Services.disjoint(name, list, serviceEndpoints);
    EndpointGroup.Builder<URI> group = EndpointGroup.builder(name, list);
    settings.accept(group);
    services.put(name, group);
    serviceEndpoints.put(name, list);
    return (ResilientHttpClient.Builder) this;
  }
}
