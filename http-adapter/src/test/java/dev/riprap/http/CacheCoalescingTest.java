package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.riprap.event.CacheEvent;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Concurrent misses for one URI send one request upstream; the others wait for it and get their
 * own copy; when it fails, they go upstream themselves. And hostile bodies: endless ones are not
 * buffered.
 */
@ExtendWith(LeakCheck.class)
class CacheCoalescingTest {
  private static final int HERD = 100;
  private Upstream upstream;
  private final CountDownLatch release = new CountDownLatch(1);
  private ExecutorService callers;

  @BeforeEach
  void start() throws Exception {
    upstream = new Upstream((n, e) -> new Upstream.Answer(200, "v" + n));
    callers = Executors.newFixedThreadPool(HERD);
  }

  @AfterEach
  void stop() throws InterruptedException {
    release.countDown();
    callers.shutdownNow();
    callers.awaitTermination(10, TimeUnit.SECONDS);
    upstream.close();
  }

  /** The first answer is {@code first}; later ones wait for {@link #release}, then {@code later}. */
  private void firstThenHeld(Upstream.Answer first, Upstream.Answer later) {
    upstream.script((n, e) -> {
      if (n == 1) {
        return first;
      }
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      return later;
    });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aHundredRequestsForOneExpiredUriCostOneRequestUpstream(Mode mode) throws Exception {
    Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 20));
    URI uri = upstream.uri("/hot");
    firstThenHeld(new Upstream.Answer(200, "old", "Cache-Control", "max-age=10"),
        new Upstream.Answer(200, "new", "Cache-Control", "max-age=60"));
    assertThat(h.client.send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofString()).body())
        .isEqualTo("old");
    h.fake.advance(Duration.ofSeconds(20));

    List<CompletableFuture<HttpResponse<String>>> herd = new ArrayList<>();
    List<Future<HttpResponse<String>>> blocking = new ArrayList<>();
    for (int i = 0; i < HERD; i++) {
      HttpRequest r = HttpRequest.newBuilder(uri).build();
      if (mode == Mode.ASYNC) {
        herd.add(h.client.sendAsync(r, BodyHandlers.ofString()));
      } else {
        blocking.add(callers.submit(() -> h.client.send(r, BodyHandlers.ofString())));
      }
    }
    Awaitility.await().atMost(Duration.ofSeconds(20))
        .until(() -> h.client.engine.cache.waiters(uri) == HERD - 1);
    release.countDown();
    List<String> bodies = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : herd) {
      bodies.add(f.get(20, TimeUnit.SECONDS).body());
    }
    for (Future<HttpResponse<String>> f : blocking) {
      bodies.add(f.get(20, TimeUnit.SECONDS).body());
    }
    assertThat(bodies).hasSize(HERD).containsOnly("new");
    assertThat(upstream.requests.get()).as("requests upstream").isEqualTo(2);
    assertThat(h.events(CacheEvent.class).stream()
        .filter(e -> e.outcome() == CacheEvent.Outcome.COALESCED).count())
        .isEqualTo(HERD - 1);
    assertThat(h.client.engine.cache.counted(CacheEvent.Outcome.COALESCED)).isEqualTo(HERD - 1);
  }

  @Test
  void whenTheRequestTheOthersWaitForFailsEachOfThemGoesUpstreamItself() throws Exception {
    Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 20));
    URI uri = upstream.uri("/flaky");
    upstream.script((n, e) -> {
      if (n == 1) {
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
        }
        return new Upstream.Answer(503, "down");
      }
      return new Upstream.Answer(200, "ok", "Cache-Control", "no-store");
    });
    Future<HttpResponse<String>> leader = callers.submit(
        () -> h.client.send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofString()));
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> upstream.requests.get() == 1);
    List<Future<HttpResponse<String>>> waiters = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      waiters.add(callers.submit(
          () -> h.client.send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofString())));
    }
    Awaitility.await().atMost(Duration.ofSeconds(20))
        .until(() -> h.client.engine.cache.waiters(uri) == 4);
    release.countDown();
    assertThat(leader.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
    for (Future<HttpResponse<String>> w : waiters) {
      assertThat(w.get(20, TimeUnit.SECONDS).body()).isEqualTo("ok");
    }
    assertThat(upstream.requests.get()).isEqualTo(5);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aWaiterWaitsNoLongerThanItsOwnRequestTimeout(Mode mode) throws Exception {
    Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 20));
    URI uri = upstream.uri("/slow");
    upstream.script((n, e) -> {
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      return new Upstream.Answer(200, "late", "Cache-Control", "max-age=60");
    });
    Future<HttpResponse<String>> leader = callers.submit(
        () -> h.client.send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofString()));
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> upstream.requests.get() == 1);
    HttpRequest impatient = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(200)).build();
    Throwable thrown = null;
    try {
      mode.send(h, impatient, BodyHandlers.ofString());
    } catch (Exception e) {
      thrown = e;
    }
    assertThat(thrown).isInstanceOf(HttpCallTimeoutException.class);
    assertThat(((HttpCallTimeoutException) thrown).timeout())
        .isEqualTo(HttpCallTimeoutException.Timeout.REQUEST);
    release.countDown();
    assertThat(leader.get(20, TimeUnit.SECONDS).body()).isEqualTo("late");
    assertThat(upstream.requests.get()).isEqualTo(1);
  }

  @Test
  void anEndlessBodyStreamsToTheCallerAndIsNeverBuffered() throws Exception {
    HttpServer endless = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    endless.createContext("/", exchange -> {
      exchange.getResponseHeaders().add("Cache-Control", "max-age=600");
      exchange.sendResponseHeaders(200, 0); // chunked, no length
      byte[] chunk = new byte[64 * 1024];
      try (OutputStream out = exchange.getResponseBody()) {
        for (int i = 0; i < 100_000; i++) {
          out.write(chunk); // until the client goes away (6 GiB at most)
        }
      } catch (java.io.IOException clientLeft) {
        // the caller closed its stream
      }
    });
    endless.start();
    try {
      Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 20));
      URI uri = URI.create("http://127.0.0.1:" + endless.getAddress().getPort() + "/stream");
      HttpResponse<InputStream> r =
          h.client.send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofInputStream());
      long read = 0;
      try (InputStream in = r.body()) {
        byte[] buf = new byte[64 * 1024];
        while (read < 8L * 1024 * 1024) {
          int n = in.read(buf);
          if (n < 0) {
            break;
          }
          read += n;
        }
      }
      assertThat(read).isGreaterThanOrEqualTo(8L * 1024 * 1024);
      assertThat(h.client.engine.cache.size()).isZero();
      assertThat(h.client.engine.cache.totalBytes()).isZero();
    } finally {
      endless.stop(0);
    }
  }
}
