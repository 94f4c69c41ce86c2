package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.RejectionReason;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The fault scenarios the standard defaults were chosen for, against a real local server. */
@ExtendWith(LeakCheck.class)
class StandardDefaultsTest {
  private static final HttpClient DELEGATE =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private Upstream upstream;
  private Harness h;

  @BeforeEach
  void start() throws Exception {
    upstream = new Upstream((n, e) -> new Upstream.Answer(200, "ok"));
    h = new Harness(DELEGATE, ResilientHttpClient.builder());
  }

  @AfterEach
  void stop() throws Exception {
    upstream.close();
  }

  @Test
  void twentyPercentTransient503sAreAbsorbedWithLittleAmplification() throws Exception {
    Random random = new Random(42);
    upstream.script((n, e) -> random.nextInt(100) < 20
        ? new Upstream.Answer(503, "busy") : new Upstream.Answer(200, "ok"));
    int calls = 1000;
    int ok = 0;
    HttpRequest request = HttpRequest.newBuilder(upstream.uri("/items")).build();
    for (int i = 0; i < calls; i++) {
      // Calls arrive 10 ms apart on the fake clock; backoff waits pass on it too.
      h.fake.advance(Duration.ofMillis(10));
      if (h.client.send(request, BodyHandlers.ofString()).statusCode() == 200) {
        ok++;
      }
    }

    double success = ok / (double) calls;
    double amplification = upstream.requests.get() / (double) calls;
    assertThat(success).isGreaterThanOrEqualTo(0.995);
    assertThat(amplification).isLessThanOrEqualTo(1.3);
    assertThat(h.client.hostPolicy("GET", upstream.uri("/items")).orElseThrow()
        .circuitBreaker().orElseThrow().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void anOutageAfterAHealthyStretchIsCutOffQuicklyAndTrafficFlowsAgainSoonAfterHealing()
      throws Exception {
    HttpRequest request = HttpRequest.newBuilder(upstream.uri("/items")).build();
    // Three healthy seconds at 100 calls a second fill the breaker's window with successes.
    upstream.script((n, e) -> new Upstream.Answer(200, "ok"));
    runOpenLoop(request, 300);
    assertThat(upstream.requests.get()).isEqualTo(300);

    // Then six seconds of outage: every request answered 503.
    upstream.script((n, e) -> new Upstream.Answer(503, "down"));
    int before = upstream.requests.get();
    List<CompletableFuture<HttpResponse<String>>> outage = runOpenLoop(request, 600);
    int duringOutage = upstream.requests.get() - before;
    int rejected = 0;
    for (CompletableFuture<HttpResponse<String>> f : outage) {
      try {
        assertThat(f.get(1, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOfSatisfying(HttpRejectedException.class,
            r -> assertThat(r.reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN));
        rejected++;
      }
    }
    // The count window forgets the healthy past as fast as failures replace it: about 25 failed
    // attempts open the breaker, then one probe per 300 ms break. An unprotected client would
    // have sent 600 requests; a 30 s time window full of successes would have let hundreds through.
    assertThat(duringOutage).isLessThanOrEqualTo(60);
    assertThat(rejected).isGreaterThan(500);

    upstream.script((n, e) -> new Upstream.Answer(200, "ok"));
    // The host healed. Within 0.4 s (40 calls) the breaker's next probe closes it again.
    List<Boolean> served = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      h.fake.advance(Duration.ofMillis(10));
      try {
        served.add(h.client.send(request, BodyHandlers.ofString()).statusCode() == 200);
      } catch (HttpRejectedException e) {
        served.add(false);
      }
    }
    assertThat(served.subList(40, 100)).containsOnly(true);
    assertThat(h.client.hostPolicy("GET", upstream.uri("/items")).orElseThrow()
        .circuitBreaker().orElseThrow().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  /**
   * Sends {@code calls} requests at 100 a second of fake time (open loop: one every 10 ms whatever
   * the earlier ones are doing, backoffs included), then lets their backoff timers fire until all
   * have finished. Before the fake clock moves on, the attempts on the wire are let finish (on
   * loopback an answer takes far less than 10 ms), so fake time never outruns the real responses.
   * Bounded: 20 s of real time.
   */
  private List<CompletableFuture<HttpResponse<String>>> runOpenLoop(HttpRequest request, int calls)
      throws InterruptedException {
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      h.fake.advance(Duration.ofMillis(10));
      futures.add(h.client.sendAsync(request, BodyHandlers.ofString()));
      awaitNoAttemptOnTheWire(request);
    }
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!futures.stream().allMatch(CompletableFuture::isDone) && System.nanoTime() < end) {
      Thread.sleep(2);
      h.fake.advance(Duration.ofMillis(10));
    }
    assertThat(futures).allMatch(CompletableFuture::isDone);
    return futures;
  }

  private void awaitNoAttemptOnTheWire(HttpRequest request) throws InterruptedException {
    io.github.resilience4j.bulkhead.Bulkhead concurrency = h.client.hostPolicy("GET", request.uri())
        .orElseThrow().bulkhead().orElseThrow();
    int limit = concurrency.getBulkheadConfig().getMaxConcurrentCalls();
    long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (concurrency.getMetrics().getAvailableConcurrentCalls() < limit
        && System.nanoTime() < end) {
      Thread.sleep(0, 100_000);
    }
  }

  @Test
  void intermediateResponsesWithinTheDrainBoundAreDrainedSoTheConnectionIsReused()
      throws Exception {
    upstream.script((n, e) -> n < 3
        ? new Upstream.Answer(503, "x".repeat(8 * 1024)) : new Upstream.Answer(200, "ok"));
    HttpRequest request = HttpRequest.newBuilder(upstream.uri("/items")).build();

    assertThat(h.client.send(request, BodyHandlers.ofString()).body()).isEqualTo("ok");
    assertThat(upstream.requests.get()).isEqualTo(3);
    assertThat(upstream.clientPorts).hasSize(1);
  }

  @Test
  void aStandardClientReportsTheDelegatesSettings() {
    ResilientHttpClient client = ResilientHttpClient.builder().delegate(DELEGATE).build();

    assertThat(client.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(client.followRedirects()).isEqualTo(DELEGATE.followRedirects());
    assertThat(client.connectTimeout()).isEqualTo(DELEGATE.connectTimeout());
    assertThat(client.sslContext()).isSameAs(DELEGATE.sslContext());
    assertThat(client.delegate()).isSameAs(DELEGATE);
    assertThat(client.policy()).isSameAs(HttpPolicy.standard());
  }

  @Test
  void theStandardPolicyHoldsTheDocumentedDefaults() {
    HttpPolicy p = HttpPolicy.standard();

    assertThat(p.maxRetries()).isEqualTo(3);
    assertThat(p.initialBackoff()).isEqualTo(Duration.ofMillis(200));
    assertThat(p.maxBackoff()).isEqualTo(Duration.ofSeconds(5));
    assertThat(p.jitter()).isEqualTo(0.5);
    assertThat(p.attemptTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(p.totalTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.maxRetryAfter()).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.failureRateThreshold()).isEqualTo(50f);
    assertThat(p.breakerWindow()).isEmpty();
    assertThat(p.breakerWindowCalls()).isEqualTo(50);
    assertThat(p.minimumCalls()).isEqualTo(50);
    assertThat(p.breakDuration()).isEqualTo(Duration.ofMillis(300));
    assertThat(p.halfOpenCalls()).isEqualTo(1);
    assertThat(p.budgetRatio()).isEqualTo(0.3);
    assertThat(p.rateLimiter()).isEmpty();
    assertThat(p.retryNonIdempotent()).isFalse();
  }

  @Test
  void aDelegateThatIsItselfResilientIsRefused() {
    ResilientHttpClient inner = ResilientHttpClient.builder().delegate(DELEGATE).build();

    assertThatThrownBy(() -> ResilientHttpClient.builder().delegate(inner))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("delegate must not be a ResilientHttpClient");
  }
}
