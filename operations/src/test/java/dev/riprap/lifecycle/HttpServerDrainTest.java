package dev.riprap.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.riprap.DrainReport;
import dev.riprap.testing.FakeTimeSource;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpServerDrainTest {
  private static final int IN_FLIGHT = 4;
  /** A body big enough to need several writes, so a cut-off response would show. */
  private static final String BODY = "x".repeat(64 * 1024);

  private final CountDownLatch entered = new CountDownLatch(IN_FLIGHT);
  private final CountDownLatch firstEntered = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private ExecutorService handlers;
  private HttpServer server;
  private HttpClient client;
  private URI base;

  @BeforeEach
  void startServer() throws Exception {
    handlers = Executors.newFixedThreadPool(IN_FLIGHT + 2);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(handlers);
    server.createContext(
        "/health",
        ex -> {
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stopServer() throws Exception {
    release.countDown();
    server.stop(0);
    handlers.shutdownNow();
    assertThat(handlers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  private HttpServerDrain drainWithSlowContext(HttpServerDrain drain) {
    drain.createContext(
        "/slow",
        ex -> {
          entered.countDown();
          firstEntered.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    return drain;
  }

  private HttpRequest get(String path) {
    return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20)).build();
  }

  @Test
  void requestsInFlightWhenTheDrainStartsAllCompleteAndLateOnesGet503() throws Exception {
    HttpServerDrain drain = drainWithSlowContext(HttpServerDrain.of(server));
    List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
    for (int i = 0; i < IN_FLIGHT; i++) {
      inFlight.add(client.sendAsync(get("/slow"), HttpResponse.BodyHandlers.ofString()));
    }
    assertThat(entered.await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(drain.inFlight()).isEqualTo(IN_FLIGHT);

    drain.stopAccepting();
    CompletableFuture<DrainReport> stopped =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return drain.stop(Duration.ofSeconds(60));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });

    // Sync and async late requests alike are refused cleanly, with the connection closed.
    HttpResponse<String> late = client.send(get("/slow"), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> lateAsync =
        client.sendAsync(get("/slow"), HttpResponse.BodyHandlers.ofString()).get(20, TimeUnit.SECONDS);
    for (HttpResponse<String> r : List.of(late, lateAsync)) {
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.headers().firstValue("connection")).hasValue("close");
      assertThat(r.body()).isEqualTo("503 Service Unavailable: shutting down\n");
    }
    // Probes mounted without the filter still answer while draining.
    assertThat(client.send(get("/health"), HttpResponse.BodyHandlers.discarding()).statusCode())
        .isEqualTo(200);
    assertThat(stopped).isNotDone();

    release.countDown();
    DrainReport report = stopped.get(60, TimeUnit.SECONDS);

    for (CompletableFuture<HttpResponse<String>> f : inFlight) {
      HttpResponse<String> r = f.get(20, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo(BODY);
    }
    assertThat(report.inFlightAtStart()).isEqualTo(IN_FLIGHT);
    assertThat(report.completed()).isEqualTo(IN_FLIGHT);
    assertThat(report.stillRunning()).isZero();
    assertThat(report.took())
        .as("stop returned when the last exchange ended, not at its 60 s deadline")
        .isLessThan(Duration.ofSeconds(60));
    assertThat(drain.inFlight()).isZero();
  }

  @Test
  void drainReturnsAtOnceWhenIdle() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    HttpServerDrain drain = drainWithSlowContext(new HttpServerDrain(server, time));

    DrainReport report = drain.stop(Duration.ofSeconds(30));

    assertThat(report).isEqualTo(new DrainReport(0, 0, 0, 0, Duration.ZERO));
    assertThat(time.nanoTime()).as("no time passed waiting").isZero();
    assertThat(drain.isDraining()).isTrue();
  }

  @Test
  void drainThatRunsOutOfTimeReportsTheExchangesStillRunning() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    HttpServerDrain drain = drainWithSlowContext(new HttpServerDrain(server, time));
    CompletableFuture<HttpResponse<String>> slow =
        client.sendAsync(get("/slow"), HttpResponse.BodyHandlers.ofString());
    assertThat(firstEntered.await(20, TimeUnit.SECONDS)).isTrue();

    DrainReport report = drain.drain(Duration.ofSeconds(5)); // fake time: the deadline passes

    assertThat(report.inFlightAtStart()).isEqualTo(1);
    assertThat(report.stillRunning()).isEqualTo(1);
    assertThat(report.took()).isEqualTo(Duration.ofSeconds(5));
    release.countDown();
    assertThat(slow.get(20, TimeUnit.SECONDS).body()).isEqualTo(BODY);
  }
}
