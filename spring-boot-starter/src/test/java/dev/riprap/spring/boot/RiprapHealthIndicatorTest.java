package dev.riprap.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.health.HealthMonitor;
import dev.riprap.http.ResilientHttpClient;
import java.io.IOException;
import java.net.URI;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** Riprap's health as Actuator's, in its three views. */
class RiprapHealthIndicatorTest {
  private final HealthMonitor monitor = new HealthMonitor();
  private final Policy inventory =
      Policy.builder("inventory").circuitBreaker(CircuitBreakerConfig.ofDefaults()).build();

  private Health health(RiprapHealthIndicator.View view) {
    return new RiprapHealthIndicator(monitor, view).health();
  }

  @Test
  void allBreakersClosedIsUpEverywhere() {
    monitor.monitor(inventory);
    assertThat(health(RiprapHealthIndicator.View.REPORT).getStatus()).isEqualTo(Status.UP);
    assertThat(health(RiprapHealthIndicator.View.LIVENESS).getStatus()).isEqualTo(Status.UP);
    assertThat(health(RiprapHealthIndicator.View.READINESS).getStatus()).isEqualTo(Status.UP);
    Map<String, Object> details = health(RiprapHealthIndicator.View.REPORT).getDetails();
    assertThat(details).containsEntry("riprap", "UP").containsEntry("ready", true);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> policies = (List<Map<String, Object>>) details.get("policies");
    assertThat(policies)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p).containsEntry("policy", "inventory").containsEntry("state", "CLOSED");
            });
  }

  @Test
  void anOpenBreakerIsDegradedButStillUpReadyAndLive() {
    monitor.monitor(inventory);
    inventory.circuitBreaker().orElseThrow().transitionToOpenState();
    Health report = health(RiprapHealthIndicator.View.REPORT);
    assertThat(report.getStatus()).isEqualTo(Status.UP);
    assertThat(report.getDetails()).containsEntry("riprap", "DEGRADED");
    assertThat(health(RiprapHealthIndicator.View.READINESS).getStatus()).isEqualTo(Status.UP);
    assertThat(health(RiprapHealthIndicator.View.LIVENESS).getStatus()).isEqualTo(Status.UP);
  }

  @Test
  void anOpenCriticalBreakerIsDownAndNotReadyButLive() {
    monitor.monitorCritical(inventory);
    inventory.circuitBreaker().orElseThrow().transitionToOpenState();
    assertThat(health(RiprapHealthIndicator.View.REPORT).getStatus()).isEqualTo(Status.DOWN);
    assertThat(health(RiprapHealthIndicator.View.READINESS).getStatus())
        .isEqualTo(Status.OUT_OF_SERVICE);
    assertThat(health(RiprapHealthIndicator.View.LIVENESS).getStatus()).isEqualTo(Status.UP);
  }

  @Test
  void drainingIsOutOfServiceAndNotReady() {
    monitor.monitor(inventory);
    monitor.startDraining();
    assertThat(health(RiprapHealthIndicator.View.REPORT).getStatus())
        .isEqualTo(Status.OUT_OF_SERVICE);
    assertThat(health(RiprapHealthIndicator.View.READINESS).getStatus())
        .isEqualTo(Status.OUT_OF_SERVICE);
    assertThat(health(RiprapHealthIndicator.View.LIVENESS).getStatus()).isEqualTo(Status.UP);
  }

  @Test
  void aServiceWithAnEndpointOutOfRotationIsDegradedWithItsEndpointsInTheDetails() {
    ResilientHttpClient client = ResilientHttpClient.builder().observer(monitor)
        .endpoints("orders", List.of(URI.create("http://10.0.0.1:8080"),
            URI.create("http://10.0.0.2:8080")), g -> g.consecutiveFailures(1))
        .build();
    try {
      EndpointGroup<URI> orders = client.service("orders").orElseThrow();
      Health up = health(RiprapHealthIndicator.View.REPORT);
      assertThat(up.getDetails()).containsEntry("riprap", "UP");
      assertThatThrownBy(() -> orders.call(Policy.builder("p").build(), e -> {
        throw new IOException("refused by " + e);
      })).isInstanceOf(IOException.class);

      Health report = health(RiprapHealthIndicator.View.REPORT);
      assertThat(report.getStatus()).isEqualTo(Status.UP);
      assertThat(report.getDetails()).containsEntry("riprap", "DEGRADED");
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> groups =
          (List<Map<String, Object>>) report.getDetails().get("endpointGroups");
      assertThat(groups).singleElement().satisfies(g -> {
        assertThat(g).containsEntry("group", "orders").containsEntry("status", "DEGRADED")
            .containsEntry("inRotation", 1);
        assertThat((List<?>) g.get("endpoints")).hasSize(2);
      });
    } finally {
      client.close();
    }
    assertThat(health(RiprapHealthIndicator.View.REPORT).getDetails().get("endpointGroups"))
        .asList().isEmpty();
  }
}
