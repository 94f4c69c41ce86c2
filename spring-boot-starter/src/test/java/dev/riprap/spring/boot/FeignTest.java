package dev.riprap.spring.boot;

import static dev.riprap.spring.boot.HttpClientsTestSupport.ATTEMPTS;
import static dev.riprap.spring.boot.HttpClientsTestSupport.threeAttemptsClient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.http.HttpPolicy;
import dev.riprap.http.ResilientHttpClient;
import feign.Feign;
import feign.FeignException;
import feign.Request;
import feign.RequestLine;
import feign.http2client.Http2Client;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Feign through Riprap: counted at a real server, one call to an always-503 endpoint sends exactly
 * the configured attempts.
 */
class FeignTest {
  interface Upstream503 {
    @RequestLine("GET /always-503")
    String alwaysDown();

    @RequestLine("GET /always-503")
    String alwaysDown(Request.Options options);

    @RequestLine("GET /retry-after")
    String retryAfter();

    @RequestLine("GET /flaky")
    String flaky();
  }

  private final Upstream upstream = Upstream.start();

  @AfterEach
  void stopUpstream() {
    upstream.close();
  }

  @Test
  void theSetupAFeignUserWritesFirstSendsAroundRiprap() {
    // The regression this factory exists for: feign-java11 finds the client's settings different
    // from its default Request.Options and sends through a plain HttpClient of its own.
    Upstream503 naive =
        Feign.builder()
            .client(new Http2Client(threeAttemptsClient()))
            .target(Upstream503.class, upstream.base());
    assertThatThrownBy(naive::alwaysDown).isInstanceOf(FeignException.ServiceUnavailable.class);
    assertThat(upstream.count("/always-503")).isEqualTo(1);
  }

  @Test
  void anAlwaysFailingEndpointReceivesExactlyTheConfiguredAttempts() {
    Upstream503 api =
        RiprapFeign.builder(threeAttemptsClient()).target(Upstream503.class, upstream.base());
    assertThatThrownBy(api::alwaysDown).isInstanceOf(FeignException.ServiceUnavailable.class);
    assertThat(upstream.count("/always-503")).isEqualTo(ATTEMPTS);
  }

  @Test
  void aRetryAfterResponseIsNotRetriedAgainByFeign() {
    // Feign's default Retryer would retry this 503 itself (it carries Retry-After): 5 x 3 requests.
    Upstream503 api =
        RiprapFeign.builder(threeAttemptsClient()).target(Upstream503.class, upstream.base());
    assertThatThrownBy(api::retryAfter).isInstanceOf(FeignException.class);
    assertThat(upstream.count("/retry-after")).isEqualTo(ATTEMPTS);
  }

  @Test
  void feignsDefaultRetryerWouldMultiplyTheAttempts() {
    ResilientHttpClient client = threeAttemptsClient();
    Upstream503 multiplied =
        Feign.builder()
            .client(RiprapFeign.client(client))
            .options(RiprapFeign.options(client))
            .target(Upstream503.class, upstream.base());
    assertThatThrownBy(multiplied::retryAfter).isInstanceOf(FeignException.class);
    // Retryer.Default makes 5 attempts, each of them Riprap's 3.
    assertThat(upstream.count("/retry-after")).isEqualTo(5 * ATTEMPTS);
  }

  @Test
  void aFlakyEndpointIsRetriedUntilItAnswers() {
    Upstream503 api =
        RiprapFeign.builder(threeAttemptsClient()).target(Upstream503.class, upstream.base());
    assertThat(api.flaky()).isEqualTo("recovered");
    assertThat(upstream.count("/flaky")).isEqualTo(3);
  }

  @Test
  void optionsGivenPerCallCannotSendAroundRiprap() {
    Upstream503 api =
        RiprapFeign.builder(threeAttemptsClient()).target(Upstream503.class, upstream.base());
    Request.Options other = new Request.Options(1, TimeUnit.SECONDS, 2, TimeUnit.SECONDS, true);
    assertThatThrownBy(() -> api.alwaysDown(other))
        .isInstanceOf(FeignException.ServiceUnavailable.class);
    assertThat(upstream.count("/always-503")).isEqualTo(ATTEMPTS);
  }

  @Test
  void theOptionsAreTheClientsSettingsAndTheAttemptTimeout() {
    ResilientHttpClient client =
        ResilientHttpClient.builder()
            .delegate(
                HttpClient.newBuilder()
                    .connectTimeout(Duration.ofMillis(2500))
                    .followRedirects(HttpClient.Redirect.ALWAYS)
                    .build())
            .policy(HttpPolicy.builder("p").attemptTimeout(Duration.ofSeconds(4)).build())
            .build();
    Request.Options options = RiprapFeign.options(client);
    assertThat(options.connectTimeoutMillis()).isEqualTo(2500);
    assertThat(options.readTimeoutMillis()).isEqualTo(4000);
    assertThat(options.isFollowRedirects()).isTrue();
  }

  @Test
  void aClientWithoutAConnectTimeoutIsRefusedWhenTheFeignClientIsBuilt() {
    ResilientHttpClient noConnectTimeout = ResilientHttpClient.standard();
    assertThatThrownBy(() -> RiprapFeign.builder(noConnectTimeout))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "client: Feign's Http2Client sends around a client without a connect timeout");
  }

  @Test
  void aConnectTimeoutFeignCannotExpressIsRefused() {
    ResilientHttpClient huge =
        ResilientHttpClient.builder()
            .delegate(HttpClient.newBuilder().connectTimeout(Duration.ofDays(30)).build())
            .build();
    assertThatThrownBy(() -> RiprapFeign.client(huge))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "client: expected a connect timeout of at most 2147483647 ms (Feign counts it in an"
                + " int), was PT720H");
  }
}
