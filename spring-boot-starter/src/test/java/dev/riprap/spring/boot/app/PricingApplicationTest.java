package dev.riprap.spring.boot.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.micrometer.RiprapMetrics;
import dev.riprap.spring.boot.RiprapOutboundDrain;
import dev.riprap.spring.boot.Upstream;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.ApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter in a running Spring Boot service: a real Tomcat on a random port, Actuator, and an
 * upstream on 127.0.0.1.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "server.address=127.0.0.1",
      "management.endpoints.web.exposure.include=health",
      "management.endpoint.health.show-details=always",
      "riprap.policies.inventory.retry.max-attempts=2",
      "riprap.policies.inventory.circuit-breaker.enabled=true"
    })
class PricingApplicationTest {
  private static final Upstream UPSTREAM = Upstream.start();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    registry.add("pricing.url", UPSTREAM::base);
  }

  @AfterAll
  static void stopUpstream() {
    UPSTREAM.close();
  }

  @Value("${local.server.port}")
  int port;

  @Autowired ApplicationContext context;

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aRestClientCallOfTheServiceIsRetriedByRiprapAndMetered() throws Exception {
    HttpResponse<String> price = get("/price");
    assertThat(price.statusCode()).isEqualTo(200);
    assertThat(price.body()).isEqualTo("recovered");
    assertThat(UPSTREAM.count("/flaky")).isEqualTo(3);
    MeterRegistry meters = context.getBean(MeterRegistry.class);
    assertThat(meters.get(RiprapMetrics.RETRIES).tag("policy", "pricing").counter().count())
        .isEqualTo(2);
  }

  @Test
  void riprapsProbesAreInTheLivenessAndReadinessGroups() throws Exception {
    HttpResponse<String> liveness = get("/actuator/health/liveness");
    assertThat(liveness.statusCode()).isEqualTo(200);
    assertThat(liveness.body()).contains("\"livenessState\"", "\"riprapLiveness\"");
    HttpResponse<String> readiness = get("/actuator/health/readiness");
    assertThat(readiness.statusCode()).isEqualTo(200);
    assertThat(readiness.body()).contains("\"readinessState\"", "\"riprapReadiness\"");
    HttpResponse<String> riprap = get("/actuator/health/riprap");
    assertThat(riprap.body()).contains("\"policy\":\"inventory\"", "\"state\":\"CLOSED\"");
  }

  @Test
  void theDrainRunsAfterTheServersGracefulShutdownAndBeforeItStops() {
    Map<String, Integer> phases =
        context.getBeansOfType(SmartLifecycle.class).entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().getPhase()));
    // Spring stops the highest phase first.
    assertThat(phases.get("webServerGracefulShutdown"))
        .isEqualTo(WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE)
        .isGreaterThan(RiprapOutboundDrain.PHASE);
    assertThat(phases.get("riprapOutboundDrain")).isEqualTo(RiprapOutboundDrain.PHASE);
    assertThat(RiprapOutboundDrain.PHASE).isGreaterThan(phases.get("webServerStartStop"));
  }
}
