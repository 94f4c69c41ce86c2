package dev.riprap.micrometer;

import dev.riprap.Policy;
import dev.riprap.PolicyObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The {@value #REQUESTS} timer for an HTTP client, one sample per request (per attempt, if the
 * client reports attempts), tagged {@code method}, {@code status}, {@code outcome} and {@code
 * host}, never with the raw path (paths carry ids: unbounded cardinality).
 *
 * <p>The name is Riprap's own on purpose: Spring's and other frameworks' {@code
 * http.client.requests} has other tag keys ({@code uri}, {@code exception}, {@code client.name},
 * ...), and Prometheus refuses a second set of tag keys under one name, so sharing the name would
 * drop one library's meters. The timer publishes a histogram with the fixed buckets of {@link
 * #BUCKETS} (Prometheus {@code _bucket} series with {@code le}), so latency percentiles can be
 * computed across instances with {@code histogram_quantile}, at a bounded cost of 13 bucket series
 * per timer.
 *
 * <ul>
 *   <li>{@code method}: the standard methods as they are; anything else {@code OTHER}.
 *   <li>{@code status}: the status code, or {@code IO_ERROR} when the exchange failed with an
 *       {@link IOException}, or {@code CLIENT_ERROR} for any other exception.
 *   <li>{@code outcome}: {@code INFORMATIONAL}, {@code SUCCESS}, {@code REDIRECTION}, {@code
 *       CLIENT_ERROR}, {@code SERVER_ERROR} by status class; {@code UNKNOWN} otherwise.
 *   <li>{@code host}: the request URI's authority ({@code host:port}).
 * </ul>
 *
 * <p>It takes plain values, so an HTTP client reports to it through a small callback without
 * depending on Micrometer. As a {@link PolicyObserver} it removes a host's meters when the client
 * evicts the host's instances (a policy tagged {@code host}), which keeps cardinality bounded by the
 * client's own bound on hosts. Thread-safe.
 */
public final class HttpClientMetrics implements PolicyObserver {
  /**
   * The meter name, {@code riprap.http.client.requests} (Prometheus: {@code
   * riprap_http_client_requests_seconds}); it was {@code http.client.requests} before 0.2.
   */
  public static final String REQUESTS = "riprap.http.client.requests";

  /**
   * The histogram buckets of the timer: 5, 10, 25, 50, 100, 250 and 500 ms, 1, 2.5, 5, 10 and 30 s
   * (and {@code +Inf}). They span a fast in-cluster call to a slow call near common total timeouts.
   */
  public static final List<Duration> BUCKETS =
      Stream.of(5L, 10L, 25L, 50L, 100L, 250L, 500L, 1_000L, 2_500L, 5_000L, 10_000L, 30_000L)
          .map(Duration::ofMillis)
          .toList();

  private static final Duration[] SLOS = BUCKETS.toArray(Duration[]::new);

  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "CONNECT");

  private final MeterRegistry registry;
  private final Map<String, Map<String, Timer>> byHost = new ConcurrentHashMap<>();

  /**
   * Metrics that register their timers in {@code registry}.
   *
   * @param registry the meter registry
   */
  public HttpClientMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /**
   * Records an exchange that got a response.
   *
   * @param method the request method
   * @param status the response status code
   * @param host the request URI's authority
   * @param duration how long the exchange took
   */
  public void record(String method, int status, String host, Duration duration) {
    timer(method, Integer.toString(status), outcome(status), host)
        .record(duration.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Records an exchange that failed without a response.
   *
   * @param method the request method
   * @param error what it failed with
   * @param host the request URI's authority
   * @param duration how long it took until it failed
   */
  public void recordFailure(String method, Throwable error, String host, Duration duration) {
    String status = error instanceof IOException ? "IO_ERROR" : "CLIENT_ERROR";
    timer(method, status, "UNKNOWN", host).record(duration.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Removes every timer of {@code host}.
   *
   * @param host the authority
   * @return how many timers were removed
   */
  public int removeHost(String host) {
    Map<String, Timer> timers = byHost.remove(host);
    if (timers == null) {
      return 0;
    }
    timers.values().forEach(registry::remove);
    return timers.size();
  }

  /** Nothing to do: timers appear with the first request to a host. */
  @Override
  public void onAdded(Policy policy) {}

  /** Removes the host's timers when the evicted policy is tagged {@code host}. */
  @Override
  public void onRemoved(Policy policy) {
    String host = policy.tags().get("host");
    if (host != null) {
      removeHost(host);
    }
  }

  private Timer timer(String method, String status, String outcome, String host) {
    Objects.requireNonNull(host, "host");
    String m = method == null ? "OTHER" : method.toUpperCase(Locale.ROOT);
    String tagMethod = METHODS.contains(m) ? m : "OTHER";
    return byHost
        .computeIfAbsent(host, h -> new ConcurrentHashMap<>())
        .computeIfAbsent(
            tagMethod + ' ' + status,
            k ->
                Timer.builder(REQUESTS)
                    .description("HTTP client exchanges")
                    .serviceLevelObjectives(SLOS)
                    .tags(
                        "method", tagMethod, "status", status, "outcome", outcome, "host", host)
                    .register(registry));
  }

  static String outcome(int status) {
    if (status >= 100 && status < 200) {
      return "INFORMATIONAL";
    } else if (status >= 200 && status < 300) {
      return "SUCCESS";
    } else if (status >= 300 && status < 400) {
      return "REDIRECTION";
    } else if (status >= 400 && status < 500) {
      return "CLIENT_ERROR";
    } else if (status >= 500 && status < 600) {
      return "SERVER_ERROR";
    }
    return "UNKNOWN";
  }
}
