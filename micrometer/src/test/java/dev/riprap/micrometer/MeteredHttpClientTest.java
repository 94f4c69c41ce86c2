package dev.riprap.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MeteredHttpClientTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final HttpClient client =
      new MeteredHttpClient(HttpClient.newHttpClient(), new HttpClientMetrics(registry));
  private HttpServer server;
  private String host;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/ok", ex -> {
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    server.createContext("/busy", ex -> {
      ex.sendResponseHeaders(503, -1);
      ex.close();
    });
    server.start();
    host = "127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private HttpRequest get(String hostAndPort, String path) {
    return HttpRequest.newBuilder(URI.create("http://" + hostAndPort + path))
        .timeout(Duration.ofSeconds(10))
        .build();
  }

  private long count(String status, String outcome, String h) {
    return registry.get(HttpClientMetrics.REQUESTS)
        .tags("method", "GET", "status", status, "outcome", outcome, "host", h)
        .timer().count();
  }

  @Test
  void everyRequestIsRecordedOnceSyncAndAsync() throws Exception {
    client.send(get(host, "/ok/items/1"), HttpResponse.BodyHandlers.discarding());
    client.sendAsync(get(host, "/ok/items/2"), HttpResponse.BodyHandlers.discarding())
        .get(10, TimeUnit.SECONDS);
    client.send(get(host, "/busy"), HttpResponse.BodyHandlers.discarding());
    client.sendAsync(get(host, "/busy"), HttpResponse.BodyHandlers.discarding())
        .get(10, TimeUnit.SECONDS);

    assertThat(count("200", "SUCCESS", host)).isEqualTo(2);
    assertThat(count("503", "SERVER_ERROR", host)).isEqualTo(2);
    assertThat(registry.find(HttpClientMetrics.REQUESTS).meters()).hasSize(2); // no path in any tag
  }

  @Test
  void theHostTagNeverCarriesTheUserinfoOfTheUri() throws Exception {
    client.send(get("alice:s3cret@" + host, "/ok"), HttpResponse.BodyHandlers.discarding());
    client.sendAsync(get("alice:s3cret@" + host, "/ok"), HttpResponse.BodyHandlers.discarding())
        .get(10, TimeUnit.SECONDS);

    assertThat(count("200", "SUCCESS", host)).isEqualTo(2);
    assertThat(registry.find(HttpClientMetrics.REQUESTS).meters()).singleElement();
    assertThat(registry.getMeters())
        .allSatisfy(m -> assertThat(m.getId().toString()).doesNotContain("s3cret", "alice"));
  }

  @Test
  void cancellingTheReturnedFutureCancelsTheDelegates() {
    java.util.concurrent.CompletableFuture<HttpResponse<Void>> pending =
        new java.util.concurrent.CompletableFuture<>();
    HttpClient metered =
        new MeteredHttpClient(new PendingClient(pending), new HttpClientMetrics(registry));

    metered.sendAsync(get(host, "/ok"), HttpResponse.BodyHandlers.discarding()).cancel(true);

    assertThat(pending).isCancelled();
  }

  @Test
  void aRequestThatGetsNoResponseIsAnIoError() throws Exception {
    server.stop(0); // nothing listens on the port any more: connection refused
    assertThatThrownBy(() -> client.send(get(host, "/ok"), HttpResponse.BodyHandlers.discarding()))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(
            () ->
                client.sendAsync(get(host, "/ok"), HttpResponse.BodyHandlers.discarding())
                    .get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(IOException.class);
    assertThat(count("IO_ERROR", "UNKNOWN", host)).isEqualTo(2);
  }

  /** A client whose sendAsync returns a given future, to see what happens to it. */
  private static final class PendingClient extends HttpClient {
    private final java.util.concurrent.CompletableFuture<HttpResponse<Void>> pending;

    PendingClient(java.util.concurrent.CompletableFuture<HttpResponse<Void>> pending) {
      this.pending = pending;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> java.util.concurrent.CompletableFuture<HttpResponse<T>> sendAsync(
        HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      return (java.util.concurrent.CompletableFuture<HttpResponse<T>>) (Object) pending;
    }

    @Override
    public <T> java.util.concurrent.CompletableFuture<HttpResponse<T>> sendAsync(
        HttpRequest request,
        HttpResponse.BodyHandler<T> handler,
        HttpResponse.PushPromiseHandler<T> push) {
      return sendAsync(request, handler);
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      throw new UnsupportedOperationException("not used");
    }

    @Override
    public java.util.Optional<java.net.CookieHandler> cookieHandler() {
      return java.util.Optional.empty();
    }

    @Override
    public java.util.Optional<Duration> connectTimeout() {
      return java.util.Optional.empty();
    }

    @Override
    public Redirect followRedirects() {
      return Redirect.NEVER;
    }

    @Override
    public java.util.Optional<java.net.ProxySelector> proxy() {
      return java.util.Optional.empty();
    }

    @Override
    public javax.net.ssl.SSLContext sslContext() {
      return null;
    }

    @Override
    public javax.net.ssl.SSLParameters sslParameters() {
      return null;
    }

    @Override
    public java.util.Optional<java.net.Authenticator> authenticator() {
      return java.util.Optional.empty();
    }

    @Override
    public Version version() {
      return Version.HTTP_1_1;
    }

    @Override
    public java.util.Optional<java.util.concurrent.Executor> executor() {
      return java.util.Optional.empty();
    }
  }
}
