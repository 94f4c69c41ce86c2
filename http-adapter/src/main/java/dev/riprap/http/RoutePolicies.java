package dev.riprap.http;

import dev.riprap.annotation.Retry;
import dev.riprap.annotation.Timeout;
import dev.riprap.internal.Check;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The policies one {@link HttpApi} method's requests run under, derived at creation from each
 * route policy of its {@link ResilientHttpClient} that the method's HTTP verb can reach: so that
 * the client's HTTP retry decision ({@code Retry-After}, the retry budget, idempotency, request
 * bodies) is the one retry layer of the call. Immutable; thread-safe.
 */
final class RoutePolicies implements UnaryOperator<HttpPolicy> {
  /** Jitter of an annotation's backoff: {@link Retry} documents +/-50%. */
  private static final double ANNOTATION_JITTER = 0.5;

  /** One derivation, the key of the client's cache: the route policy (by identity) and changes. */
  private record Derivation(
      HttpPolicy route, String name, int maxRetries, Duration delay, Duration maxDelay,
      Duration attemptTimeout, Duration totalTimeout) {}

  private final Map<HttpPolicy, HttpPolicy> byRoute;

  private RoutePolicies(Map<HttpPolicy, HttpPolicy> byRoute) {
    this.byRoute = byRoute;
  }

  /**
   * Each reachable route policy with the retries of {@code retry} ({@code maxRetries =
   * maxAttempts - 1}, backoff from {@code delay} to {@code maxDelay} with +/-50% jitter) and the
   * timeouts of {@code timeout} (its value the attempt timeout, its total the total timeout),
   * named {@code <route>.<Interface.method>}. The annotations' values were checked by the proxy.
   *
   * @throws IllegalArgumentException if {@code retry} lists {@code retryOn} or {@code abortOn}
   *     types, or asks for more than 11 attempts
   * @throws IllegalStateException if a derived policy's settings contradict each other (an
   *     attempt timeout over a route's total timeout)
   */
  static RoutePolicies fromAnnotations(
      String where, String method, String verb, HttpEngine engine, Retry retry, Timeout timeout) {
    if (retry.retryOn().length > 0 || retry.abortOn().length > 0) {
      throw new IllegalArgumentException(where + ": @Retry " + (retry.retryOn().length > 0
          ? "retryOn" : "abortOn") + " cannot apply to an HttpApi method over a"
          + " ResilientHttpClient: its requests are retried by the client, whose HttpClassifier"
          + " decides which failures are transient; remove it, or set the client's classifier");
    }
    // The client retries at most 10 times (HttpPolicy.Builder.maxRetries).
    int attempts = Check.inRange(retry.maxAttempts(), 1, 11, where + ": @Retry maxAttempts");
    Duration delay = Check.positiveDuration(where + ": @Retry delay", retry.delay());
    Duration maxDelay = Check.positiveDuration(where + ": @Retry maxDelay", retry.maxDelay());
    Duration attempt = timeout == null || timeout.value().isEmpty()
        ? null : Check.positiveDuration(where + ": @Timeout value", timeout.value());
    Duration total = timeout == null || timeout.total().isEmpty()
        ? null : Check.positiveDuration(where + ": @Timeout total", timeout.total());
    Map<HttpPolicy, HttpPolicy> byRoute = new IdentityHashMap<>();
    for (HttpPolicy route : reachable(engine, verb)) {
      Derivation d = new Derivation(route, route.name() + "." + method, attempts - 1, delay,
          maxDelay, attempt, total);
      byRoute.put(route, engine.derived(d, () -> build(where, d)));
    }
    return new RoutePolicies(byRoute);
  }

  /**
   * Each reachable route policy without retries, named {@code <route>.<Interface.method>}: for a
   * method whose {@code @Policy} registry policy retries, the one retry layer around the client.
   */
  static RoutePolicies withoutRetries(String method, String verb, HttpEngine engine) {
    Map<HttpPolicy, HttpPolicy> byRoute = new IdentityHashMap<>();
    for (HttpPolicy route : reachable(engine, verb)) {
      Derivation d = new Derivation(route, route.name() + "." + method, 0, null, null, null, null);
      byRoute.put(route, engine.derived(d, () -> build(null, d)));
    }
    return new RoutePolicies(byRoute);
  }

  /** The default policy and those of the routes whose method is {@code verb} or {@code *}. */
  private static Iterable<HttpPolicy> reachable(HttpEngine engine, String verb) {
    Map<HttpPolicy, Boolean> found = new IdentityHashMap<>();
    for (Route r : engine.routes) {
      if (r.method.equals("*") || r.method.equals(verb)) {
        found.put(r.policy, true);
      }
    }
    found.put(engine.defaultPolicy, true);
    return found.keySet();
  }

  private static HttpPolicy build(String where, Derivation d) {
    Duration total = d.totalTimeout != null ? d.totalTimeout : d.route.totalTimeout();
    Check.requireState(d.attemptTimeout == null || d.attemptTimeout.compareTo(total) <= 0,
        "%s: @Timeout value (%s) must not exceed the total timeout (%s) of the client's policy"
            + " '%s'; set @Timeout total as well", where, d.attemptTimeout, total, d.route.name());
    HttpPolicy.Builder b = d.route.toBuilder(d.name).maxRetries(d.maxRetries);
    if (d.delay != null) {
      b.backoff(d.delay, d.maxDelay).jitter(ANNOTATION_JITTER);
    }
    if (d.attemptTimeout != null) {
      b.attemptTimeout(d.attemptTimeout);
    }
    if (d.totalTimeout != null) {
      b.totalTimeout(d.totalTimeout);
    }
    try {
      return b.build();
    } catch (IllegalStateException e) {
      throw new IllegalStateException(where + ": the client's policy '" + d.route.name()
          + "' with this method's @Retry and @Timeout: " + e.getMessage(), e);
    }
  }

  /** The policy of a request whose route's policy is {@code route}. */
  @Override
  public HttpPolicy apply(HttpPolicy route) {
    HttpPolicy p = byRoute.get(route);
    if (p == null) {
      // Every route policy the verb can reach was derived at creation; the routes never change.
      throw new IllegalStateException("no policy derived from route policy '" + route.name() + "'");
    }
    return p;
  }
}
