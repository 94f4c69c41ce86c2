package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.RejectionReason;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The Java 21 lifecycle, as Riprap's own and consistent with drain and close, on Java 17 too. */
class LifecycleTest extends WireMockSupport {

  /**
   * A delegate of the test's own: on Java 21 and later, shutting the client down shuts its
   * delegate down too, which must not be the class's shared one.
   */
  private static HttpClient fresh() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void afterShutdownANewRequestIsRejectedAndNothingIsSent(Mode mode) throws Exception {
    sequence("GET", "/items", aResponse().withStatus(200).withBody("ok"));
    Harness h = new Harness(fresh(), ResilientHttpClient.builder().policy(RetryTest.exact().build()));

    h.client.shutdown();

    assertThatThrownBy(() -> mode.send(h, get("/items"), BodyHandlers.ofString()))
        .isInstanceOfSatisfying(HttpRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.SHUTTING_DOWN));
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isZero();
    assertThat(h.client.isTerminated()).isTrue();
    assertThat(h.client.awaitTermination(Duration.ZERO)).isTrue();
  }

  @Test
  void aRequestInFlightRunsToItsEndAfterShutdownAndTerminationWaitsForIt() throws Exception {
    sequence("GET", "/slow", aResponse().withStatus(200).withBody("late").withFixedDelay(300));
    // Real time: awaitTermination waits on the client's clock.
    ResilientHttpClient client = ResilientHttpClient.builder().delegate(fresh())
        .policy(RetryTest.exact().build()).build();
    CompletableFuture<HttpResponse<String>> inFlight = slowRequestOnTheWire(client);

    client.shutdown();

    assertThat(client.isTerminated()).isFalse();
    assertThat(client.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(inFlight.get(10, TimeUnit.SECONDS).body()).isEqualTo("late");
    assertThat(client.isTerminated()).isTrue();
  }

  @Test
  void aClientIsTerminatedAfterCloseAndNotBeforeAnyShutdown() throws Exception {
    Harness h = new Harness(fresh(), ResilientHttpClient.builder().policy(RetryTest.exact().build()));

    assertThat(h.client.isTerminated()).isFalse();
    assertThat(h.client.awaitTermination(Duration.ZERO)).isFalse();
    h.client.close();

    assertThat(h.client.isTerminated()).isTrue();
  }

  @Test
  void shutdownNowRejectsNewRequestsAsShutdownDoes() throws Exception {
    Harness h = new Harness(fresh(), ResilientHttpClient.builder().policy(RetryTest.exact().build()));

    h.client.shutdownNow();

    assertThatThrownBy(() -> h.client.send(get("/items"), BodyHandlers.ofString()))
        .isInstanceOf(HttpRejectedException.class);
    assertThat(h.client.isTerminated()).isTrue();
  }

  @Test
  void onJava21AndLaterShutdownNowAbortsARequestInFlightWithoutARetry() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(hasShutdownNow(),
        "HttpClient.shutdownNow() exists from Java 21");
    sequence("GET", "/slow", aResponse().withStatus(200).withFixedDelay(5_000));
    ResilientHttpClient client = ResilientHttpClient.builder().delegate(fresh())
        .policy(RetryTest.exact().build()).build();
    CompletableFuture<HttpResponse<String>> inFlight = slowRequestOnTheWire(client);

    client.shutdownNow();

    assertThatThrownBy(() -> inFlight.get(4, TimeUnit.SECONDS))
        .isInstanceOf(java.util.concurrent.ExecutionException.class)
        .cause().isInstanceOf(java.io.IOException.class);
    assertThat(count(getRequestedFor(urlEqualTo("/slow")))).isEqualTo(1);
  }

  /** Sends GET /slow on real time and returns once the server has it. */
  private static CompletableFuture<HttpResponse<String>> slowRequestOnTheWire(
      ResilientHttpClient client) throws InterruptedException {
    CompletableFuture<HttpResponse<String>> inFlight =
        client.sendAsync(get("/slow"), BodyHandlers.ofString());
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .pollInterval(java.time.Duration.ofMillis(1))
        .until(() -> count(getRequestedFor(urlEqualTo("/slow"))) > 0);
    return inFlight;
  }

  private static boolean hasShutdownNow() {
    try {
      HttpClient.class.getMethod("shutdownNow");
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
