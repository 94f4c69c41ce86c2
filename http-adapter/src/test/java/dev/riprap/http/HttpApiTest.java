package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.client.WireMock;

import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.riprap.annotation.CircuitBreaker;
import dev.riprap.annotation.Fallback;
import dev.riprap.annotation.Retry;
import dev.riprap.testing.FakeTimeSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Declarative clients against a real WireMock server on 127.0.0.1. */
class HttpApiTest extends WireMockSupport {

  /** The client's clock: its sync backoffs advance it themselves. */
  final FakeTimeSource clientTime = new FakeTimeSource();
  /** The method-level policies' clock, driven by {@link #drive} for async calls. */
  final FakeTimeSource apiTime = new FakeTimeSource();
  ResilientHttpClient client;
  /** The client's retries, in order, and how many {@link #drive} has let fire. */
  final List<dev.riprap.event.RetryScheduled> clientRetries =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  int clientRetriesDriven;

  record Item(String id, int stock) {}

  @BeforeEach
  void newClient() {
    client = clientRetrying(0);
  }

  @AfterEach
  void closeClient() {
    client.close();
  }

  private ResilientHttpClient clientRetrying(int retries) {
    return clientRetrying(retries, clientTime);
  }

  private ResilientHttpClient clientRetrying(int retries, dev.riprap.TimeSource time) {
    ResilientHttpClient c = ResilientHttpClient.builder()
        .delegate(delegate)
        .timeSource(time)
        .policy(
            HttpPolicy.builder("test")
                .maxRetries(retries)
                .backoff(Duration.ofMillis(10), Duration.ofMillis(10))
                .noCircuitBreaker()
                .build())
        .build();
    c.events().subscribe(dev.riprap.event.RetryScheduled.class, clientRetries::add);
    return c;
  }

  private <T> T api(Class<T> type) {
    return HttpApi.builder(client, URI.create("http://127.0.0.1:" + server.port() + "/api/"))
        .timeSource(apiTime)
        .asyncExecutor(Runnable::run)
        .build()
        .create(type);
  }

  private static List<LoggedRequest> requests() {
    List<LoggedRequest> all =
        server.getAllServeEvents().stream().map(e -> e.getRequest()).collect(Collectors.toList());
    java.util.Collections.reverse(all);
    return all;
  }

