package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The cache as a hostile caller and a hostile upstream use it: leaders that give up or whose
 * handlers throw while others wait for them, bodies cut off or abandoned midway, herds on a stale
 * key, interrupted waiters. Against a real JDK HttpServer on 127.0.0.1, on fake time.
 */
@ExtendWith(LeakCheck.class)
class CacheAttackTest {
  private Upstream upstream;
  private final CountDownLatch release = new CountDownLatch(1);
  private final ExecutorService callers = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "caller");
    t.setDaemon(true);
    return t;
  });

  @BeforeEach
  void start() throws Exception {
    upstream = new Upstream((n, e) -> new Upstream.Answer(200, "v" + n));
  }

  @AfterEach
  void stop() throws InterruptedException {
    release.countDown();
    callers.shutdownNow();
    callers.awaitTermination(10, TimeUnit.SECONDS);
    upstream.close();
  }

  /** The first request waits for {@link #release}; every answer is "v<n>" with these headers. */
  private void firstHeld(String... headers) {
    upstream.script((n, e) -> {
      if (n == 1) {
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
        }
      }
      return new Upstream.Answer(200, "v" + n, headers);
    });
  }

  /** An async GET of {@code uri} that reached the upstream, held there, others to wait for it. */
  private CompletableFuture<HttpResponse<String>> heldLeader(Harness h, URI uri) {
    firstHeld("Cache-Control", "max-age=60");
    CompletableFuture<HttpResponse<String>> leader =
        h.client.sendAsync(get(uri), BodyHandlers.ofString());
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> upstream.requests.get() == 1);
    return leader;
  }

  private static HttpRequest get(URI uri) {
    return HttpRequest.newBuilder(uri).build();
  }

  private static <T> T within(Future<T> f) throws Exception {
    try {
      return f.get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
    }
  }

  @Test
  void cancellingTheRequestOthersWaitForLetsThemGoUpstreamAndTheNextOneIsAHit() throws Exception {
    Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 20));
    URI uri = upstream.uri("/cancelled-leader");
    CompletableFuture<HttpResponse<String>> leader = heldLeader(h, uri);
    List<Future<HttpResponse<String>>> waiters = new ArrayList<>();
    waiters.add(h.client.sendAsync(get(uri), BodyHandlers.ofString()));
    waiters.add(callers.submit(() -> h.client.send(get(uri), BodyHandlers.ofString())));
    Awaitility.await().atMost(Duration.ofSeconds(20))
        .until(() -> h.client.engine.cache.waiters(uri) == 2);

    leader.cancel(true);
    for (Future<HttpResponse<String>> w : waiters) {
      HttpResponse<String> r = within(w);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).startsWith("v");
    }
    int sent = upstream.requests.get();
    assertThat(h.client.send(get(uri), BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(upstream.requests.get()).as("the next request is a hit").isEqualTo(sent);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aLeaderWhoseBodyHandlerThrowsFailsWithItAndItsWaitersAreServed(Mode mode)
      throws Exception {
    Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 20));
    URI uri = upstream.uri("/throwing-leader");
    firstHeld("Cache-Control", "max-age=60");
    IllegalStateException boom = new IllegalStateException("the caller's handler broke");
    HttpResponse.BodyHandler<String> throwing = info -> {
      throw boom;
    };
    Future<HttpResponse<String>> leader = mode == Mode.ASYNC
        ? h.client.sendAsync(get(uri), throwing)
        : callers.submit(() -> h.client.send(get(uri), throwing));
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> upstream.requests.get() == 1);
    CompletableFuture<HttpResponse<String>> waiter =
        h.client.sendAsync(get(uri), BodyHandlers.ofString());
    Awaitility.await().atMost(Duration.ofSeconds(20))
        .until(() -> h.client.engine.cache.waiters(uri) == 1);
    release.countDown();

    Exception thrown = assertThrows(Exception.class, () -> within(leader));
    // sendAsync fails with the handler's exception; send, as the JDK client's, with an
    // IOException caused by it.
    assertThat(thrown == boom || thrown instanceof IOException && thrown.getCause() == boom)
        .as("the handler's exception, or an IOException caused by it: %s", thrown).isTrue();
    HttpResponse<String> served = within(waiter);
    assertThat(served.statusCode()).isEqualTo(200);
    assertThat(served.body()).isEqualTo("v2");
    assertThat(h.client.send(get(uri), BodyHandlers.ofString()).body()).isEqualTo("v2");
    assertThat(upstream.requests.get()).isEqualTo(2);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aBodyCutOffMidwayFailsTheCallAndIsNeverServedLater(Mode mode) throws Exception {
    String whole = "0123456789".repeat(10);
    String head = "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nContent-Length: "
        + whole.length() + "\r\nConnection: close\r\n\r\n";
    AtomicInteger n = new AtomicInteger();
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      Thread origin = new Thread(() -> {
        while (!server.isClosed()) {
          try (Socket s = server.accept()) {
            readHead(s.getInputStream());
            OutputStream out = s.getOutputStream();
            // The first answer breaks off after 10 of its 100 bytes: the connection closes.
            String answer = n.incrementAndGet() == 1 ? head + whole.substring(0, 10) : head + whole;
            out.write(answer.getBytes(StandardCharsets.US_ASCII));
            out.flush();
          } catch (IOException closed) {
            // the test is over, or the client went away
          }
        }
      }, "cut-origin");
      origin.setDaemon(true);
      origin.start();
      Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 20));
      URI uri = URI.create("http://127.0.0.1:" + server.getLocalPort() + "/cut");
      assertThrows(IOException.class, () -> mode.send(h, get(uri), BodyHandlers.ofString()));
      assertThat(h.client.engine.cache.size()).as("entries after a cut-off body").isZero();
      HttpResponse<String> r = mode.send(h, get(uri), BodyHandlers.ofString());
      assertThat(r.body()).isEqualTo(whole);
      assertThat(n.get()).isEqualTo(2);
      assertThat(mode.send(h, get(uri), BodyHandlers.ofString()).body()).isEqualTo(whole);
      assertThat(n.get()).isEqualTo(2);
    }
  }

  /** Reads a request's head, up to its empty line. */
  private static void readHead(InputStream in) throws IOException {
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the request ended early");
      }
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aCallerThatCancelsItsBodyPartwayLeavesNothingHalfStored(Mode mode) throws Exception {
    Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 22));
    URI uri = upstream.uri("/abandoned");
    String big = "y".repeat(300_000);
    upstream.script((k, e) -> new Upstream.Answer(200, big + k, "Cache-Control", "max-age=60"));
    HttpResponse.BodyHandler<Integer> firstChunkOnly = info -> new FirstChunk();
    HttpResponse<Integer> partial = mode.send(h, get(uri), firstChunkOnly);
    assertThat(partial.body()).isPositive().isLessThan(big.length());
    assertThat(h.client.engine.cache.size()).isZero();
    assertThat(mode.send(h, get(uri), BodyHandlers.ofString()).body()).isEqualTo(big + 2);
    assertThat(mode.send(h, get(uri), BodyHandlers.ofString()).body()).isEqualTo(big + 2);
    assertThat(upstream.requests.get()).isEqualTo(2);
  }

  /** Takes the first buffers it is given, cancels, and answers how many bytes it saw. */
  private static final class FirstChunk implements HttpResponse.BodySubscriber<Integer> {
    private final CompletableFuture<Integer> body = new CompletableFuture<>();
    private Flow.Subscription subscription;

    @Override
    public CompletionStage<Integer> getBody() {
      return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      int bytes = item.stream().mapToInt(ByteBuffer::remaining).sum();
      subscription.cancel();
      body.complete(bytes);
    }

    @Override
    public void onError(Throwable t) {
      body.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      body.complete(-1);
    }
  }

  @Test
  void anInterruptedWaiterThrowsKeepsItsFlagAndTheRequestItWaitedForCarriesOn() throws Exception {
    Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 20));
    URI uri = upstream.uri("/interrupted-waiter");
    CompletableFuture<HttpResponse<String>> leader = heldLeader(h, uri);
    AtomicBoolean flagKept = new AtomicBoolean();
    CompletableFuture<Throwable> caught = new CompletableFuture<>();
    Thread waiter = new Thread(() -> {
      try {
        h.client.send(get(uri), BodyHandlers.ofString());
        caught.complete(null);
      } catch (Throwable t) {
        flagKept.set(Thread.currentThread().isInterrupted());
        caught.complete(t);
      }
    }, "waiter");
    waiter.setDaemon(true);
    waiter.start();
    Awaitility.await().atMost(Duration.ofSeconds(20))
        .until(() -> h.client.engine.cache.waiters(uri) == 1);
    waiter.interrupt();
    assertThat(caught.get(20, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
    assertThat(flagKept).isTrue();
    release.countDown();
    assertThat(within(leader).body()).isEqualTo("v1");
    assertThat(h.client.send(get(uri), BodyHandlers.ofString()).body()).isEqualTo("v1");
    assertThat(upstream.requests.get()).isEqualTo(1);
  }

  @Test
  void twoHundredRequestsForOneStaleKeyAreServedStaleAndSendOneRefresh() throws Exception {
    Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 20));
    URI uri = upstream.uri("/herd-swr");
    CountDownLatch refreshHeld = new CountDownLatch(1);
    upstream.script((k, e) -> {
      if (k > 1) {
        try {
          refreshHeld.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
        }
      }
      return new Upstream.Answer(200, "v" + k,
          "Cache-Control", "max-age=10, stale-while-revalidate=600");
    });
    assertThat(h.client.send(get(uri), BodyHandlers.ofString()).body()).isEqualTo("v1");
    h.fake.advance(Duration.ofSeconds(30));
    List<Future<HttpResponse<String>>> herd = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      herd.add(i % 2 == 0 ? h.client.sendAsync(get(uri), BodyHandlers.ofString())
          : callers.submit(() -> h.client.send(get(uri), BodyHandlers.ofString())));
    }
    for (Future<HttpResponse<String>> f : herd) {
      HttpResponse<String> r = within(f);
      assertThat(r.body()).isEqualTo("v1");
      assertThat(r.headers().firstValue("Riprap-Stale")).contains("true");
    }
    refreshHeld.countDown();
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
        "v2".equals(h.client.send(get(uri), BodyHandlers.ofString()).body()));
    assertThat(upstream.requests.get()).as("requests upstream").isEqualTo(2);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aCacheOfOneByteStoresNothingAndEveryAnswerStillReachesItsCaller(Mode mode)
      throws Exception {
    Harness h = HttpCacheTest.harness(CacheSettings.of(1));
    URI uri = upstream.uri("/tiny");
    upstream.script((k, e) -> new Upstream.Answer(200, "v" + k, "Cache-Control", "max-age=60"));
    assertThat(mode.send(h, get(uri), BodyHandlers.ofString()).body()).isEqualTo("v1");
    assertThat(mode.send(h, get(uri), BodyHandlers.ofString()).body()).isEqualTo("v2");
    assertThat(h.client.engine.cache.size()).isZero();
    assertThat(h.client.engine.cache.totalBytes()).isZero();
  }

  @Test
  void aCacheOfLongMaxValueBytesWorksAndAZeroOrNegativeOneIsRefusedNamingTheKey() throws Exception {
    Harness h = HttpCacheTest.harness(
        CacheSettings.of(Long.MAX_VALUE).withMaxEntryBytes(Long.MAX_VALUE));
    URI uri = upstream.uri("/huge-bound");
    upstream.script((k, e) -> new Upstream.Answer(200, "v" + k, "Cache-Control", "max-age=60"));
    assertThat(h.client.send(get(uri), BodyHandlers.ofString()).body()).isEqualTo("v1");
    assertThat(h.client.send(get(uri), BodyHandlers.ofString()).body()).isEqualTo("v1");
    assertThat(upstream.requests.get()).isEqualTo(1);
    for (long bad : new long[] {0, -1, Long.MIN_VALUE}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> CacheSettings.of(bad));
      assertThat(e.getMessage()).contains("maxBytes").contains(Long.toString(bad));
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anUnsafeMethodsLocationOnAnotherOriginInvalidatesNothingThere(Mode mode) throws Exception {
    Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 20));
    try (Upstream other = new Upstream(
        (k, e) -> new Upstream.Answer(200, "o" + k, "Cache-Control", "max-age=60"))) {
      URI kept = other.uri("/kept");
      assertThat(mode.send(h, get(kept), BodyHandlers.ofString()).body()).isEqualTo("o1");
      upstream.script((k, e) -> new Upstream.Answer(201, "made",
          "Location", kept.toString(), "Content-Location", kept.toString()));
      HttpRequest post = HttpRequest.newBuilder(upstream.uri("/make"))
          .POST(HttpRequest.BodyPublishers.ofString("x")).build();
      assertThat(mode.send(h, post, BodyHandlers.ofString()).statusCode()).isEqualTo(201);
      assertThat(mode.send(h, get(kept), BodyHandlers.ofString()).body()).isEqualTo("o1");
      assertThat(other.requests.get()).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aResponseVaryingOnEverythingIsNeverServedFromTheStore(Mode mode) throws Exception {
    Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 20));
    URI uri = upstream.uri("/vary-star");
    upstream.script((k, e) -> new Upstream.Answer(200, "v" + k,
        "Cache-Control", "max-age=60", "Vary", "Accept, *"));
    assertThat(mode.send(h, get(uri), BodyHandlers.ofString()).body()).isEqualTo("v1");
    assertThat(mode.send(h, get(uri), BodyHandlers.ofString()).body()).isEqualTo("v2");
    assertThat(h.client.engine.cache.size()).isZero();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aHugeAgeMakesAResponseStaleAndAHugeMaxAgeSaturates(Mode mode) throws Exception {
    Harness h = HttpCacheTest.harness(CacheSettings.of(1 << 20));
    URI aged = upstream.uri("/aged");
    URI forever = upstream.uri("/forever");
    upstream.script((k, e) -> e.getRequestURI().getPath().equals("/aged")
        ? new Upstream.Answer(200, "a" + k, "Cache-Control", "max-age=60",
            "Age", "99999999999999999999999999")
        : new Upstream.Answer(200, "f" + k,
            "Cache-Control", "max-age=99999999999999999999999999"));
    assertThat(mode.send(h, get(aged), BodyHandlers.ofString()).body()).isEqualTo("a1");
    assertThat(mode.send(h, get(aged), BodyHandlers.ofString()).body()).isEqualTo("a2");
    assertThat(mode.send(h, get(forever), BodyHandlers.ofString()).body()).isEqualTo("f3");
    h.fake.advance(Duration.ofDays(365 * 50));
    HttpResponse<String> r = mode.send(h, get(forever), BodyHandlers.ofString());
    assertThat(r.body()).isEqualTo("f3");
    assertThat(r.headers().firstValue("Age")).isPresent();
    assertThat(upstream.requests.get()).isEqualTo(3);
  }
}
