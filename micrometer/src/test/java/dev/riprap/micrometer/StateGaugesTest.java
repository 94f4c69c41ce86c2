package dev.riprap.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.PacedLimiter;
import dev.riprap.Policy;
import dev.riprap.ShutdownGate;
import dev.riprap.health.HealthMonitor;
import dev.riprap.lifecycle.Supervisor;
import dev.riprap.testing.FakeTimeSource;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StateGaugesTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final RiprapMetrics metrics = new RiprapMetrics(registry);

  private double gauge(String name, String... tags) {
    return registry.get(name).tags(tags).gauge().value();
  }

  @Test
  void aPacedLimitersBacklogIsReadWhenScrapedAndRemovedWithItsPolicy() {
    PacedLimiter limiter =
        PacedLimiter.builder(10).maxWait(Duration.ofSeconds(1)).timeSource(time).build();
    Policy policy = Policy.builder("quotes").rateLimiter(limiter).timeSource(time).build();
    MeterBinding binding = metrics.bind(policy);

    assertThat(gauge(RiprapMetrics.LIMITER_AVAILABLE, "name", "quotes")).isEqualTo(1);
    for (int i = 0; i < 4; i++) {
      assertThat(limiter.reserve(TimeUnit.SECONDS.toNanos(1))).isGreaterThanOrEqualTo(0);
    }
    // four slots of 100 ms claimed from now: the next free one starts 400 ms ahead
    assertThat(registry.get(RiprapMetrics.LIMITER_CLAIMED_AHEAD).timeGauge()
        .value(TimeUnit.MILLISECONDS)).isEqualTo(400);
    assertThat(gauge(RiprapMetrics.LIMITER_AVAILABLE, "name", "quotes")).isZero();
    assertThat(registry.get(RiprapMetrics.LIMITER_MAX_WAIT).timeGauge()
        .value(TimeUnit.SECONDS)).isEqualTo(1);

    binding.close();
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void supervisorWorkersAreCountedByStateEveryStateHavingItsSeries() throws Exception {
    Supervisor s =
        Supervisor.builder("bg")
            .backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
            .restartIntensity(1, Duration.ofMinutes(1))
            .timeSource(time)
            .executor(Runnable::run)
            .build();
    MeterBinding binding = metrics.bind(s);
    s.start("done", () -> {});
    s.start("crashing", () -> {
      throw new IllegalStateException("boom");
    });

    assertThat(gauge(RiprapMetrics.SUPERVISOR_WORKERS, "supervisor", "bg", "state", "completed"))
        .isEqualTo(1);
    assertThat(gauge(RiprapMetrics.SUPERVISOR_WORKERS, "state", "backing_off")).isEqualTo(1);
    assertThat(gauge(RiprapMetrics.SUPERVISOR_WORKERS, "state", "running")).isZero();
    time.advance(Duration.ofSeconds(5)); // the restart crashes again: past the intensity
    assertThat(gauge(RiprapMetrics.SUPERVISOR_WORKERS, "state", "gave_up")).isEqualTo(1);
    assertThat(gauge(RiprapMetrics.SUPERVISOR_WORKERS, "state", "backing_off")).isZero();
    assertThat(registry.find(RiprapMetrics.SUPERVISOR_WORKERS).gauges())
        .hasSize(Supervisor.WorkerState.values().length);

    binding.close();
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void healthGaugesFollowTheMonitorFromUpToDraining() {
    HealthMonitor health = new HealthMonitor(time);
    Policy policy =
        Policy.builder("inventory")
            .timeSource(time)
            .circuitBreaker(CircuitBreakerConfig.ofDefaults())
            .build();
    health.monitorCritical(policy);
    MeterBinding binding = metrics.bind(health);

    assertThat(gauge(RiprapMetrics.HEALTH_STATUS, "status", "up")).isEqualTo(1);
    assertThat(gauge(RiprapMetrics.HEALTH_STATUS, "status", "down")).isZero();
    assertThat(gauge(RiprapMetrics.HEALTH_READY)).isEqualTo(1);
    policy.circuitBreaker().orElseThrow().transitionToOpenState();
    assertThat(gauge(RiprapMetrics.HEALTH_STATUS, "status", "down")).isEqualTo(1);
    assertThat(gauge(RiprapMetrics.HEALTH_STATUS, "status", "up")).isZero();
    assertThat(gauge(RiprapMetrics.HEALTH_READY)).isZero();
    assertThat(gauge(RiprapMetrics.HEALTH_LIVE)).isEqualTo(1);
    health.startDraining();
    assertThat(gauge(RiprapMetrics.HEALTH_STATUS, "status", "draining")).isEqualTo(1);
    assertThat(gauge(RiprapMetrics.HEALTH_STATUS, "status", "down")).isZero();

    binding.close();
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void drainGaugesShowCallsInFlightAndTheStartOfTheDrain() throws Exception {
    ShutdownGate gate = new ShutdownGate(time);
    MeterBinding binding = metrics.bind("outbound", gate);
    assertThat(gate.tryEnter()).isTrue();
    assertThat(gate.tryEnter()).isTrue();
    gate.exit();

    assertThat(gauge(RiprapMetrics.DRAIN_IN_FLIGHT, "gate", "outbound")).isEqualTo(1);
    assertThat(gauge(RiprapMetrics.DRAIN_DRAINING, "gate", "outbound")).isZero();
    gate.exit();
    gate.drain(Duration.ZERO);
    assertThat(gauge(RiprapMetrics.DRAIN_IN_FLIGHT, "gate", "outbound")).isZero();
    assertThat(gauge(RiprapMetrics.DRAIN_DRAINING, "gate", "outbound")).isEqualTo(1);

    binding.close();
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void nullArgumentsAreRefusedWhenBindingWithTheirName() {
    assertThatThrownBy(() -> metrics.bind((HealthMonitor) null))
        .isInstanceOf(NullPointerException.class).hasMessage("health");
    assertThatThrownBy(() -> metrics.bind(null, new ShutdownGate()))
        .isInstanceOf(NullPointerException.class).hasMessage("name");
    assertThatThrownBy(() -> metrics.bind("outbound", null))
        .isInstanceOf(NullPointerException.class).hasMessage("gate");
  }
}
