package dev.riprap.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.health.HealthMonitor;
import dev.riprap.health.HealthStatus;
import dev.riprap.testing.FakeTimeSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The health-and-metrics snippet of docs/endpoints.md, compiled and run. */
class EndpointsDocSnippetsTest {
  @Test
  void healthAndMetricsOfAGroup() {
    HealthMonitor health = new HealthMonitor();
    RiprapMetrics metrics = new RiprapMetrics(new SimpleMeterRegistry());
    EndpointGroup<String> replicas = EndpointGroup.builder("orders-db",
        List.of("db-1", "db-2")).timeSource(new FakeTimeSource()).build();

    health.monitor(replicas);          // or monitorCritical(replicas)
    MeterBinding binding = metrics.bind(replicas);  // close() removes the meters

    assertThat(health.report().endpointGroups()).singleElement()
        .satisfies(g -> assertThat(g.status()).isEqualTo(HealthStatus.UP));
    binding.close();
  }
}
