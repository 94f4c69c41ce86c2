package dev.riprap.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.HealthCheckSettings;
import dev.riprap.testing.FakeTimeSource;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Health per endpoint group: UP with every endpoint in rotation, DEGRADED with some out (unhealthy
 * by the active check, or ejected), DOWN with none in rotation or in panic mode; what a group's
 * status does to the service's, critical or not; the JSON of a group; groups told by an observer.
 */
class EndpointGroupHealthTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final HealthMonitor health = new HealthMonitor(time);
  private final Map<String, Boolean> well = new ConcurrentHashMap<>();
  private final EndpointGroup<String> group = EndpointGroup
      .builder("orders", List.of("a", "b", "c"))
      .timeSource(time)
      .consecutiveFailures(1)
      .healthCheck(e -> CompletableFuture.completedFuture(well.getOrDefault(e, true)),
          HealthCheckSettings.defaults().jitter(Duration.ZERO).unhealthyThreshold(1)
              .healthyThreshold(1))
      .build();

  @AfterEach
  void closeGroup() {
    group.close();
  }

  private EndpointGroupHealth entry() {
    return health.report().endpointGroups().get(0);
  }

  /** The next round of checks (every 10 s) with the endpoints' current answers. */
  private void checks() {
    time.advance(Duration.ofSeconds(10));
  }

  @Test
  void aGroupGoesUpDegradedDownAndUpAgainWithItsEndpoints() {
    health.monitor(group);
    time.advance(Duration.ZERO);
    assertThat(entry().status()).isEqualTo(HealthStatus.UP);
    assertThat(entry().inRotation()).isEqualTo(3);
    assertThat(health.report().status()).isEqualTo(HealthStatus.UP);

    well.put("b", false);
    checks();
    assertThat(entry().status()).isEqualTo(HealthStatus.DEGRADED);
    assertThat(entry().endpoints()).extracting(EndpointGroupHealth.EndpointHealth::healthy)
        .containsExactly(true, false, true);
    assertThat(health.report().status()).isEqualTo(HealthStatus.DEGRADED);
    assertThat(health.isReady()).isTrue();

    well.put("a", false); // one of three left: below the 50% panic threshold
    checks();
    assertThat(entry().panic()).isTrue();
    assertThat(entry().status()).isEqualTo(HealthStatus.DOWN);
    assertThat(health.report().status()).as("a group that is not critical degrades the service")
        .isEqualTo(HealthStatus.DEGRADED);
    assertThat(health.isReady()).isTrue();

    health.monitorCritical(group);
    assertThat(entry().critical()).isTrue();
    assertThat(health.report().status()).isEqualTo(HealthStatus.DOWN);
    assertThat(health.report().ready()).isFalse();
    assertThat(health.isReady()).isFalse();

    well.clear();
    checks();
    assertThat(entry().status()).isEqualTo(HealthStatus.UP);
    assertThat(health.report().status()).isEqualTo(HealthStatus.UP);
    assertThat(health.isReady()).isTrue();
  }

  @Test
  void anEjectedEndpointDegradesItsGroupAndNoneInRotationIsDown() throws Exception {
    EndpointGroup<String> two = EndpointGroup.builder("pair", List.of("x", "y")).timeSource(time)
        .consecutiveFailures(1).maxEjectionPercent(50).panicThresholdPercent(0).build();
    health.monitor(two);
    Policy p = Policy.builder("p").timeSource(time).build();
    assertThatThrownBy(() -> two.call(p, e -> {
      throw new IOException("down");
    })).isInstanceOf(IOException.class);
    EndpointGroupHealth g = health.report().endpointGroups().get(0);
    assertThat(g.status()).isEqualTo(HealthStatus.DEGRADED);
    assertThat(g.endpoints()).filteredOn(EndpointGroupHealth.EndpointHealth::ejected).hasSize(1);

    health.markCritical("orders");
    health.monitor(group);
    well.put("a", false);
    well.put("b", false);
    well.put("c", false);
    time.advance(Duration.ZERO);
    EndpointGroupHealth orders = health.report().endpointGroups().get(1);
    assertThat(orders.inRotation()).isZero();
    assertThat(orders.critical()).as("marked critical by name").isTrue();
    assertThat(orders.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(health.report().status()).isEqualTo(HealthStatus.DOWN);
  }

  @Test
  void theReportShowsEachGroupWithItsEndpoints() {
    health.monitor(group);
    well.put("c", false);
    time.advance(Duration.ZERO);
    assertThat(health.report().toJson()).contains("\"endpointGroups\":[{\"group\":\"orders\","
        + "\"critical\":false,\"status\":\"DEGRADED\",\"panic\":false,\"inRotation\":2,"
        + "\"endpoints\":[{\"name\":\"a\",\"ejected\":false,\"healthy\":true,\"outstanding\":0},"
        + "{\"name\":\"b\",\"ejected\":false,\"healthy\":true,\"outstanding\":0},"
        + "{\"name\":\"c\",\"ejected\":false,\"healthy\":false,\"outstanding\":0}]}]");
  }

  @Test
  void anObserverAddsAndRemovesGroupsAndMonitoringTwiceChangesNothing() {
    health.onGroupAdded(group);
    health.monitor(group);
    assertThat(health.report().endpointGroups()).hasSize(1);
    health.onGroupRemoved(group);
    assertThat(health.report().endpointGroups()).isEmpty();
    assertThat(health.unmonitor(group)).isFalse();
  }
}
