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
  void afterAFullOutageTrafficFlowsAgainWithinOneSecondOfHealing() throws Exception {
    upstream.script((n, e) -> new Upstream.Answer(503, "down"));
    HttpRequest request = HttpRequest.newBuilder(upstream.uri("/items")).build();
    int calls = 300;
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    // 100 calls a second on the fake clock; their backoff timers fire as it moves.
    for (int i = 0; i < calls; i++) {
      h.fake.advance(Duration.ofMillis(10));
      futures.add(h.client.sendAsync(request, BodyHandlers.ofString()));
    }
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!futures.stream().allMatch(CompletableFuture::isDone) && System.nanoTime() < end) {
      Thread.sleep(2);
      h.fake.advance(Duration.ofMillis(10));
    }
    int rejected = 0;
    for (CompletableFuture<HttpResponse<String>> f : futures) {
      try {
        assertThat(f.get(1, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOfSatisfying(HttpRejectedException.class,
            r -> assertThat(r.reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN));
        rejected++;
      }
    }
    assertThat(rejected).isPositive();
    // The retry budget (30% of calls plus its reserve of 100) keeps the outage from multiplying
    // the load by the number of attempts.
    assertThat(upstream.requests.get()).isLessThanOrEqualTo((int) (calls * 1.3) + 100);

    upstream.script((n, e) -> new Upstream.Answer(200, "ok"));
    // The host healed. Over the next second (100 calls), the breaker must let traffic through again:
    // at worst a half-open round that straddled the healing opens it once more for 500 ms.
    List<Boolean> served = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      h.fake.advance(Duration.ofMillis(10));
      try {
        served.add(h.client.send(request, BodyHandlers.ofString()).statusCode() == 200);
      } catch (HttpRejectedException e) {
        served.add(false);
      }
    }
    assertThat(served.subList(70, 100)).containsOnly(true);
    assertThat(h.client.hostPolicy("GET", upstream.uri("/items")).orElseThrow()
        .circuitBreaker().orElseThrow().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void intermediateResponsesAreDrainedSoTheConnectionIsReused() throws Exception {
    upstream.script((n, e) -> n < 3
        ? new Upstream.Answer(503, "x".repeat(10_000)) : new Upstream.Answer(200, "ok"));
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
    assertThat(p.breakerWindow()).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.minimumCalls()).isEqualTo(100);
    assertThat(p.breakDuration()).isEqualTo(Duration.ofMillis(500));
    assertThat(p.halfOpenCalls()).isEqualTo(10);
    assertThat(p.budgetRatio()).isEqualTo(0.3);
    assertThat(p.permitsPerSecond()).isZero();
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
