package dev.riprap.spring.boot;

import static dev.riprap.spring.boot.HttpClientsTestSupport.ATTEMPTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.RejectionReason;
import dev.riprap.event.CallCompleted;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.HttpRejectedException;
import dev.riprap.http.ResilientHttpClient;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/** Spring's RestClient, from Boot's builder, sends through the ResilientHttpClient bean. */
class RestClientTest {
  private final Upstream upstream = Upstream.start();
  private final ApplicationContextRunner runner =
      HttpClientsTestSupport.runner(RestClientAutoConfiguration.class)
          .withBean(RiprapHttpClientCustomizer.class, HttpClientsTestSupport::threeAttempts);

  @AfterEach
  void stopUpstream() {
    upstream.close();
  }

  private RestClient restClient(org.springframework.context.ApplicationContext context) {
    return context.getBean(RestClient.Builder.class).baseUrl(upstream.base()).build();
  }

  @Test
  void anAlwaysFailingEndpointReceivesExactlyTheConfiguredAttempts() {
    runner.run(
        context -> {
          RestClient rest = restClient(context);
          assertThatThrownBy(() -> rest.get().uri("/always-503").retrieve().body(String.class))
              .isInstanceOf(HttpServerErrorException.ServiceUnavailable.class);
          assertThat(upstream.count("/always-503")).isEqualTo(ATTEMPTS);
        });
  }

  @Test
  void aFlakyEndpointIsRetriedUntilItAnswers() {
    runner.run(
        context -> {
          assertThat(restClient(context).get().uri("/flaky").retrieve().body(String.class))
              .isEqualTo("recovered");
          assertThat(upstream.count("/flaky")).isEqualTo(3);
        });
  }

  @Test
  void theHostsBreakerOpensAndRefusesWithoutSending() {
    ApplicationContextRunner breaker =
        runner.withBean(
            "breaker",
            RiprapHttpClientCustomizer.class,
            () ->
                client ->
                    client.policy(
                        HttpPolicy.builder("upstream")
                            .maxRetries(0)
                            .circuitBreaker(50, 4, Duration.ofMinutes(10))
                            .noProbeWait()
                            .build()));
    breaker.run(
        context -> {
          RestClient rest = restClient(context);
          for (int i = 0; i < 4; i++) {
            assertThatThrownBy(() -> rest.get().uri("/always-503").retrieve().body(String.class))
                .isInstanceOf(HttpServerErrorException.ServiceUnavailable.class);
          }
          assertThatThrownBy(() -> rest.get().uri("/always-503").retrieve().body(String.class))
              .isInstanceOf(ResourceAccessException.class)
              .cause()
              .isInstanceOfSatisfying(
                  HttpRejectedException.class,
                  e -> assertThat(e.reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN));
          assertThat(upstream.count("/always-503")).isEqualTo(4);
        });
  }

  @Test
  void theServersRetryAfterIsTheWait() {
    runner.run(
        context -> {
          List<HttpClientsTestSupport.WaitSource> waits =
              HttpClientsTestSupport.retryWaits(context.getBean(ResilientHttpClient.class));
          assertThatThrownBy(
                  () -> restClient(context).get().uri("/retry-after").retrieve().toBodilessEntity())
              .isInstanceOf(HttpServerErrorException.ServiceUnavailable.class);
          assertThat(waits)
              .containsExactly(
                  HttpClientsTestSupport.WaitSource.RETRY_AFTER, HttpClientsTestSupport.WaitSource.RETRY_AFTER);
          assertThat(upstream.count("/retry-after")).isEqualTo(ATTEMPTS);
        });
  }

  @Test
  void springsReadTimeoutBoundsTheWholeCallAndEndsRipapsCall() {
    runner
        .withPropertyValues("spring.http.clients.read-timeout=300ms")
        .run(
            context -> {
              ResilientHttpClient client = context.getBean(ResilientHttpClient.class);
              CompletableFuture<CallCompleted> ended =
                  HttpClientsTestSupport.nextCompletion(client);
              assertThatThrownBy(
                      () -> restClient(context).get().uri("/hang").retrieve().body(String.class))
                  .isInstanceOf(ResourceAccessException.class)
                  .hasRootCauseInstanceOf(HttpTimeoutException.class);
              // Spring cancelled the exchange: Riprap's call ended there, with no retry.
              CallCompleted completed = ended.get(10, TimeUnit.SECONDS);
              assertThat(completed.attempts()).isEqualTo(1);
              assertThat(upstream.count("/hang")).isEqualTo(1);
            });
  }

  @Test
  void springsHttpClientSettingsReachTheDelegate() {
    runner
        .withPropertyValues(
            "spring.http.clients.connect-timeout=3s", "spring.http.clients.redirects=dont-follow")
        .run(
            context -> {
              ResilientHttpClient client = context.getBean(ResilientHttpClient.class);
              assertThat(client.connectTimeout()).contains(Duration.ofSeconds(3));
              assertThat(client.followRedirects())
                  .isEqualTo(java.net.http.HttpClient.Redirect.NEVER);
            });
  }

  @Test
  void theCustomizerGivesWayToTheApplications() {
    runner
        .withBean(
            RiprapRestClientCustomizer.class,
            () -> new RiprapRestClientCustomizer(java.net.http.HttpClient.newHttpClient(), null))
        .run(
            context -> {
              assertThatThrownBy(
                      () ->
                          restClient(context)
                              .get()
                              .uri("/always-503")
                              .retrieve()
                              .body(String.class))
                  .isInstanceOf(HttpServerErrorException.ServiceUnavailable.class);
              // The application's customizer, with a plain client: one request, no retries.
              assertThat(upstream.count("/always-503")).isEqualTo(1);
            });
  }
}
