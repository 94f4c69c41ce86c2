package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.RetriesExhaustedException;
import dev.riprap.event.RetryScheduled;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What a caller catches: one timeout type naming which timeout fired; exhausted retries named. */
class FailureTypesTest extends WireMockSupport {

  /** A port on 127.0.0.1 where nothing listens: connections are refused. */
  private static URI refusing() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return URI.create("http://127.0.0.1:" + s.getLocalPort() + "/pay");
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theAttemptTimeoutEndsACallAsAnHttpCallTimeoutExceptionNamingIt(Mode mode) {
    sequence("GET", "/slow", aResponse().withStatus(200).withFixedDelay(3_000));
    Harness h = RetryTest.harness(RetryTest.exact().maxRetries(0)
        .attemptTimeout(Duration.ofMillis(100)).totalTimeout(Duration.ofMillis(150)).build());

    assertThatThrownBy(() -> mode.send(h, get("/slow"), BodyHandlers.ofString()))
        .isInstanceOfSatisfying(HttpCallTimeoutException.class, e -> {
          assertThat(e.timeout()).isEqualTo(HttpCallTimeoutException.Timeout.ATTEMPT);
          assertThat(e.configured()).isEqualTo(Duration.ofMillis(100));
          assertThat(e).hasMessage("GET " + uri("/slow") + " timed out for host '127.0.0.1:"
              + server.port() + "' by policy 'test': attempt timeout 100ms");
          assertThat(e).hasCauseInstanceOf(HttpTimeoutException.class);
        });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theShorterOfTheRequestsOwnTimeoutAndTheAttemptTimeoutBoundsAnAttempt(Mode mode) {
    sequence("GET", "/slow", aResponse().withStatus(200).withFixedDelay(3_000));
    // The request asks 60 s, as Feign does; the policy's 100 ms attempt timeout wins.
    Harness h = RetryTest.harness(RetryTest.exact().maxRetries(0)
        .attemptTimeout(Duration.ofMillis(100)).build());
    HttpRequest sixtySeconds = HttpRequest.newBuilder(uri("/slow"))
        .timeout(Duration.ofSeconds(60)).build();

    assertThatThrownBy(() -> mode.send(h, sixtySeconds, BodyHandlers.ofString()))
        .isInstanceOfSatisfying(HttpCallTimeoutException.class,
            e -> assertThat(e.timeout()).isEqualTo(HttpCallTimeoutException.Timeout.ATTEMPT));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aShorterRequestTimeoutIsNamedAsTheRequests(Mode mode) {
    sequence("GET", "/slow", aResponse().withStatus(200).withFixedDelay(3_000));
    Harness h = RetryTest.harness(RetryTest.exact().maxRetries(0).build());
    HttpRequest quick = HttpRequest.newBuilder(uri("/slow"))
        .timeout(Duration.ofMillis(100)).build();

    assertThatThrownBy(() -> mode.send(h, quick, BodyHandlers.ofString()))
        .isInstanceOfSatisfying(HttpCallTimeoutException.class, e -> {
          assertThat(e.timeout()).isEqualTo(HttpCallTimeoutException.Timeout.REQUEST);
          assertThat(e).hasMessageEndingWith("request timeout 100ms");
        });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRefusedConnectionIsRetriedForAPostAndStaysAConnectExceptionNamingTheAttempts(Mode mode)
      throws Exception {
    URI down = refusing();
    Harness h = RetryTest.harness(RetryTest.exact().maxRetries(2).build());
    HttpRequest post = HttpRequest.newBuilder(down)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> null)).build();

    assertThatThrownBy(() -> mode.send(h, post, BodyHandlers.ofString()))
        .isInstanceOfSatisfying(ConnectException.class, e -> {
          assertThat(e).hasMessageStartingWith("POST " + down + " failed after 3 attempts (host '"
              + down.getRawAuthority() + "', policy 'test')");
          assertThat(e).hasCauseInstanceOf(ConnectException.class);
          assertThat(Arrays.asList(e.getSuppressed()))
              .anySatisfy(s -> assertThat(s).isInstanceOfSatisfying(
                  RetriesExhaustedException.class, r -> assertThat(r.attempts()).isEqualTo(3)))
              .hasSizeBetween(2, 16);
        });
    // Nothing was sent: each refusal was retried, though a POST without a key.
    assertThat(h.events(RetryScheduled.class)).hasSize(2);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aSingleFailedAttemptReachesTheCallerAsItCame(Mode mode) throws Exception {
    URI down = refusing();
    Harness h = RetryTest.harness(RetryTest.exact().maxRetries(0).build());

    assertThatThrownBy(() -> mode.send(h, HttpRequest.newBuilder(down).build(),
            BodyHandlers.ofString()))
        .isInstanceOf(ConnectException.class)
        .hasNoSuppressedExceptions();
    assertThat(count(getRequestedFor(urlEqualTo("/pay")))).isZero();
  }
}
