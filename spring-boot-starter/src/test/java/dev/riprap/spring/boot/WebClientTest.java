package dev.riprap.spring.boot;

import static dev.riprap.spring.boot.HttpClientsTestSupport.ATTEMPTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.event.CallCompleted;
import dev.riprap.http.ResilientHttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.context.ApplicationContext;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;

/**
 * Spring's WebClient, from Boot's builder, sends through the ResilientHttpClient bean (no Netty).
 */
class WebClientTest {
  private static final Duration BLOCK = Duration.ofSeconds(20);

  private final Upstream upstream = Upstream.start();
  private final ApplicationContextRunner runner =
      HttpClientsTestSupport.runner(WebClientAutoConfiguration.class)
          .withBean(RiprapHttpClientCustomizer.class, HttpClientsTestSupport::threeAttempts);

  @AfterEach
  void stopUpstream() {
    upstream.close();
  }

  private WebClient webClient(ApplicationContext context) {
    return context.getBean(WebClient.Builder.class).baseUrl(upstream.base()).build();
  }

  @Test
  void anAlwaysFailingEndpointReceivesExactlyTheConfiguredAttempts() {
    runner.run(
        context -> {
          assertThatThrownBy(
                  () ->
                      webClient(context)
                          .get()
                          .uri("/always-503")
                          .retrieve()
                          .bodyToMono(String.class)
                          .block(BLOCK))
              .isInstanceOf(WebClientResponseException.ServiceUnavailable.class);
          assertThat(upstream.count("/always-503")).isEqualTo(ATTEMPTS);
        });
  }

  @Test
  void aFlakyEndpointIsRetriedAndTheServersRetryAfterIsTheWait() {
    runner.run(
        context -> {
          List<HttpClientsTestSupport.WaitSource> waits =
              HttpClientsTestSupport.retryWaits(context.getBean(ResilientHttpClient.class));
          WebClient web = webClient(context);
          assertThat(web.get().uri("/flaky").retrieve().bodyToMono(String.class).block(BLOCK))
              .isEqualTo("recovered");
          assertThat(upstream.count("/flaky")).isEqualTo(3);
          assertThatThrownBy(
                  () -> web.get().uri("/retry-after").retrieve().toBodilessEntity().block(BLOCK))
              .isInstanceOf(WebClientResponseException.ServiceUnavailable.class);
          assertThat(waits)
              .containsExactly(
                  HttpClientsTestSupport.WaitSource.BACKOFF,
                  HttpClientsTestSupport.WaitSource.BACKOFF,
                  HttpClientsTestSupport.WaitSource.RETRY_AFTER,
                  HttpClientsTestSupport.WaitSource.RETRY_AFTER);
        });
  }

  @Test
  void reactorsTimeoutCancelsTheExchangeAndEndsRipapsCall() {
    runner.run(
        context -> {
          CompletableFuture<CallCompleted> ended =
              HttpClientsTestSupport.nextCompletion(context.getBean(ResilientHttpClient.class));
          assertThatThrownBy(
                  () ->
                      webClient(context)
                          .get()
                          .uri("/hang")
                          .retrieve()
                          .bodyToMono(String.class)
                          .timeout(Duration.ofMillis(300))
                          .block(BLOCK))
              .hasCauseInstanceOf(TimeoutException.class);
          CallCompleted completed = ended.get(10, TimeUnit.SECONDS);
          assertThat(completed.attempts()).isEqualTo(1);
          assertThat(upstream.count("/hang")).isEqualTo(1);
        });
  }

  @Test
  void theConnectorIsTheJdkOneAroundTheResilientClient() {
    runner.run(
        context -> {
          WebClient.Builder builder = context.getBean(WebClient.Builder.class);
          Object[] connector = new Object[1];
          builder.clone().apply(b -> connector[0] = connectorOf(b));
          assertThat(context).hasSingleBean(RiprapWebClientCustomizer.class);
          assertThat(connector[0]).isInstanceOf(JdkClientHttpConnector.class);
        });
  }

  private static Object connectorOf(WebClient.Builder builder) {
    try {
      var field = builder.getClass().getDeclaredField("connector");
      field.setAccessible(true);
      return field.get(builder);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
