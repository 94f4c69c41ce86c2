package dev.riprap.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Fallback;
import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.event.CacheEvent;
import dev.riprap.lifecycle.Supervisor;
import dev.riprap.testing.FakeTimeSource;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.RetryConfig;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RiprapMetricsTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final RiprapMetrics metrics = new RiprapMetrics(registry);

  private Policy inventory() {
    return Policy.builder("inventory")
        .timeSource(time)
        .asyncExecutor(Runnable::run) // async attempts run inline: fake time drives everything
        // a fixed 10 ms wait, no jitter, so the timer's total time is exact
        .retry(RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ofMillis(10)).build())
        .circuitBreaker(CircuitBreakerConfig.custom().minimumNumberOfCalls(100).build())
        .bulkhead(10)
        .build();
  }

  private long calls(String policy, String outcome, String reason) {
    Timer t =
        registry
            .find(RiprapMetrics.CALLS)
            .tags("policy", policy, "host", "none", "outcome", outcome, "reason", reason)
            .timer();
    return t == null ? 0 : t.count();
  }

  private static CompletableFuture<String> failedFuture() {
    return CompletableFuture.failedFuture(new IOException("down"));
  }

  @Test
  void callTimerCountsEqualTheCallsMadeByOutcomeSyncAndAsync() throws Exception {
    Policy policy = inventory();
    metrics.bind(policy);

    policy.call(() -> "ok");
    policy.call(() -> "ok");
    policy.callAsync(() -> CompletableFuture.completedFuture("ok")).get(10, TimeUnit.SECONDS);

    assertThatThrownBy(() -> policy.call(() -> {
      throw new IOException("down");
    })).isInstanceOf(IOException.class);
    CompletableFuture<String> asyncFailure = policy.callAsync(RiprapMetricsTest::failedFuture);
    time.advance(Duration.ofMillis(20)); // async backoff waits are timers on the fake clock
    assertThat(asyncFailure).isCompletedExceptionally();

    assertThat(policy.call(() -> {
      throw new IOException("down");
    }, Fallback.of("cached"))).isEqualTo("cached");
    CompletableFuture<String> asyncFallback =
        policy.callAsync(RiprapMetricsTest::failedFuture, Fallback.of("cached"));
    time.advance(Duration.ofMillis(20));
    assertThat(asyncFallback).isCompletedWithValue("cached");

    policy.circuitBreaker().orElseThrow().transitionToForcedOpenState();
    assertThatThrownBy(() -> policy.call(() -> "never")).isInstanceOf(RejectedException.class);
    assertThat(policy.callAsync(() -> CompletableFuture.completedFuture("never")))
        .isCompletedExceptionally();
    assertThatThrownBy(() -> policy.call(() -> "never")).isInstanceOf(RejectedException.class);

    assertThat(calls("inventory", "success", "none")).isEqualTo(3);
    assertThat(calls("inventory", "failure", "none")).isEqualTo(2);
    assertThat(calls("inventory", "fallback", "none")).isEqualTo(2);
    assertThat(calls("inventory", "rejected", "circuit_open")).isEqualTo(3);
    // 4 failing calls of 3 attempts each: 2 retries and 1 abandoned retry apiece
    assertThat(registry.get(RiprapMetrics.RETRIES).tags("policy", "inventory", "host", "none")
        .counter().count()).isEqualTo(8);
    assertThat(registry.get(RiprapMetrics.RETRIES_ABANDONED)
        .tags("policy", "inventory", "host", "none", "reason", "max_attempts")
        .counter().count()).isEqualTo(4);
    // the failing calls waited 2 x 10 ms of backoff on the fake clock
    assertThat(registry.get(RiprapMetrics.CALLS).tags("outcome", "failure").timer()
        .totalTime(TimeUnit.MILLISECONDS)).isEqualTo(40);
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void cacheEventsAreCountedByOutcome() {
    Policy policy = Policy.builder("pages@example.com:443").tag("policy", "pages")
        .tag("host", "example.com:443").timeSource(time).build();
    metrics.bind(policy);
    for (CacheEvent.Outcome o : List.of(CacheEvent.Outcome.HIT, CacheEvent.Outcome.HIT,
        CacheEvent.Outcome.COALESCED)) {
      policy.events().publish(new CacheEvent(policy.name(), policy.tags(), time.instant(), o));
    }
    assertThat(registry.get(RiprapMetrics.HTTP_CACHE)
        .tags("policy", "pages", "host", "example.com:443", "outcome", "hit")
        .counter().count()).isEqualTo(2);
    assertThat(registry.get(RiprapMetrics.HTTP_CACHE).tags("outcome", "coalesced")
        .counter().count()).isEqualTo(1);
    assertThat(registry.find(RiprapMetrics.HTTP_CACHE).tags("outcome", "miss").counter())
        .isNull();
  }

  @Test
  void timedOutCallsAreTaggedWithTheirOutcomeAndReason() throws Exception {
    Policy slow =
        Policy.builder("slow")
            .timeSource(time)
            .totalTimeout(Duration.ofSeconds(1))
            .build();
    metrics.bind(slow);

    assertThatThrownBy(() -> slow.call(() -> {
      time.sleep(Duration.ofSeconds(2));
      return "late";
    })).isInstanceOf(RejectedException.class);
    CompletableFuture<String> never = new CompletableFuture<>();
    CompletableFuture<String> async = slow.callAsync(() -> never);
    time.advance(Duration.ofSeconds(1));
    assertThat(async).isCompletedExceptionally();

    assertThat(calls("slow", "timed_out", "timed_out")).isEqualTo(2);
  }

  @Test
  void primitivesArePublishedThroughResilience4jAndRemovedWithTheBinding() throws Exception {
    Policy policy = inventory();
    MeterBinding binding = metrics.bind(policy);
    assertThat(metrics.bind(policy)).as("binding twice returns the same binding").isSameAs(binding);
    policy.call(() -> "ok");

    assertThat(registry.get("resilience4j.circuitbreaker.state").tags("name", "inventory", "state", "closed")
        .gauge().value()).isEqualTo(1.0);
    assertThat(registry.get("resilience4j.bulkhead.max.allowed.concurrent.calls")
        .tags("name", "inventory").gauge().value()).isEqualTo(10.0);
    assertThat(registry.get("resilience4j.circuitbreaker.calls").tags("name", "inventory", "kind", "successful")
        .timer().count()).isEqualTo(1);

    binding.close();
    binding.close();

    assertThat(registry.getMeters()).isEmpty();
    policy.call(() -> "not recorded");
    assertThat(registry.find(RiprapMetrics.CALLS).meters()).isEmpty();
  }

  @Test
  void perHostMetersAreRemovedWhenTheHostsInstancesAreEvicted() throws Exception {
    Policy template =
        Policy.builder("api")
            .timeSource(time)
            .circuitBreaker(CircuitBreakerConfig.ofDefaults())
            .build();
    Policy hostA = template.toBuilder("api@a:443").tag("host", "a:443").build();
    Policy hostB = template.toBuilder("api@b:443").tag("host", "b:443").build();
    metrics.onAdded(hostA);
    metrics.onAdded(hostB);
    hostA.call(() -> "ok");
    hostB.call(() -> "ok");
    assertThat(registry.find(RiprapMetrics.CALLS).tag("host", "a:443").timers()).hasSize(1);

    metrics.onRemoved(hostA);

    assertThat(registry.find(RiprapMetrics.CALLS).tag("host", "a:443").meters()).isEmpty();
    assertThat(registry.find("resilience4j.circuitbreaker.state").tag("name", "api@a:443").meters())
        .isEmpty();
    assertThat(registry.find(RiprapMetrics.CALLS).tag("host", "b:443").timers()).hasSize(1);
    assertThat(registry.find("resilience4j.circuitbreaker.state").tag("name", "api@b:443").meters())
        .isNotEmpty();
  }

  @Test
  void aSharedBreakersMetersStayUntilTheLastPolicyUsingItIsRemoved() {
    Policy first =
        Policy.builder("shared")
            .circuitBreaker(
                io.github.resilience4j.circuitbreaker.CircuitBreaker.ofDefaults("shared-breaker"))
            .build();
    Policy second = first.toBuilder("second").build();
    assertThat(second.circuitBreaker()).containsSame(first.circuitBreaker().orElseThrow());
    metrics.onAdded(first);
    metrics.onAdded(second);

    metrics.onRemoved(first);
    assertThat(registry.find("resilience4j.circuitbreaker.state").tag("name", "shared-breaker")
        .meters()).isNotEmpty();
    metrics.onRemoved(second);
    assertThat(registry.find("resilience4j.circuitbreaker.state").tag("name", "shared-breaker")
        .meters()).isEmpty();
  }

  @Test
  void supervisorRestartsCrashesAndGiveUpsAreCounted() {
    Supervisor s =
        Supervisor.builder("bg")
            .backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
            .restartIntensity(2, Duration.ofMinutes(1))
            .timeSource(time)
            .executor(Runnable::run)
            .build();
    MeterBinding binding = metrics.bind(s);
    s.start("poller", () -> {
      throw new IllegalStateException("boom");
    });
    time.advance(Duration.ofSeconds(5));

    assertThat(registry.get(RiprapMetrics.SUPERVISOR_CRASHES).tags("supervisor", "bg", "worker", "poller")
        .counter().count()).isEqualTo(3);
    assertThat(registry.get(RiprapMetrics.SUPERVISOR_RESTARTS).counter().count()).isEqualTo(2);
    assertThat(registry.get(RiprapMetrics.SUPERVISOR_GAVE_UP).counter().count()).isEqualTo(1);
    binding.close();
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void anExternalLimitersModeIsAGaugeAndItsChangesACounter() {
    java.util.List<dev.riprap.event.EventStream> streams = new java.util.ArrayList<>();
    dev.riprap.ExternalLimiter limiter = new dev.riprap.ExternalLimiter() {
      @Override
      public long acquire(long remainingNanos) {
        return 0;
      }

      @Override
      public java.util.concurrent.CompletionStage<Long> acquireAsync(long remainingNanos) {
        return CompletableFuture.completedFuture(0L);
      }

      @Override
      public void attach(String policy, java.util.Map<String, String> tags,
          dev.riprap.event.EventStream events, dev.riprap.TimeSource timeSource) {
        streams.add(events);
      }
    };
    Policy policy = Policy.builder("geocoder").timeSource(time).rateLimiter(limiter).build();
    metrics.bind(policy);
    java.util.function.Consumer<dev.riprap.event.LimiterModeChanged.Mode> change = mode ->
        streams.get(0).publish(new dev.riprap.event.LimiterModeChanged("geocoder",
            java.util.Map.of(), time.instant(), "limiter", mode, "test", null));

    assertThat(registry.find(RiprapMetrics.LIMITER_MODE).gauges()).isEmpty();
    change.accept(dev.riprap.event.LimiterModeChanged.Mode.LOCAL);
    change.accept(dev.riprap.event.LimiterModeChanged.Mode.SHARED);
    change.accept(dev.riprap.event.LimiterModeChanged.Mode.LOCAL);

    assertThat(registry.get(RiprapMetrics.LIMITER_MODE).tag("mode", "local").gauge().value())
        .isEqualTo(1.0);
    assertThat(registry.get(RiprapMetrics.LIMITER_MODE).tag("mode", "shared").gauge().value())
        .isEqualTo(0.0);
    assertThat(registry.get(RiprapMetrics.LIMITER_MODE_CHANGES).tag("mode", "local").counter()
        .count()).isEqualTo(2.0);
    assertThat(registry.get(RiprapMetrics.LIMITER_MODE_CHANGES).tag("mode", "shared").counter()
        .count()).isEqualTo(1.0);
  }
}
