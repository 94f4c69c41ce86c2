package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.DrainReport;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.event.CallRejected;
import dev.riprap.event.CircuitStateChanged;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RejectionTest extends WireMockSupport {
  /** A breaker that opens after 4 attempts at 50% failures and breaks for 500 ms; no retries. */
  static HttpPolicy breaking() {
    return HttpPolicy.builder("inventory")
        .maxRetries(0)
        .attemptTimeout(Duration.ofSeconds(5))
        .circuitBreaker(50, Duration.ofSeconds(10), 4, Duration.ofMillis(500))
        .halfOpenCalls(1)
        // These tests look at the rejection itself: no waiting for the next probe.
        .noProbeWait()
        .build();
  }

  @org.junit.jupiter.api.Test
  void byDefaultARefusedRequestWaitsForTheNextProbeAndGetsTheHealedAnswer() throws Exception {
    sequence("GET", "/items",
        aResponse().withStatus(503), aResponse().withStatus(503), aResponse().withStatus(503),
        aResponse().withStatus(503), aResponse().withStatus(200).withBody("healed"));
    HttpPolicy waiting = breaking().toBuilder("inventory").awaitProbe(Duration.ofSeconds(1))
        .build();
    Harness h = new Harness(delegate, ResilientHttpClient.builder().policy(waiting));
    for (int i = 0; i < 4; i++) {
      assertThat(h.client.send(get("/items"), BodyHandlers.ofString()).statusCode())
          .isEqualTo(503);
    }
    long before = h.fake.nanoTime();

    var response = h.client.send(get("/items"), BodyHandlers.ofString());

    assertThat(response.body()).isEqualTo("healed");
    // It waited out the 500 ms break (plus the millisecond resilience4j needs to be past it).
    assertThat(h.fake.nanoTime() - before).isEqualTo(Duration.ofMillis(501).toNanos());
    assertThat(h.events(CircuitStateChanged.class)).extracting(CircuitStateChanged::to)
        .containsExactly(CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN,
            CircuitBreaker.State.CLOSED);
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(5);
  }

  static void awaitReceived(String path, int n) {
    Awaitility.await().atMost(Duration.ofSeconds(5)).pollInSameThread()
        .pollInterval(Duration.ofMillis(2))
        .until(() -> count(getRequestedFor(urlEqualTo(path))) >= n);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anOpenBreakerRejectsWithAnIOExceptionNamingHostPolicyAndReason(Mode mode) throws Exception {
    sequence("GET", "/items", aResponse().withStatus(500));
    Harness h = new Harness(delegate, ResilientHttpClient.builder().policy(breaking()));
    for (int i = 0; i < 4; i++) {
      assertThat(mode.send(h, get("/items"), BodyHandlers.ofString()).statusCode()).isEqualTo(500);
    }

    String host = "127.0.0.1:" + server.port();
    assertThatThrownBy(() -> mode.send(h, get("/items"), BodyHandlers.ofString()))
        .isInstanceOfSatisfying(HttpRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN);
          assertThat(e.host()).isEqualTo(host);
          assertThat(e.policyName()).isEqualTo("inventory");
          assertThat(e.getCause()).isInstanceOf(RejectedException.class);
        })
        .hasMessage("GET http://" + host + "/items rejected for host '" + host
            + "' by policy 'inventory': circuit open");
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(4);
    assertThat(h.events(CircuitStateChanged.class)).singleElement().satisfies(e -> {
      assertThat(e.to()).isEqualTo(CircuitBreaker.State.OPEN);
      assertThat(e.tags()).containsEntry("host", host);
    });
    assertThat(h.events(CallRejected.class)).singleElement()
        .satisfies(e -> assertThat(e.reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void eachHostHasItsOwnBreaker(Mode mode) throws Exception {
    sequence("GET", "/items", aResponse().withStatus(500));
    Harness h = new Harness(delegate, ResilientHttpClient.builder().policy(breaking()));
    for (int i = 0; i < 4; i++) {
      mode.send(h, get("/items"), BodyHandlers.ofString());
    }
    // The same server under another authority is another host, with a closed breaker.
    HttpRequest viaLocalhost = HttpRequest.newBuilder(
        URI.create("http://localhost:" + server.port() + "/items")).build();

    assertThat(mode.send(h, viaLocalhost, BodyHandlers.ofString()).statusCode()).isEqualTo(500);
    assertThat(h.client.hostCount()).isEqualTo(2);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void trafficFlowsAgainOnceTheBreakHasPassedAndTheHostHealed(Mode mode) throws Exception {
    sequence("GET", "/items",
        aResponse().withStatus(503), aResponse().withStatus(503), aResponse().withStatus(503),
        aResponse().withStatus(503), aResponse().withStatus(200).withBody("healed"));
    Harness h = new Harness(delegate, ResilientHttpClient.builder().policy(breaking()));
    for (int i = 0; i < 4; i++) {
      mode.send(h, get("/items"), BodyHandlers.ofString());
    }
    assertThatThrownBy(() -> mode.send(h, get("/items"), BodyHandlers.ofString()))
        .isInstanceOf(HttpRejectedException.class);

    h.fake.advance(Duration.ofMillis(501));

    var response = mode.send(h, get("/items"), BodyHandlers.ofString());
    assertThat(response.body()).isEqualTo("healed");
    assertThat(h.events(CircuitStateChanged.class)).extracting(CircuitStateChanged::to)
        .containsExactly(CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN,
            CircuitBreaker.State.CLOSED);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFullConcurrencyLimitRejectsAtOnce(Mode mode) throws Exception {
    server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get("/slow")
        .willReturn(aResponse().withStatus(200).withFixedDelay(300)));
    Harness h = new Harness(delegate, ResilientHttpClient.builder().concurrencyLimit(1));
    CompletableFuture<HttpResponse<String>> first =
        h.client.sendAsync(get("/slow"), BodyHandlers.ofString());
    awaitReceived("/slow", 1);

    assertThatThrownBy(() -> mode.send(h, get("/slow"), BodyHandlers.ofString()))
        .isInstanceOfSatisfying(HttpRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.BULKHEAD_FULL))
        .hasMessageEndingWith("by policy 'default': bulkhead full");
    assertThat(first.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(count(getRequestedFor(urlEqualTo("/slow")))).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aHostRateLimitRejectsTheRequestBeyondIt(Mode mode) throws Exception {
    sequence("GET", "/items", aResponse().withStatus(200));
    Harness h = new Harness(delegate, ResilientHttpClient.builder()
        .policy(HttpPolicy.builder("paced")
            // One permit for the whole test: the second request is over the limit however slow
            // the machine is.
            .rateLimit(io.github.resilience4j.ratelimiter.RateLimiterConfig.custom()
                .limitForPeriod(1)
                .limitRefreshPeriod(Duration.ofHours(1))
                .timeoutDuration(Duration.ZERO)
                .build())
            .build()));

    assertThat(mode.send(h, get("/items"), BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> mode.send(h, get("/items"), BodyHandlers.ofString()))
        .isInstanceOfSatisfying(HttpRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.RATE_LIMITED));
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(1);
  }

  @Test
  void theTotalTimeoutCutsASyncCallInFlight() throws Exception {
    server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get("/slow")
        .willReturn(aResponse().withStatus(200).withFixedDelay(3_000)));
    Harness h = new Harness(delegate, ResilientHttpClient.builder());
    CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
      try {
        h.client.send(get("/slow"), BodyHandlers.ofString());
        return null;
      } catch (Exception e) {
        return e;
      }
    });
    awaitReceived("/slow", 1);

    h.fake.advance(Duration.ofSeconds(30));

    assertThat(outcome.get(5, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(HttpCallTimeoutException.class, e -> {
          assertThat(e.timeout()).isEqualTo(HttpCallTimeoutException.Timeout.TOTAL);
          assertThat(e).hasMessageEndingWith("by policy 'default': total timeout 30s");
        });
  }

  @Test
  void theTotalTimeoutCutsAnAsyncCallInFlight() throws Exception {
    server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get("/slow")
        .willReturn(aResponse().withStatus(200).withFixedDelay(3_000)));
    Harness h = new Harness(delegate, ResilientHttpClient.builder());
    CompletableFuture<HttpResponse<String>> f =
        h.client.sendAsync(get("/slow"), BodyHandlers.ofString());
    awaitReceived("/slow", 1);

    h.fake.advance(Duration.ofSeconds(30));

    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(HttpCallTimeoutException.class,
            e -> assertThat(e.timeout()).isEqualTo(HttpCallTimeoutException.Timeout.TOTAL));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void afterADrainRequestsAreRejectedAsShuttingDown(Mode mode) throws Exception {
    Harness h = new Harness(delegate, ResilientHttpClient.builder());

    DrainReport report = h.client.drain(Duration.ofSeconds(1));

    assertThat(report.inFlightAtStart()).isZero();
    assertThat(report.isClean()).isTrue();
    assertThatThrownBy(() -> mode.send(h, get("/items"), BodyHandlers.ofString()))
        .isInstanceOfSatisfying(HttpRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.SHUTTING_DOWN));
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isZero();
  }

  @Test
  void aDrainCutsARetryWaitShortAndTheCallEndsWithItsLastStatus() throws Exception {
    sequence("GET", "/items", aResponse().withStatus(503).withBody("busy"));
    Harness h = new Harness(delegate, ResilientHttpClient.builder());
    CompletableFuture<HttpResponse<String>> f =
        h.client.sendAsync(get("/items"), BodyHandlers.ofString());
    Awaitility.await().atMost(Duration.ofSeconds(5)).pollInSameThread()
        .until(() -> h.fake.pendingTasks() > 1);

    DrainReport report = h.client.drain(Duration.ofSeconds(1));

    assertThat(report.retriesCutShort()).isEqualTo(1);
    assertThat(report.stillRunning()).isZero();
    HttpResponse<String> response = f.get(5, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void closeDrainsAndLaterRequestsAreRejected(Mode mode) throws Exception {
    sequence("GET", "/items", aResponse().withStatus(200));
    Harness h = new Harness(delegate, ResilientHttpClient.builder());
    assertThat(mode.send(h, get("/items"), BodyHandlers.ofString()).statusCode()).isEqualTo(200);

    h.client.close();
    h.client.close();

    assertThatThrownBy(() -> mode.send(h, get("/items"), BodyHandlers.ofString()))
        .isInstanceOfSatisfying(HttpRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.SHUTTING_DOWN));
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(1);
  }
}
