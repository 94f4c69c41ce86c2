package dev.riprap.micrometer;

import dev.riprap.TimeSource;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * An {@link HttpClient} that records every request it sends in {@link HttpClientMetrics} ({@code
 * riprap.http.client.requests}, tagged method, status, outcome and host) and otherwise delegates. Wrap
 * any client, a {@code ResilientHttpClient} included, so an HTTP client gets its conventional
 * meters without depending on Micrometer:
 *
 * <pre>{@code
 * HttpClientMetrics httpMetrics = new HttpClientMetrics(meterRegistry);
 * HttpClient client = new MeteredHttpClient(ResilientHttpClient.standard(), httpMetrics);
 * }</pre>
 *
 * <p>One sample per request as the caller sees it: around a resilient client, its retries are
 * inside the sample (they show in {@code riprap.retries}). A request that fails without a response
 * is recorded with status {@code IO_ERROR} (an {@link IOException}, rejections of a resilient
 * client included) or {@code CLIENT_ERROR}; an interrupted {@link #send} is not recorded. The host
 * tag is the request URI's host and port (its userinfo dropped), lower-cased. Thread-safe if the delegate is.
 */
public final class MeteredHttpClient extends HttpClient {
  private final HttpClient delegate;
  private final HttpClientMetrics metrics;
  private final TimeSource time;

  /**
   * Wraps {@code delegate}, timing requests on the system clock.
   *
   * @param delegate the client that sends the requests
   * @param metrics where they are recorded
   */
  public MeteredHttpClient(HttpClient delegate, HttpClientMetrics metrics) {
    this(delegate, metrics, TimeSource.system());
  }

  /**
   * Wraps {@code delegate}, timing requests on {@code timeSource}.
   *
   * @param delegate the client that sends the requests
   * @param metrics where they are recorded
   * @param timeSource measures each request
   */
  public MeteredHttpClient(HttpClient delegate, HttpClientMetrics metrics, TimeSource timeSource) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.time = Objects.requireNonNull(timeSource, "timeSource");
  }

  /**
   * The wrapped client.
   *
   * @return the delegate
   */
  public HttpClient delegate() {
    return delegate;
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    long start = time.nanoTime();
    try {
      HttpResponse<T> response = delegate.send(request, handler);
      metrics.record(request.method(), response.statusCode(), host(request), since(start));
      return response;
    } catch (IOException | RuntimeException e) {
      metrics.recordFailure(request.method(), e, host(request), since(start));
      throw e;
    }
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    return observe(request, delegate.sendAsync(request, handler));
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request,
      HttpResponse.BodyHandler<T> handler,
      HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
    return observe(request, delegate.sendAsync(request, handler, pushPromiseHandler));
  }

  private <T> CompletableFuture<HttpResponse<T>> observe(
      HttpRequest request, CompletableFuture<HttpResponse<T>> future) {
    long start = time.nanoTime();
    // The caller's future completes after the sample is recorded; cancelling it cancels the
    // delegate's.
    CompletableFuture<HttpResponse<T>> out = new CompletableFuture<>();
    future.whenComplete(
        (response, error) -> {
          if (response != null) {
            metrics.record(request.method(), response.statusCode(), host(request), since(start));
            out.complete(response);
          } else {
            Throwable cause =
                error instanceof CompletionException && error.getCause() != null
                    ? error.getCause()
                    : error;
            metrics.recordFailure(request.method(), cause, host(request), since(start));
            out.completeExceptionally(cause);
          }
        });
    out.whenComplete(
        (response, error) -> {
          if (out.isCancelled()) {
            future.cancel(true);
          }
        });
    return out;
  }

  private Duration since(long start) {
    return Duration.ofNanos(time.nanoTime() - start);
  }

  private static String host(HttpRequest request) {
    String authority = request.uri().getAuthority();
    if (authority == null) {
      return RiprapMetrics.NONE;
    }
    // The userinfo (user:secret@) may be a credential: a tag carries the host and port only.
    return authority.substring(authority.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
  }

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return delegate.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return delegate.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return delegate.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return delegate.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return delegate.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return delegate.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return delegate.authenticator();
  }

  @Override
  public Version version() {
    return delegate.version();
  }

  @Override
  public Optional<Executor> executor() {
    return delegate.executor();
  }

  @Override
  public WebSocket.Builder newWebSocketBuilder() {
    return delegate.newWebSocketBuilder();
  }

  @Override
  public String toString() {
    return "MeteredHttpClient{" + delegate + '}';
  }
}
