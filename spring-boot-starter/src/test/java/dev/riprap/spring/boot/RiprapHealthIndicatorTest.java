package dev.riprap.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.health.HealthMonitor;
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
}
