package dev.riprap.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.HealthCheckSettings;
import dev.riprap.testing.FakeTimeSource;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Per-endpoint meters of an endpoint group in a SimpleMeterRegistry: their values as the group
 * changes, and their removal when endpoints leave or the binding closes (no leak).
 */
class EndpointGroupMetricsTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final RiprapMetrics metrics = new RiprapMetrics(registry);
  private final Map<String, Boolean> well = new ConcurrentHashMap<>();
  private final EndpointGroup<String> group = EndpointGroup
      .builder("orders", List.of("a", "b", "c"))
      .timeSource(time)
      .consecutiveFailures(1)
      .panicThresholdPercent(0)
      .healthCheck(e -> CompletableFuture.completedFuture(well.getOrDefault(e, true)),
          HealthCheckSettings.defaults().jitter(Duration.ZERO).unhealthyThreshold(2))
      .build();

  @AfterEach
  void closeGroup() {
    group.close();
  }

  private RequiredSearch meter(String name, String endpoint) {
    return registry.get(name).tags("group", "orders", "endpoint", endpoint);
  }

  private double gauge(String name, String endpoint) {
    return meter(name, endpoint).gauge().value();
  }

  private Set<String> endpointsMetered() {
    return registry.getMeters().stream().map(m -> m.getId().getTag("endpoint"))
        .filter(e -> e != null).collect(Collectors.toSet());
  }

  @Test
  void eachEndpointHasItsGaugesAndCountersWithTheGroupsState() throws Exception {
    metrics.bind(group);
    assertThat(endpointsMetered()).containsExactlyInAnyOrder("a", "b", "c");
    assertThat(gauge(RiprapMetrics.ENDPOINT_HEALTHY, "a")).isEqualTo(1);
    assertThat(gauge(RiprapMetrics.ENDPOINT_EJECTED, "a")).isZero();

    // An attempt in flight counts on its endpoint until its stage completes.
    Policy policy = Policy.builder("p").timeSource(time).asyncExecutor(Runnable::run).build();
    CompletableFuture<String> pending = new CompletableFuture<>();
    String[] chosen = new String[1];
    CompletableFuture<String> call = group.callAsync(policy, e -> {
      chosen[0] = e;
      return pending;
    });
    assertThat(gauge(RiprapMetrics.ENDPOINT_OUTSTANDING, chosen[0])).isEqualTo(1);
    pending.completeExceptionally(new IOException("refused"));
    assertThat(call).isCompletedExceptionally();
    assertThat(gauge(RiprapMetrics.ENDPOINT_OUTSTANDING, chosen[0])).isZero();
    assertThat(gauge(RiprapMetrics.ENDPOINT_EJECTED, chosen[0])).isEqualTo(1);
    assertThat(meter(RiprapMetrics.ENDPOINT_EJECTIONS, chosen[0]).counter().count()).isEqualTo(1);

    // b's health path fails twice: two failed checks counted and b unhealthy.
    well.put("b", false);
    time.advance(Duration.ZERO);
    time.advance(Duration.ofSeconds(10));
    assertThat(meter(RiprapMetrics.ENDPOINT_HEALTH_CHECKS, "b").tag("result", "failed")
        .functionCounter().count()).isEqualTo(2);
    assertThat(meter(RiprapMetrics.ENDPOINT_HEALTH_CHECKS, "a").tag("result", "passed")
        .functionCounter().count()).isEqualTo(2);
    assertThat(gauge(RiprapMetrics.ENDPOINT_HEALTHY, "b")).isZero();
    assertThat(registry.get(RiprapMetrics.ENDPOINT_GROUP_PANIC).tags("group", "orders").gauge()
        .value()).isZero();
  }

  @Test
  void theMetersOfEndpointsThatLeaveAreRemovedAndNewcomersGetTheirs() {
    MeterBinding binding = metrics.bind(group);
    assertThat(metrics.bind(group)).isSameAs(binding);
    int perEndpoint = (int) registry.getMeters().stream()
        .filter(m -> "a".equals(m.getId().getTag("endpoint"))).count();
    assertThat(perEndpoint).isEqualTo(6);

    group.update(List.of("b", "c", "d"));
    assertThat(endpointsMetered()).containsExactlyInAnyOrder("b", "c", "d");
    group.update(List.of("d"));
    assertThat(endpointsMetered()).containsExactly("d");
    assertThat(registry.getMeters()).hasSize(6 + 1); // d's and the group's panic gauge

    binding.close();
    binding.close();
    assertThat(registry.getMeters()).isEmpty();
    group.update(List.of("a", "e"));
    assertThat(registry.getMeters()).as("a closed binding makes nothing").isEmpty();
  }

  @Test
  void anObserverBindsAGroupAndRemovesItsMeters() {
    metrics.onGroupAdded(group);
    assertThat(registry.getMeters()).hasSize(3 * 6 + 1);
    metrics.onGroupRemoved(group);
    assertThat(registry.getMeters()).isEmpty();
    metrics.onGroupRemoved(group);
    assertThatThrownBy(() -> metrics.bind((EndpointGroup<?>) null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void aGaugeStillHeldAfterItsEndpointLeftReadsNaNNotAnError() {
    metrics.bind(group);
    Meter outstanding = meter(RiprapMetrics.ENDPOINT_OUTSTANDING, "a").gauge();
    group.update(List.of("b", "c"));
    assertThat(((io.micrometer.core.instrument.Gauge) outstanding).value()).isNaN();
  }
}
