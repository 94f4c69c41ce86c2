package dev.riprap.benchmarks.faults;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A JDK {@link HttpClient} that records every request it sends (when, to which port, and how it
 * ended) and hands it to a real one. Every client of a scenario sends through one, so attempts are
 * counted the same way for all of them, a dead replica's included (a refused connection reaches no
 * server that could count it).
 */
final class CountingHttpClient extends HttpClient {
  /** A status for an attempt that ended with an exception. */
  static final int FAILED = -1;

  /**
   * One attempt.
   *
   * @param startNanos when it was handed to the JDK client ({@link System#nanoTime()})
   * @param port the port it went to
   * @param status the answer's status, or {@link #FAILED}
   */
  record Attempt(long startNanos, int port, int status) {}

  private final HttpClient http;
  private final ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();

  CountingHttpClient(HttpClient http) {
    this.http = http;
  }

  /**
   * The attempts ended so far, in the order they ended.
   *
   * @return a copy
   */
  List<Attempt> attempts() {
    return new ArrayList<>(attempts);
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    long start = System.nanoTime();
    int status = FAILED;
    try {
      HttpResponse<T> response = http.send(request, handler);
      status = response.statusCode();
      return response;
    } finally {
      attempts.add(new Attempt(start, request.uri().getPort(), status));
    }
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    return sendAsync(request, handler, null);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> handler,
      HttpResponse.PushPromiseHandler<T> push) {
    long start = System.nanoTime();
    CompletableFuture<HttpResponse<T>> sent = http.sendAsync(request, handler, push);
    sent.whenComplete((response, failure) -> attempts.add(new Attempt(start,
        request.uri().getPort(), response == null ? FAILED : response.statusCode())));
    // The JDK client's own future, so that cancelling it (a hedge's loser) aborts the exchange.
    return sent;
  }

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return http.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return http.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return http.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return http.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return http.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return http.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return http.authenticator();
  }

  @Override
  public Version version() {
    return http.version();
  }

  @Override
  public Optional<Executor> executor() {
    return http.executor();
  }
}
