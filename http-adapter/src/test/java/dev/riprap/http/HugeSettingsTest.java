package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.WireMock;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Durations that mean "forever" build a client whose requests work, never an overflow. */
class HugeSettingsTest extends WireMockSupport {
  static final Duration FOREVER = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);

  /** Every duration of the policy past 292 years, written the usual ways. */
  static HttpPolicy forever() {
    return HttpPolicy.builder("forever")
        .backoff(FOREVER, FOREVER)
        .attemptTimeout(Duration.parse("PT2562048H"))
        .totalTimeout(Duration.ofDays(200_000))
        .maxRetryAfter(Duration.ofMillis(Long.MAX_VALUE))
        .circuitBreaker(50, 20, FOREVER)
        .awaitProbe(FOREVER)
        .rateLimit(100, FOREVER)
        .build();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aPolicyOfHugeDurationsBuildsAndARequestSucceeds(Mode mode) throws Exception {
    server.stubFor(WireMock.get(urlEqualTo("/items")).willReturn(aResponse().withStatus(200).withBody("7")));
    Harness h =
        new Harness(
            delegate, ResilientHttpClient.builder().policy(forever()).hostIdleTimeout(FOREVER));

    assertThat(mode.send(h, get("/items"), BodyHandlers.ofString()).body())
        .isEqualTo("7");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRequestCarryingAHugeTimeoutSucceeds(Mode mode) throws Exception {
    server.stubFor(WireMock.get(urlEqualTo("/items")).willReturn(aResponse().withStatus(200).withBody("7")));
    Harness h = new Harness(delegate, ResilientHttpClient.builder());
    HttpRequest request =
        HttpRequest.newBuilder(uri("/items")).timeout(Duration.ofDays(200_000)).GET().build();

    assertThat(mode.send(h, request, BodyHandlers.ofString()).body()).isEqualTo("7");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aHugeBackoffPastTheTotalTimeoutEndsTheCallWithItsAnswerAtOnce(Mode mode) throws Exception {
    server.stubFor(WireMock.get(urlEqualTo("/items")).willReturn(aResponse().withStatus(503)));
    HttpPolicy policy =
        HttpPolicy.builder("slow-retries")
            .backoff(Duration.ofDays(200_000), FOREVER)
            .attemptTimeout(Duration.ofSeconds(1))
            .totalTimeout(Duration.ofSeconds(2))
            .build();
    Harness h = new Harness(delegate, ResilientHttpClient.builder().policy(policy));

    assertThat(mode.send(h, get("/items"), BodyHandlers.ofString()).statusCode())
        .isEqualTo(503);
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(1);
    assertThat(h.fake.nanoTime()).isZero();
  }
}