  /**
   * Waits for an async call, moving the method-level clock whenever a backoff timer is pending, and
   * the client's by each retry's delay once its timer is pending beside the total-timeout timer.
   */
  private <T> T drive(CompletionStage<T> stage) throws Throwable {
    CompletableFuture<T> f = stage.toCompletableFuture();
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!f.isDone() && System.nanoTime() < end) {
      if (apiTime.pendingTasks() > 0) {
        apiTime.advance(Duration.ofSeconds(5));
      } else if (clientRetries.size() > clientRetriesDriven && clientTime.pendingTasks() > 1) {
        clientTime.advance(clientRetries.get(clientRetriesDriven++).delay());
      } else {
        Thread.onSpinWait();
      }
    }
    try {
      return f.get();
    } catch (ExecutionException e) {
      throw e.getCause();
    }
  }

  // ---------------------------------------------------------------- routing and encoding

  interface Catalog {
    @GET("/items/{id}")
    String raw(
        @Path("id") String id,
        @Query("q") String q,
        @Query("tag") List<String> tags,
        @Query("missing") String missing,
        @Header("X-Trace") String trace);

    @GET("items/{id}/stock?unit=pieces")
    byte[] bytes(@Path("id") String id, @Query("warehouse") int warehouse);

    @GET("/items/{id}")
    Item item(@Path("id") String id);

    @GET("/items")
    List<Item> items();

    @GET("/items/{id}")
    CompletableFuture<Item> itemAsync(@Path("id") String id);

    @GET("/items/{id}")
    CompletionStage<String> rawAsync(@Path("id") String id);

    @GET("/items/{id}")
    HttpResponse<String> response(@Path("id") String id);

    @GET("/items/{id}")
    CompletableFuture<HttpResponse<byte[]>> responseAsync(@Path("id") String id);

    @POST("/items")
    Item add(@Body Item item);

    @PUT("/items/{id}/note")
    void note(@Path("id") String id, @Body String note);

    @DELETE("/items/{id}")
    CompletableFuture<Void> remove(@Path("id") String id);

    @PATCH("/items/{id}")
    String patch(@Path("id") String id, @Body byte[] patch, @Header("Content-Type") String type);

    @HEAD("/items/{id}")
    HttpResponse<Void> head(@Path("id") String id);
  }

  @Test
  void pathQueryAndHeaderValuesAreEncodedAndSent() {
    server.stubFor(any(anyUrl()).willReturn(ok("fine")));
    Catalog catalog = api(Catalog.class);

    String answer = catalog.raw("a b/ç", "x&y=z +", List.of("new", "sale"), null, "t-1");

    assertThat(answer).isEqualTo("fine");
    LoggedRequest r = requests().get(0);
    assertThat(r.getMethod().value()).isEqualTo("GET");
    assertThat(r.getUrl())
        .isEqualTo("/api/items/a%20b%2F%C3%A7?q=x%26y%3Dz%20%2B&tag=new&tag=sale");
    assertThat(r.getHeader("X-Trace")).isEqualTo("t-1");
  }

  @Test
  void aTemplateWithItsOwnQueryGetsTheParametersAppended() {
    server.stubFor(any(anyUrl()).willReturn(ok().withBody(new byte[] {1, 2, 3})));
    Catalog catalog = api(Catalog.class);

    assertThat(catalog.bytes("7", 3)).containsExactly(1, 2, 3);
    assertThat(requests().get(0).getUrl()).isEqualTo("/api/items/7/stock?unit=pieces&warehouse=3");
  }

  @Test
  void jsonBodiesAreDecodedIntoTheReturnTypeSyncAndAsync() throws Throwable {
    server.stubFor(WireMock.get("/api/items/7").willReturn(okJson("{\"id\":\"7\",\"stock\":4}")));
    server.stubFor(WireMock.get("/api/items").willReturn(okJson("[{\"id\":\"1\",\"stock\":2}]")));
    Catalog catalog = api(Catalog.class);

    assertThat(catalog.item("7")).isEqualTo(new Item("7", 4));
    assertThat(catalog.items()).containsExactly(new Item("1", 2));
    assertThat(drive(catalog.itemAsync("7"))).isEqualTo(new Item("7", 4));
    assertThat(drive(catalog.rawAsync("7"))).isEqualTo("{\"id\":\"7\",\"stock\":4}");
    assertThat(requests().get(0).getHeader("Accept")).isEqualTo("application/json");
  }

  @Test
  void bodiesAreEncodedByType() throws Throwable {
    server.stubFor(WireMock.post("/api/items").willReturn(okJson("{\"id\":\"9\",\"stock\":1}")));
    server.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().withStatus(204)));
    Catalog catalog = api(Catalog.class);

    assertThat(catalog.add(new Item("9", 1))).isEqualTo(new Item("9", 1));
    catalog.note("9", "fragile ☂");
    assertThat(drive(catalog.remove("9"))).isNull();
    catalog.patch("9", new byte[] {7}, "application/merge-patch+json");

    List<LoggedRequest> r = requests();
    assertThat(r.get(0).getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(r.get(0).getBodyAsString()).isEqualTo("{\"id\":\"9\",\"stock\":1}");
    assertThat(r.get(1).getMethod().value()).isEqualTo("PUT");
    assertThat(r.get(1).getHeader("Content-Type")).isEqualTo("text/plain; charset=UTF-8");
    assertThat(new String(r.get(1).getBody(), StandardCharsets.UTF_8)).isEqualTo("fragile ☂");
    assertThat(r.get(2).getMethod().value()).isEqualTo("DELETE");
    assertThat(r.get(3).getMethod().value()).isEqualTo("PATCH");
    assertThat(r.get(3).getHeaders().getHeader("Content-Type").values())
        .containsExactly("application/merge-patch+json");
    assertThat(r.get(3).getBody()).containsExactly(7);
  }

  // ---------------------------------------------------------------- typed errors

  @Test
  void aNon2xxAnswerIsATypedExceptionSync() {
    server.stubFor(
        WireMock.get("/api/items/0")
            .willReturn(
                aResponse().withStatus(404).withHeader("X-Reason", "gone").withBody("no item 0")));
    Catalog catalog = api(Catalog.class);

    assertThatThrownBy(() -> catalog.item("0"))
        .isInstanceOfSatisfying(
            HttpStatusException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(404);
              assertThat(e.headers().firstValue("X-Reason")).contains("gone");
              assertThat(e.bodyAsString()).isEqualTo("no item 0");
              assertThat(e.isTransient()).isFalse();
              assertThat(e).hasMessage("GET " + e.uri() + " answered 404");
            });
  }

  @Test
  void aNon2xxAnswerIsATypedExceptionAsync() {
    server.stubFor(WireMock.get("/api/items/0").willReturn(aResponse().withStatus(409).withBody("busy")));
    Catalog catalog = api(Catalog.class);

    assertThatThrownBy(() -> drive(catalog.itemAsync("0")))
        .isInstanceOfSatisfying(
            HttpStatusException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(409);
              assertThat(e.bodyAsString()).isEqualTo("busy");
            });
  }

  @Test
  void aMethodReturningTheResponseGetsANon2xxAnswerAsItIs() throws Throwable {
    server.stubFor(WireMock.get("/api/items/0").willReturn(aResponse().withStatus(404).withBody("none")));
    Catalog catalog = api(Catalog.class);

    HttpResponse<String> sync = catalog.response("0");
    HttpResponse<byte[]> async = drive(catalog.responseAsync("0"));

    assertThat(sync.statusCode()).isEqualTo(404);
    assertThat(sync.body()).isEqualTo("none");
    assertThat(async.statusCode()).isEqualTo(404);
    assertThat(new String(async.body(), StandardCharsets.UTF_8)).isEqualTo("none");
    assertThat(catalog.head("0").statusCode()).isEqualTo(404);
  }

  @Test
  void anUnreadableBodyIsACodecException() {
    server.stubFor(WireMock.get("/api/items/7").willReturn(okJson("{not json")));
    Catalog catalog = api(Catalog.class);

    assertThatThrownBy(() -> catalog.item("7"))
        .isExactlyInstanceOf(HttpApiCodecException.class)
        .hasMessageStartingWith(
            "Catalog.item(String): JacksonBodyCodec could not decode the 200 answer of GET http://");
  }

  interface Transport {
    @GET("/down")
    String declared() throws IOException;

    @GET("/down")
    String undeclared();
  }

  @Test
  void aTransportFailureIsTheIoExceptionWhenDeclaredAndUncheckedOtherwise() {
    server.stubFor(WireMock.get("/api/down").willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
    Transport transport = api(Transport.class);

    assertThatThrownBy(transport::declared).isInstanceOf(IOException.class);
    assertThatThrownBy(transport::undeclared)
        .isExactlyInstanceOf(UncheckedIOException.class)
        .hasCauseInstanceOf(IOException.class);
  }

  interface Interruptible {
    @GET("/items/1")
    String declared() throws InterruptedException;

    @GET("/items/1")
    String undeclared();
  }

  @Test
  void anInterruptIsThrownAsDeclaredAndTheFlagIsKept() {
    server.stubFor(WireMock.get("/api/items/1").willReturn(ok("one")));
    Interruptible api = api(Interruptible.class);

    Thread.currentThread().interrupt();
    assertThatThrownBy(api::declared).isInstanceOf(InterruptedException.class);
    Thread.interrupted();

    Thread.currentThread().interrupt();
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(api::undeclared);
    boolean flagKept = Thread.interrupted();

    assertThat(thrown)
        .isExactlyInstanceOf(UncheckedIOException.class)
        .hasCauseExactlyInstanceOf(java.io.InterruptedIOException.class);
    assertThat(flagKept).isTrue();
  }

  // ---------------------------------------------------------------- retries and idempotency

  interface Retried {
    @GET("/flaky")
    @Retry(maxAttempts = 3, delay = "100ms")
    String flaky();

    @GET("/flaky")
    @Retry(maxAttempts = 3, delay = "100ms")
    CompletableFuture<String> flakyAsync();

    @POST("/orders")
    String order(@Body String order);

    @POST("/orders")
    @Idempotent
    String idempotentOrder(@Body String order);

    @POST("/orders")
    @Idempotent
    @Retry(maxAttempts = 2, delay = "100ms")
    String retriedOrder(@Body String order);

    @POST("/orders")
    @Idempotent
    CompletableFuture<String> idempotentOrderAsync(@Body String order);

    @POST("/orders")
    CompletableFuture<String> orderAsync(@Body String order);
  }

  @Test
  void aMethodRetryRepeatsTransientAnswersButNotOtherOnesSync() {
    server.stubFor(WireMock.get("/api/flaky").willReturn(aResponse().withStatus(503)));
    Retried api = api(Retried.class);

    assertThatThrownBy(api::flaky)
        .isInstanceOfSatisfying(
            HttpStatusException.class, e -> assertThat(e.statusCode()).isEqualTo(503));
    assertThat(requests()).hasSize(3);

    server.resetRequests();
    server.stubFor(WireMock.get("/api/flaky").willReturn(aResponse().withStatus(404)));
    assertThatThrownBy(api::flaky)
        .isInstanceOfSatisfying(
            HttpStatusException.class, e -> assertThat(e.statusCode()).isEqualTo(404));
    assertThat(requests()).hasSize(1);
  }

  @Test
  void aMethodRetryRepeatsTransientAnswersButNotOtherOnesAsync() {
    server.stubFor(WireMock.get("/api/flaky").willReturn(aResponse().withStatus(503)));
    Retried api = api(Retried.class);

    assertThatThrownBy(() -> drive(api.flakyAsync()))
        .isInstanceOfSatisfying(
            HttpStatusException.class, e -> assertThat(e.statusCode()).isEqualTo(503));
    assertThat(requests()).hasSize(3);

    server.resetRequests();
    server.stubFor(WireMock.get("/api/flaky").willReturn(aResponse().withStatus(400)));
    assertThatThrownBy(() -> drive(api.flakyAsync()))
        .isInstanceOfSatisfying(
            HttpStatusException.class, e -> assertThat(e.statusCode()).isEqualTo(400));
    assertThat(requests()).hasSize(1);
  }

  @Test
  void aMethodRetryIsTheOneRetryLayerSoACallSendsAtMostItsAttemptsSyncAndAsync()
      throws Throwable {
    client.close();
    // The client would retry 3 times by itself; the method's @Retry(maxAttempts = 3) replaces that.
    client = clientRetrying(3);
    server.stubFor(WireMock.get("/api/flaky").willReturn(aResponse().withStatus(503)));
    Retried api = api(Retried.class);

    assertThatThrownBy(api::flaky).isInstanceOf(HttpStatusException.class);
    assertThat(requests()).hasSize(3);

    server.resetRequests();
    assertThatThrownBy(() -> drive(api.flakyAsync())).isInstanceOf(HttpStatusException.class);
    assertThat(requests()).hasSize(3);
  }

  interface Plain {
    @GET("/flaky")
    String flaky();
  }

  @Test
  void withoutAMethodRetryTheClientRetries() {
    client.close();
    client = clientRetrying(2);
    server.stubFor(WireMock.get("/api/flaky").willReturn(aResponse().withStatus(503)));

    assertThatThrownBy(api(Plain.class)::flaky)
        .isInstanceOfSatisfying(HttpStatusException.class, e -> assertThat(e.isTransient()).isTrue());
    assertThat(requests()).hasSize(3);
  }

  @Test
  void theClientsOwnClassifierDecidesWhatAMethodRetries() {
    client.close();
    HttpClassifier notFoundIsTransient = new HttpClassifier() {
      @Override
      public boolean isTransientFailure(HttpResponse.ResponseInfo r) {
        return r.statusCode() == 404;
      }

      @Override
      public boolean isTransientFailure(Throwable t) {
        return false;
      }
    };
    client = ResilientHttpClient.builder().delegate(delegate).timeSource(clientTime)
        .classifier(notFoundIsTransient)
        .policy(HttpPolicy.builder("test").maxRetries(0).noCircuitBreaker().build())
        .build();
    server.stubFor(WireMock.get("/api/flaky").willReturn(aResponse().withStatus(404)));

    assertThatThrownBy(api(Retried.class)::flaky)
        .isInstanceOfSatisfying(HttpStatusException.class, e -> assertThat(e.isTransient()).isTrue());
    assertThat(requests()).hasSize(3);

    server.resetRequests();
    server.stubFor(WireMock.get("/api/flaky").willReturn(aResponse().withStatus(503)));
    assertThatThrownBy(api(Retried.class)::flaky)
        .isInstanceOfSatisfying(HttpStatusException.class, e -> assertThat(e.isTransient()).isFalse());
    assertThat(requests()).hasSize(1);
  }

  @Test
  void aTlsHandshakeFailureIsNotTransientForADeclarativeCall() {
    assertThat(HttpApi.isTransientFailure(new javax.net.ssl.SSLHandshakeException("bad cert")))
        .isFalse();
    assertThat(HttpApi.isTransientFailure(new UncheckedIOException(new IOException("reset"))))
        .isTrue();
    assertThat(HttpApi.isTransientFailure(new HttpRequestBodyException("body", null))).isFalse();
  }

  @Test
  void aPostIsNotRetriedByTheClientUnlessIdempotent() {
    client.close();
    client = clientRetrying(2);
    server.stubFor(WireMock.post("/api/orders").willReturn(aResponse().withStatus(503)));
    Retried api = api(Retried.class);

    assertThatThrownBy(() -> api.order("one")).isInstanceOf(HttpStatusException.class);
    assertThat(requests()).hasSize(1);
    assertThat(requests().get(0).containsHeader("Idempotency-Key")).isFalse();

    server.resetRequests();
    assertThatThrownBy(() -> api.idempotentOrder("two")).isInstanceOf(HttpStatusException.class);
    assertThat(requests()).hasSize(3);
    assertThat(requests().stream().map(r -> r.getHeader("Idempotency-Key")).distinct())
        .singleElement()
        .asString()
        .hasSize(36);
  }

  @Test
  void anAsyncPostIsNotRetriedByTheClientUnlessIdempotent() {
    client.close();
    // The client's async backoff runs on its own timer; this test is about which requests are
    // sent, not when, so the client keeps the system clock (its backoff is 10 ms).
    client = clientRetrying(2, dev.riprap.TimeSource.system());
    server.stubFor(WireMock.post("/api/orders").willReturn(aResponse().withStatus(503)));
    Retried api = api(Retried.class);

    assertThatThrownBy(() -> drive(api.orderAsync("one")))
        .isInstanceOf(HttpStatusException.class);
    assertThat(requests()).hasSize(1);

    server.resetRequests();
    assertThatThrownBy(() -> drive(api.idempotentOrderAsync("two")))
        .isInstanceOfSatisfying(
            HttpStatusException.class, e -> assertThat(e.statusCode()).isEqualTo(503));
    assertThat(requests()).hasSize(3);
    assertThat(requests().stream().map(r -> r.getHeader("Idempotency-Key")).distinct()).hasSize(1);
  }

  @Test
  void everyAttemptOfOneCallCarriesTheSameIdempotencyKey() {
    server.stubFor(WireMock.post("/api/orders").willReturn(aResponse().withStatus(502)));
    Retried api = api(Retried.class);

    assertThatThrownBy(() -> api.retriedOrder("a")).isInstanceOf(HttpStatusException.class);
    assertThatThrownBy(() -> api.retriedOrder("b")).isInstanceOf(HttpStatusException.class);

    List<String> keys =
        server.findAll(postRequestedFor(urlPathEqualTo("/api/orders"))).stream()
            .map(r -> r.getHeader("Idempotency-Key"))
            .collect(Collectors.toList());
    assertThat(keys).hasSize(4);
    assertThat(keys.get(0)).isEqualTo(keys.get(1)).isNotEqualTo(keys.get(2));
    assertThat(keys.get(2)).isEqualTo(keys.get(3));
  }

  // ---------------------------------------------------------------- timeouts

  interface Slow {
    @GET("/slow")
    @dev.riprap.annotation.Timeout("1s")
    String slow();

    @GET("/slow")
    @dev.riprap.annotation.Timeout("1s")
    CompletableFuture<String> slowAsync();
  }

  @Test
  void anAttemptTimeoutCutsASlowSyncCallAndClearsTheInterrupt() throws InterruptedException {
    server.stubFor(WireMock.get("/api/slow").willReturn(ok("late").withFixedDelay(3_000)));
    Slow api = api(Slow.class);
    // The method's clock moves once its attempt timer is set: the timer interrupts the caller.
    Thread clock =
        new Thread(
            () -> {
              long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
              while (apiTime.pendingTasks() == 0 && System.nanoTime() < end) {
                Thread.onSpinWait();
              }
              apiTime.advance(Duration.ofSeconds(1));
            });
    clock.start();

    assertThatThrownBy(api::slow)
        .isInstanceOfSatisfying(
            dev.riprap.RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(dev.riprap.RejectionReason.TIMED_OUT));
    clock.join();
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @Test
  void anAttemptTimeoutCutsASlowAsyncCall() {
    server.stubFor(WireMock.get("/api/slow").willReturn(ok("late").withFixedDelay(3_000)));
    Slow api = api(Slow.class);

    CompletableFuture<String> result = api.slowAsync();
    assertThat(apiTime.pendingTasks()).isEqualTo(1);
    apiTime.advance(Duration.ofSeconds(1));

    assertThatThrownBy(() -> drive(result))
        .isInstanceOfSatisfying(
            dev.riprap.RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(dev.riprap.RejectionReason.TIMED_OUT));
  }

  // ---------------------------------------------------------------- fallbacks and breakers

  interface WithFallback {
    @GET("/items/{id}")
    @Fallback(method = "unknown")
    Item item(@Path("id") String id);

    @GET("/items/{id}")
    @Fallback(method = "unknownAsync")
    CompletableFuture<Item> itemAsync(@Path("id") String id);

    @GET("/items/{id}")
    @CircuitBreaker(slidingWindowSize = 2, minimumCalls = 2)
    String guarded(@Path("id") String id);

    default Item unknown(String id, HttpStatusException failure) {
      return new Item(id, -failure.statusCode());
    }

    default Item unknownAsync(String id) {
      return new Item(id, 0);
    }
  }

  @Test
  void aFallbackAnswersForAFailedCallSyncAndAsync() throws Throwable {
    server.stubFor(WireMock.get("/api/items/5").willReturn(aResponse().withStatus(500)));
    WithFallback api = api(WithFallback.class);

    assertThat(api.item("5")).isEqualTo(new Item("5", -500));
    assertThat(drive(api.itemAsync("5"))).isEqualTo(new Item("5", 0));
  }

  @Test
  void answersThatAreNotFailuresNeverOpenTheBreakerButFailuresDo() {
    server.stubFor(WireMock.get("/api/items/1").willReturn(aResponse().withStatus(404)));
    server.stubFor(WireMock.get("/api/items/2").willReturn(aResponse().withStatus(503)));
    WithFallback api = api(WithFallback.class);

    // A window of 2 calls at 50%: two counted failures would open it; three 404s do not.
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> api.guarded("1"))
          .isInstanceOfSatisfying(
              HttpStatusException.class, e -> assertThat(e.statusCode()).isEqualTo(404));
    }
    // One 503 beside a 404 (a success for the breaker) is 50% of the window: it opens.
    assertThatThrownBy(() -> api.guarded("2")).isInstanceOf(HttpStatusException.class);
    assertThatThrownBy(() -> api.guarded("1"))
        .isInstanceOf(dev.riprap.RejectedException.class)
        .hasMessage("Policy 'WithFallback.guarded' rejected the call: circuit open");
    assertThat(requests()).hasSize(4);
  }

  @Test
  void objectMethodsDoNotSendRequests() {
    Catalog catalog = api(Catalog.class);
    List<Object> seen = new ArrayList<>();
    seen.add(catalog.toString());
    seen.add(catalog.hashCode());

    assertThat(catalog).isEqualTo(catalog);
    assertThat(seen.get(0)).isEqualTo("HttpApi client of Catalog");
    assertThat(requests()).isEmpty();
  }

  @Test
  void aNullPathValueFailsTheCallBeforeSending() {
    Catalog catalog = api(Catalog.class);

    assertThatThrownBy(() -> catalog.item(null))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("Catalog.item(String): the @Path value of parameter 0 is null");
    assertThat(requests()).isEmpty();
    assertThat(server.findAll(com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(anyUrl())))
        .isEmpty();
  }
}
