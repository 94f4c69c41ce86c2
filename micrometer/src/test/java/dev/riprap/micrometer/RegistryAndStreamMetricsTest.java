package dev.riprap.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.PolicyRegistry;
import dev.riprap.event.EventStream;
import dev.riprap.testing.FakeTimeSource;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RegistryAndStreamMetricsTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final RiprapMetrics metrics = new RiprapMetrics(meters);

  private long calls(String policy, String host, String outcome) {
    Timer t =
        meters.find(RiprapMetrics.CALLS)
            .tags("policy", policy, "host", host, "outcome", outcome)
            .timer();
    return t == null ? 0 : t.count();
  }

  @Test
  void aRegistrysPoliciesAreBoundWithTheirPrimitivesIncludingOnesBuiltLater() throws Exception {
    PolicyRegistry registry =
        PolicyRegistry.builder()
            .timeSource(time)
            .asyncExecutor(Runnable::run)
            .policy("inventory", b -> b.circuitBreaker(CircuitBreakerConfig.ofDefaults()))
            .build();
    MeterBinding binding = metrics.bind(registry);
    assertThat(meters.find("resilience4j.circuitbreaker.state").tag("name", "inventory").meters())
        .as("configured policies' primitives are published at once")
        .isNotEmpty();

    Policy inventory = registry.policy("inventory");
    inventory.call(() -> "ok");
    inventory.callAsync(() -> CompletableFuture.completedFuture("ok")).join();
    assertThatThrownBy(() -> inventory.call(() -> {
      throw new IOException("down");
    })).isInstanceOf(IOException.class);
    Policy adhoc = registry.policyOrDefault("adhoc");
    adhoc.call(() -> "ok");

    assertThat(calls("inventory", "none", "success")).as("counted once, not twice").isEqualTo(2);
    assertThat(calls("inventory", "none", "failure")).isEqualTo(1);
    assertThat(calls("adhoc", "none", "success")).isEqualTo(1);

    metrics.onRemoved(inventory);
    assertThat(meters.find(RiprapMetrics.CALLS).tag("policy", "inventory").meters()).isEmpty();
    assertThat(meters.find("resilience4j.circuitbreaker.state").tag("name", "inventory").meters())
        .isEmpty();

    binding.close();
    assertThat(meters.getMeters()).isEmpty();
    adhoc.call(() -> "not recorded");
    assertThat(meters.getMeters()).isEmpty();
  }

  @Test
  void aClientsStreamIsRecordedPerHostFromTheEventsTags() throws Exception {
    EventStream client = new EventStream();
    Policy hostA =
        Policy.builder("api@a:443").tag("host", "a:443").tag("policy", "api")
            .parentEvents(client).build();
    Policy hostB =
        Policy.builder("api@b:443").tag("host", "b:443").tag("policy", "api")
            .parentEvents(client).build();
    MeterBinding binding = metrics.bindEvents(client);

    hostA.call(() -> "ok");
    hostA.call(() -> "ok");
    hostB.callAsync(() -> CompletableFuture.completedFuture("ok")).join();

    assertThat(calls("api", "a:443", "success")).isEqualTo(2);
    assertThat(calls("api", "b:443", "success")).isEqualTo(1);

    metrics.onRemoved(hostA); // the client evicted host a
    assertThat(meters.find(RiprapMetrics.CALLS).tag("host", "a:443").meters()).isEmpty();
    assertThat(calls("api", "b:443", "success")).isEqualTo(1);

    Policy hostAAgain =
        Policy.builder("api@a:443").tag("host", "a:443").tag("policy", "api")
            .parentEvents(client).build();
    hostAAgain.call(() -> "ok");
    assertThat(calls("api", "a:443", "success")).as("a new instance starts afresh").isEqualTo(1);

    binding.close();
    assertThat(meters.getMeters()).isEmpty();
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void waitsAreMeasuredOnThePolicysClock() throws Exception {
    EventStream stream = new EventStream();
    Policy slow = Policy.builder("slow").timeSource(time).parentEvents(stream).build();
    metrics.bindEvents(stream);
    slow.call(() -> {
      time.sleep(Duration.ofMillis(250));
      return "ok";
    });
    assertThat(meters.get(RiprapMetrics.CALLS).timer().totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
        .isEqualTo(250);
  }
}
