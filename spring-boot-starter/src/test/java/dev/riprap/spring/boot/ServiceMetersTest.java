package dev.riprap.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.http.ResilientHttpClient;
import dev.riprap.micrometer.RiprapMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * An HTTP client's services reach a {@code RiprapMetrics} observer (as the starter wires it): each
 * endpoint gets its meters, which follow {@code updateEndpoints} and go with the client.
 */
class ServiceMetersTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private List<String> endpointsMetered() {
    return registry.find(RiprapMetrics.ENDPOINT_OUTSTANDING).tag("group", "orders").gauges()
        .stream().map(g -> g.getId().getTag("endpoint")).sorted().collect(Collectors.toList());
  }

  @Test
  void aServicesEndpointsAreMeteredWhileTheClientLives() {
    URI a = URI.create("http://10.0.0.1:8080");
    URI b = URI.create("http://10.0.0.2:8080");
    URI c = URI.create("http://10.0.0.3:8080");
    ResilientHttpClient client = ResilientHttpClient.builder()
        .observer(new RiprapMetrics(registry))
        .endpoints("orders", List.of(a, b))
        .build();
    assertThat(endpointsMetered()).containsExactly(a.toString(), b.toString());

    client.updateEndpoints("orders", List.of(b, c));
    assertThat(endpointsMetered()).containsExactly(b.toString(), c.toString());

    client.close();
    assertThat(registry.find(RiprapMetrics.ENDPOINT_OUTSTANDING).gauges()).isEmpty();
    assertThat(registry.getMeters())
        .noneMatch(m -> m.getId().getName().startsWith("riprap.endpoint"));
  }
}
