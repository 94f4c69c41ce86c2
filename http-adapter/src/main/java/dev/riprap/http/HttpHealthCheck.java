package dev.riprap.http;

import dev.riprap.endpoint.HealthCheck;
import dev.riprap.endpoint.HealthCheckSettings;
import dev.riprap.internal.Check;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The HTTP health check of a service's endpoints ({@link ClientSettings#healthCheck(String,
 * String, HealthCheckSettings)}): {@code GET <endpoint><path>} on the client's own JDK {@code
 * HttpClient}, outside the service's policy (no retry, breaker, limiter or budget: the check is
 * the verdict, and a retried check would hide what it measures). A 2xx answer is healthy, any
 * other answer or a transport failure is not. The body is never read for the verdict: one that
 * declares at most the client's drain bound is read and dropped (so the connection can be used
 * again), a longer one or one of unknown length gives its connection up, as for a retried
 * response ({@link HeldBody}). Cancelling the stage (the check's timeout, the group's close)
 * cancels the exchange.
 */
final class HttpHealthCheck implements HealthCheck<URI> {
  /** A service's health path and settings, as given to the builder. */
  record Path(String path, HealthCheckSettings settings) {}

  private final HttpClient delegate;
  private final URI path;
  private final Duration timeout;
  private final long drainBytes;

  HttpHealthCheck(HttpClient delegate, Path path, long drainBytes) {
    this.delegate = delegate;
    this.path = URI.create(path.path());
    this.timeout = path.settings().timeout();
    this.drainBytes = drainBytes;
  }

  /**
   * {@code path} checked: an absolute path with an optional query, such as {@code /health} or
   * {@code /health?ready}; no scheme, host or fragment.
   */
  static String path(String service, String path) {
    Check.notNull(path, "path");
    String key = "service '" + service + "': health path";
    String expected = "an absolute path with an optional query, such as /health";
    URI uri;
    try {
      uri = new URI(path);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(Check.mustBe(key, expected, "'" + path + "'"), e);
    }
    boolean valid = uri.getScheme() == null && uri.getRawAuthority() == null
        && uri.getRawFragment() == null && uri.getRawPath() != null
        && uri.getRawPath().startsWith("/") && !uri.getRawPath().startsWith("//");
    Check.requireArgument(valid, key, expected, "'" + path + "'");
    return path;
  }

  @Override
  public CompletionStage<Boolean> check(URI endpoint) {
    HttpRequest request = HttpRequest.newBuilder(Services.target(endpoint, path))
        .GET()
        .timeout(timeout)
        .build();
    CompletableFuture<HttpResponse<HeldBody>> sent =
        delegate.sendAsync(request, info -> HeldBody.of(info, drainBytes));
    CompletableFuture<Boolean> verdict = sent.thenApply(response -> {
      response.body().drain(drainBytes);
      return response.statusCode() / 100 == 2;
    });
    // The group cancels the stage it got; the exchange goes with it.
    verdict.whenComplete((v, t) -> {
      if (verdict.isCancelled()) {
        sent.cancel(true);
      }
    });
    return verdict;
  }

  @Override
  public String toString() {
    return "GET " + path;
  }
}
