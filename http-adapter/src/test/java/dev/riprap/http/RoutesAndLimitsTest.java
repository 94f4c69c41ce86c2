package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RoutesAndLimitsTest extends WireMockSupport {
  static final HttpPolicy PAYMENTS =
      HttpPolicy.builder("payments").jitter(0).retryNonIdempotent(true).maxRetries(1).build();
  static final HttpPolicy SEARCH = HttpPolicy.builder("search").maxRetries(0).build();

  static Harness routed() {
    return new Harness(delegate, ResilientHttpClient.builder()
        .policy(RetryTest.exact().build())
        .route("POST", "/payments/**", PAYMENTS)
        .route("*", "/search", SEARCH));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRouteThatOptsInRetriesItsPosts(Mode mode) throws Exception {
    sequence("POST", "/payments/42", aResponse().withStatus(503), aResponse().withStatus(201));
    Harness h = routed();

    assertThat(mode.send(h, post("/payments/42"), BodyHandlers.ofString()).statusCode())
        .isEqualTo(201);
    assertThat(count(postRequestedFor(urlEqualTo("/payments/42")))).isEqualTo(2);
    assertThat(h.events).allSatisfy(e -> assertThat(e.tags()).containsEntry("policy", "payments"));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRouteWithoutRetriesSendsOnce(Mode mode) throws Exception {
    sequence("GET", "/search", aResponse().withStatus(503), aResponse().withStatus(200));
    Harness h = routed();

    assertThat(mode.send(h, get("/search"), BodyHandlers.ofString()).statusCode()).isEqualTo(503);
    assertThat(count(getRequestedFor(urlEqualTo("/search")))).isEqualTo(1);
  }

  @Test
  void routesAreMatchedByMethodAndPatternInOrder() {
    ResilientHttpClient client = routed().client;

    assertThat(client.policyFor("POST", uri("/payments/42/refund"))).isSameAs(PAYMENTS);
    assertThat(client.policyFor("GET", uri("/payments/42"))).isSameAs(client.policy());
    assertThat(client.policyFor("DELETE", uri("/search"))).isSameAs(SEARCH);
    assertThat(client.policyFor("GET", uri("/search/more"))).isSameAs(client.policy());
    assertThat(Route.compile("/items/*/stock").matcher("/items/7/stock").matches()).isTrue();
    assertThat(Route.compile("/items/*/stock").matcher("/items/7/8/stock").matches()).isFalse();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theHostMapIsBoundedAndDropsTheLeastRecentlyUsed(Mode mode) throws Exception {
    sequence("GET", "/items", aResponse().withStatus(200));
    Harness h = new Harness(delegate, ResilientHttpClient.builder().maxHosts(2)
        .policy(HttpPolicy.builder("once").maxRetries(0).build()));
    // Authorities are compared case-blind: LOCALHOST and localhost are one host.
    String[] authorities = {"127.0.0.1", "LOCALHOST", "localhost", "127.0.0.1"};
    for (String host : authorities) {
      mode.send(h, HttpRequest.newBuilder(
          URI.create("http://" + host + ":" + server.port() + "/items")).build(),
          BodyHandlers.ofString());
    }
    assertThat(h.client.hostCount()).isEqualTo(2);
    // Nothing listens on [::1]: the request fails, but its host was admitted to the map.
    assertThatThrownBy(() -> mode.send(h, HttpRequest.newBuilder(
        URI.create("http://[::1]:" + server.port() + "/items")).build(),
        BodyHandlers.ofString())).isInstanceOf(java.net.ConnectException.class);
    assertThat(h.client.hostCount()).isEqualTo(2);
    assertThat(h.client.hostPolicy("GET",
        URI.create("http://127.0.0.1:" + server.port() + "/items"))).isPresent();
    assertThat(h.client.hostPolicy("GET",
        URI.create("http://localhost:" + server.port() + "/items"))).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void idleHostsAreEvictedAndObserversHearOfEachHostComingAndGoing(Mode mode) throws Exception {
    sequence("GET", "/items", aResponse().withStatus(200));
    java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    Harness h = new Harness(delegate, ResilientHttpClient.builder()
        .hostIdleTimeout(Duration.ofMinutes(1))
        .observer(new dev.riprap.PolicyObserver() {
          @Override
          public void onAdded(dev.riprap.Policy policy) {
            seen.add("+" + policy.tags().get("host"));
          }

          @Override
          public void onRemoved(dev.riprap.Policy policy) {
            seen.add("-" + policy.tags().get("host"));
          }
        }));
    mode.send(h, get("/items"), BodyHandlers.ofString());
    h.fake.advance(Duration.ofMinutes(2));

    mode.send(h, HttpRequest.newBuilder(
        URI.create("http://localhost:" + server.port() + "/items")).build(),
        BodyHandlers.ofString());

    assertThat(h.client.hostCount()).isEqualTo(1);
    assertThat(h.client.hostPolicy("GET", uri("/items"))).isEmpty();
    String ip = "127.0.0.1:" + server.port();
    String local = "localhost:" + server.port();
    assertThat(seen).containsExactly("+" + ip, "-" + ip, "+" + local);
    h.client.close();
    assertThat(seen).containsExactly("+" + ip, "-" + ip, "+" + local, "-" + local);
    assertThat(h.client.hostCount()).isZero();
  }

  @Test
  void anInterruptDuringABackoffStopsTheRetriesAndKeepsTheFlag() throws Exception {
    sequence("GET", "/items", aResponse().withStatus(503));
    // Real time here: the backoff is a real 5 s wait that the interrupt ends at once.
    ResilientHttpClient client = ResilientHttpClient.builder().delegate(delegate)
        .policy(HttpPolicy.builder("slow").jitter(0)
            .backoff(Duration.ofSeconds(5), Duration.ofSeconds(5)).build())
        .build();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicReference<Boolean> flag = new AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        client.send(get("/items"), BodyHandlers.ofString());
      } catch (Exception e) {
        thrown.set(e);
      }
      flag.set(Thread.currentThread().isInterrupted());
    }, "interrupted-caller");
    caller.start();
    Awaitility.await().atMost(Duration.ofSeconds(5)).pollInSameThread()
        .until(() -> count(getRequestedFor(urlEqualTo("/items"))) == 1
            && caller.getState() == Thread.State.TIMED_WAITING);

    caller.interrupt();
    caller.join(5_000);

    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    assertThat(flag.get()).isTrue();
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(1);
  }

  @Test
  void anInterruptDuringAnAttemptThrowsInterruptedExceptionAndSendsNothingMore()
      throws Exception {
    server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get("/slow")
        .willReturn(aResponse().withStatus(503).withFixedDelay(2_000)));
    ResilientHttpClient client = ResilientHttpClient.builder().delegate(delegate).build();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicReference<Boolean> flag = new AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        client.send(get("/slow"), BodyHandlers.ofString());
      } catch (Exception e) {
        thrown.set(e);
      }
      flag.set(Thread.currentThread().isInterrupted());
    }, "interrupted-caller");
    caller.start();
    RejectionTest.awaitReceived("/slow", 1);

    caller.interrupt();
    caller.join(5_000);

    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    assertThat(flag.get()).isTrue();
    assertThat(count(getRequestedFor(urlEqualTo("/slow")))).isEqualTo(1);
  }

  @Test
  void cancellingAnAsyncCallStopsItsRetries() throws Exception {
    sequence("GET", "/items", aResponse().withStatus(503));
    Harness h = new Harness(delegate, ResilientHttpClient.builder());
    CompletableFuture<HttpResponse<String>> f =
        h.client.sendAsync(get("/items"), BodyHandlers.ofString());
    Awaitility.await().atMost(Duration.ofSeconds(5)).pollInSameThread()
        .until(() -> h.fake.pendingTasks() > 1);

    f.cancel(true);
    h.fake.advance(Duration.ofSeconds(10));

    assertThat(f).isCancelled();
    assertThat(h.fake.pendingTasks()).isZero();
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(1);
  }
}
