package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.EndpointStatus;
import dev.riprap.endpoint.Hedging;
import dev.riprap.event.HedgeSent;
import dev.riprap.event.HedgeWon;
import dev.riprap.event.PolicyEvent;
import dev.riprap.testing.FakeTimeSource;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse.BodySubscribers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hedged requests to a logical service against two real JDK HttpServers on 127.0.0.1 that answer
 * when the test lets them, through send and sendAsync; the hedge delay on fake time. Each server
 * counts its requests.
 */
@ExtendWith(LeakCheck.class)
class ServiceHedgingTest {
  private static final Duration DELAY = Duration.ofMillis(50);

  private final FakeTimeSource fake = new FakeTimeSource();
  private final List<PolicyEvent> events = new CopyOnWriteArrayList<>();
  private final HttpClient delegate = HttpClient.newHttpClient();
  private final ExecutorService callers = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "caller");
    t.setDaemon(true);
    return t;
  });
  /** The name of each server that received a request, in order. */
  private final BlockingQueue<String> arrivals = new LinkedBlockingQueue<>();
  /** What each server answers, once the test completes it. */
  private final Map<String, CompletableFuture<Upstream.Answer>> answers = new ConcurrentHashMap<>();
  private final Map<String, Upstream> servers = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws IOException {
    for (String name : List.of("a", "b")) {
      servers.put(name, new Upstream((n, x) -> {
        arrivals.add(name);
        try {
          return answer(name).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          return new Upstream.Answer(500, "gave up");
        }
      }));
    }
  }

  @AfterEach
  void stop() {
    answers.values().forEach(f -> f.complete(new Upstream.Answer(200, "late")));
    servers.values().forEach(Upstream::close);
    callers.shutdownNow();
  }

  private CompletableFuture<Upstream.Answer> answer(String server) {
    return answers.computeIfAbsent(server, s -> new CompletableFuture<>());
  }

  private void release(String server, int status) {
    answer(server).complete(new Upstream.Answer(status, "from " + server));
  }

  private String arrived() throws InterruptedException {
    String s = arrivals.poll(30, TimeUnit.SECONDS);
    assertThat(s).as("a request reached a server").isNotNull();
    return s;
  }

  private ResilientHttpClient client(HttpPolicy policy, String... endpoints) {
    List<URI> uris = new ArrayList<>();
    for (String e : endpoints) {
      uris.add(servers.get(e).uri(""));
    }
    ResilientHttpClient c = ResilientHttpClient.builder().delegate(delegate).timeSource(fake)
        .policy(policy).endpoints("orders", uris).build();
    c.events().subscribe(events::add);
    return c;
  }

  private static HttpPolicy hedged() {
    return HttpPolicy.builder("hedged").maxRetries(0).hedging(Hedging.after(DELAY)).build();
  }

  private static HttpRequest get() {
    return HttpRequest.newBuilder(URI.create("http://orders/items/1")).build();
  }

  /** Sends on a caller thread (sync) or as sendAsync; the future holds what the caller got. */
  private <T> CompletableFuture<HttpResponse<T>> send(Mode mode, ResilientHttpClient client,
      HttpRequest request, HttpResponse.BodyHandler<T> handler, AtomicBoolean flagKept,
      List<Thread> thread) {
    if (mode == Mode.ASYNC) {
      return client.sendAsync(request, handler);
    }
    CompletableFuture<HttpResponse<T>> done = new CompletableFuture<>();
    callers.execute(() -> {
      thread.add(Thread.currentThread());
      try {
        done.complete(client.send(request, handler));
      } catch (Throwable t) {
        flagKept.set(Thread.currentThread().isInterrupted());
        done.completeExceptionally(t);
      }
    });
    return done;
  }

  private <T> CompletableFuture<HttpResponse<T>> send(Mode mode, ResilientHttpClient client,
      HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    return send(mode, client, request, handler, new AtomicBoolean(), new ArrayList<>());
  }

  private static <T> T within(CompletableFuture<T> f) throws Exception {
    try {
      return f.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
    }
  }

  private static void countsComeBack(ResilientHttpClient client) {
    EndpointGroup<URI> g = client.service("orders").orElseThrow();
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
        .until(() -> g.status().stream().mapToInt(EndpointStatus::outstanding).sum() == 0);
  }

  /** A GET whose first attempt and one hedge reached their servers. */
  private record Hedge(CompletableFuture<HttpResponse<String>> call, String first, String hedge) {}

  private Hedge hedge(Mode mode, ResilientHttpClient client) throws InterruptedException {
    return hedge(mode, client, BodyHandlers.ofString());
  }

  private Hedge hedge(Mode mode, ResilientHttpClient client,
      HttpResponse.BodyHandler<String> handler) throws InterruptedException {
    CompletableFuture<HttpResponse<String>> call = send(mode, client, get(), handler);
    String first = arrived();
    fake.advance(DELAY);
    return new Hedge(call, first, arrived());
  }

  private int requests() {
    return servers.values().stream().mapToInt(u -> u.requests.get()).sum();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aSlowEndpointIsHedgedOnTheOtherAndTheHedgesAnswerWins(Mode mode) throws Exception {
    try (ResilientHttpClient client = client(hedged(), "a", "b")) {
      Hedge h = hedge(mode, client);
      CompletableFuture<HttpResponse<String>> call = h.call();
      String first = h.first();
      String hedge = h.hedge();
      assertThat(hedge).isNotEqualTo(first);
      release(hedge, 200);

      HttpResponse<String> r = within(call);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("from " + hedge);
      release(first, 200);
      countsComeBack(client);
      assertThat(requests()).isEqualTo(2);
      assertThat(events).filteredOn(HedgeSent.class::isInstance).singleElement()
          .satisfies(e -> assertThat(e.policy()).isEqualTo("orders"));
      assertThat(events).filteredOn(HedgeWon.class::isInstance).hasSize(1);
      assertThat(client.service("orders").orElseThrow().status())
          .extracting(EndpointStatus::consecutiveFailures).containsOnly(0);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anEndpointThatAnswersBeforeTheDelayIsNotHedged(Mode mode) throws Exception {
    try (ResilientHttpClient client = client(hedged(), "a", "b")) {
      CompletableFuture<HttpResponse<String>> call =
          send(mode, client, get(), BodyHandlers.ofString());
      String first = arrived();
      release(first, 200);
      assertThat(within(call).body()).isEqualTo("from " + first);
      fake.advance(DELAY.multipliedBy(10));
      assertThat(requests()).isEqualTo(1);
      assertThat(events).filteredOn(HedgeSent.class::isInstance).isEmpty();
      countsComeBack(client);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theLosersBodyIsClosedOrItsExchangeAborted(Mode mode) throws Exception {
    List<DiscardedResponseTest.TrackedStream> streams = new CopyOnWriteArrayList<>();
    HttpResponse.BodyHandler<InputStream> tracking = info -> BodySubscribers.mapping(
        BodySubscribers.ofInputStream(), in -> {
          DiscardedResponseTest.TrackedStream t = new DiscardedResponseTest.TrackedStream(in);
          streams.add(t);
          return t;
        });
    try (ResilientHttpClient client = client(hedged(), "a", "b")) {
      CompletableFuture<HttpResponse<InputStream>> call = send(mode, client, get(), tracking);
      String first = arrived();
      fake.advance(DELAY);
      String hedge = arrived();
      // Both answer at once: the loser's answer is cut off or arrives and is let go of.
      release(hedge, 200);
      release(first, 200);

      HttpResponse<InputStream> r = within(call);
      try (InputStream body = r.body()) {
        assertThat(new String(body.readAllBytes())).isIn("from a", "from b");
      }
      countsComeBack(client);
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
          .until(() -> streams.stream().allMatch(s -> s.closed));
      assertThat(streams).hasSizeBetween(1, 2);
      assertThat(requests()).isEqualTo(2);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aPostIsNeverHedged(Mode mode) throws Exception {
    try (ResilientHttpClient client = client(hedged(), "a", "b")) {
      HttpRequest post = HttpRequest.newBuilder(URI.create("http://orders/orders"))
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
      CompletableFuture<HttpResponse<String>> call =
          send(mode, client, post, BodyHandlers.ofString());
      String first = arrived();
      fake.advance(DELAY.multipliedBy(10));
      release(first, 200);
      assertThat(within(call).statusCode()).isEqualTo(200);
      assertThat(requests()).isEqualTo(1);
      assertThat(events).filteredOn(HedgeSent.class::isInstance).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anEmptyRetryBudgetSendsNoHedge(Mode mode) throws Exception {
    HttpPolicy broke = HttpPolicy.builder("broke").maxRetries(0)
        .retryBudget(0, 0, Duration.ofSeconds(1)).hedging(Hedging.after(DELAY)).build();
    try (ResilientHttpClient client = client(broke, "a", "b")) {
      CompletableFuture<HttpResponse<String>> call =
          send(mode, client, get(), BodyHandlers.ofString());
      String first = arrived();
      fake.advance(DELAY.multipliedBy(10));
      release(first, 200);
      assertThat(within(call).statusCode()).isEqualTo(200);
      assertThat(requests()).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aServiceOfOneEndpointSendsNoHedge(Mode mode) throws Exception {
    try (ResilientHttpClient client = client(hedged(), "a")) {
      CompletableFuture<HttpResponse<String>> call =
          send(mode, client, get(), BodyHandlers.ofString());
      assertThat(arrived()).isEqualTo("a");
      fake.advance(DELAY.multipliedBy(10));
      release("a", 200);
      assertThat(within(call).statusCode()).isEqualTo(200);
      assertThat(requests()).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aTransientFailureWhileTheHedgeRunsDoesNotEndTheRequest(Mode mode) throws Exception {
    try (ResilientHttpClient client = client(hedged(), "a", "b")) {
      Hedge h = hedge(mode, client);
      CompletableFuture<HttpResponse<String>> call = h.call();
      String first = h.first();
      String hedge = h.hedge();
      release(first, 503);
      EndpointGroup<URI> g = client.service("orders").orElseThrow();
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
          .until(() -> g.status().stream().mapToInt(EndpointStatus::consecutiveFailures).sum() == 1);
      assertThat(call).isNotDone();
      release(hedge, 200);

      HttpResponse<String> r = within(call);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("from " + hedge);
      countsComeBack(client);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void givingUpDuringAHedgeCancelsBothAttemptsAndKeepsTheInterrupt(Mode mode) throws Exception {
    try (ResilientHttpClient client = client(hedged(), "a", "b")) {
      AtomicBoolean flagKept = new AtomicBoolean();
      List<Thread> thread = new CopyOnWriteArrayList<>();
      CompletableFuture<HttpResponse<String>> call =
          send(mode, client, get(), BodyHandlers.ofString(), flagKept, thread);
      String first = arrived();
      fake.advance(DELAY);
      arrived();

      if (mode == Mode.ASYNC) {
        call.cancel(true);
      } else {
        thread.get(0).interrupt();
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
            () -> within(call));
        assertThat(e).isInstanceOf(InterruptedException.class);
        assertThat(flagKept).isTrue();
      }
      countsComeBack(client);
      assertThat(client.service("orders").orElseThrow().status())
          .extracting(EndpointStatus::consecutiveFailures).containsOnly(0);
      assertThat(events).filteredOn(HedgeWon.class::isInstance).isEmpty();
      assertThat(first).isIn("a", "b");
    }
  }

  @org.junit.jupiter.api.Test
  void aHedgeTheExecutorRefusesIsNotPaidFromTheRetryBudget() throws Exception {
    java.util.concurrent.Executor refusing = r -> {
      throw new java.util.concurrent.RejectedExecutionException("full");
    };
    HttpPolicy tight = HttpPolicy.builder("tight").maxRetries(0)
        .retryBudget(0, 1, Duration.ofSeconds(1))
        .hedging(Hedging.after(DELAY).executor(refusing)).build();
    try (ResilientHttpClient client = client(tight, "a", "b")) {
      for (int i = 1; i <= 3; i++) {
        CompletableFuture<HttpResponse<String>> call =
            client.sendAsync(get(), BodyHandlers.ofString());
        String first = arrived();
        fake.advance(DELAY);
        assertThat(events).as("call %d tried a hedge", i)
            .filteredOn(HedgeSent.class::isInstance).hasSize(i);
        release(first, 200);
        assertThat(within(call).statusCode()).isEqualTo(200);
        answers.clear();
      }
      assertThat(requests()).as("no hedge was ever sent").isEqualTo(3);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aWinnersThrowingBodyHandlerEndsTheCallWithItsExceptionAndBlamesNoEndpoint(Mode mode)
      throws Exception {
    IllegalStateException boom = new IllegalStateException("the caller's handler broke");
    HttpResponse.BodyHandler<String> throwing = info -> {
      throw boom;
    };
    try (ResilientHttpClient client = client(hedged(), "a", "b")) {
      Hedge h = hedge(mode, client, throwing);
      release(h.hedge(), 200);
      Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
          () -> within(h.call()));
      assertThat(e == boom || e.getCause() == boom).as("the handler's exception: %s", e).isTrue();
      release(h.first(), 200);
      countsComeBack(client);
      assertThat(client.service("orders").orElseThrow().status())
          .extracting(EndpointStatus::consecutiveFailures).containsOnly(0);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aHedgeWhoseExecutorThrowsAnErrorIsNotSentAndTheFirstAttemptStillWins(Mode mode)
      throws Exception {
    AssertionError broken = new AssertionError("the executor broke");
    java.util.concurrent.Executor throwing = r -> {
      throw broken;
    };
    HttpPolicy p = HttpPolicy.builder("broken").maxRetries(0)
        .hedging(Hedging.after(DELAY).executor(throwing)).build();
    try (ResilientHttpClient client = client(p, "a", "b")) {
      CompletableFuture<HttpResponse<String>> call =
          send(mode, client, get(), BodyHandlers.ofString());
      // An HTTP attempt is an async exchange, sync call or not: the first goes out; the hedge
      // the executor throws on is never sent and ends nothing.
      String first = arrived();
      fake.advance(DELAY);
      release(first, 200);
      assertThat(within(call).body()).isEqualTo("from " + first);
      assertThat(requests()).isEqualTo(1);
      countsComeBack(client);
      assertThat(client.service("orders").orElseThrow().status())
          .extracting(EndpointStatus::consecutiveFailures).containsOnly(0);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aCachedHedgedGetIsStoredOnceItWinsAndThenServedWithoutARequest(Mode mode)
      throws Exception {
    List<URI> uris = List.of(servers.get("a").uri(""), servers.get("b").uri(""));
    try (ResilientHttpClient client = ResilientHttpClient.builder().delegate(delegate)
        .timeSource(fake).policy(hedged()).endpoints("orders", uris)
        .cache(CacheSettings.of(1 << 20)).build()) {
      Hedge h = hedge(mode, client);
      answer(h.hedge()).complete(
          new Upstream.Answer(200, "from " + h.hedge(), "Cache-Control", "max-age=60"));
      assertThat(within(h.call()).body()).isEqualTo("from " + h.hedge());
      answer(h.first()).complete(
          new Upstream.Answer(200, "from " + h.first(), "Cache-Control", "max-age=60"));
      countsComeBack(client);

      HttpResponse<String> hit = within(send(mode, client, get(), BodyHandlers.ofString()));
      assertThat(hit.body()).isIn("from a", "from b");
      assertThat(requests()).isEqualTo(2);
      countsComeBack(client);
    }
  }
}
