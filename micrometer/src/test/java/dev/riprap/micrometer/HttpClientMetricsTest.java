package dev.riprap.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HttpClientMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final HttpClientMetrics metrics = new HttpClientMetrics(registry);

  private long count(String method, String status, String outcome, String host) {
    return registry
        .get(HttpClientMetrics.REQUESTS)
        .tags("method", method, "status", status, "outcome", outcome, "host", host)
        .timer()
        .count();
  }

  @Test
  void exchangesAreTaggedWithMethodStatusOutcomeAndHostOnly() {
    metrics.record("GET", 200, "a:443", Duration.ofMillis(5));
    metrics.record("get", 200, "a:443", Duration.ofMillis(7));
    metrics.record("POST", 503, "a:443", Duration.ofMillis(1));
    metrics.record("GET", 404, "b:80", Duration.ofMillis(1));
    metrics.record("GET", 302, "b:80", Duration.ofMillis(1));
    metrics.record("PROPFIND", 207, "b:80", Duration.ofMillis(1));
    metrics.recordFailure("GET", new HttpTimeoutException("slow"), "b:80", Duration.ofMillis(1));
    metrics.recordFailure("GET", new IllegalStateException("bug"), "b:80", Duration.ofMillis(1));

    assertThat(count("GET", "200", "SUCCESS", "a:443")).isEqualTo(2);
    assertThat(registry.get(HttpClientMetrics.REQUESTS).tags("status", "200").timer()
        .totalTime(TimeUnit.MILLISECONDS)).isEqualTo(12);
    assertThat(count("POST", "503", "SERVER_ERROR", "a:443")).isEqualTo(1);
    assertThat(count("GET", "404", "CLIENT_ERROR", "b:80")).isEqualTo(1);
    assertThat(count("GET", "302", "REDIRECTION", "b:80")).isEqualTo(1);
    assertThat(count("OTHER", "207", "SUCCESS", "b:80")).isEqualTo(1);
    assertThat(count("GET", "IO_ERROR", "UNKNOWN", "b:80")).isEqualTo(1);
    assertThat(count("GET", "CLIENT_ERROR", "UNKNOWN", "b:80")).isEqualTo(1);
    // (the registry's gauges of the histogram buckets, tagged le, are the timers' own)
    assertThat(registry.find(HttpClientMetrics.REQUESTS).meters())
        .hasSize(7)
        .allSatisfy(
            m ->
                assertThat(m.getId().getTags())
                    .extracting(t -> t.getKey())
                    .containsExactlyInAnyOrder("method", "status", "outcome", "host"));
    assertThat(HttpClientMetrics.outcome(101)).isEqualTo("INFORMATIONAL");
    assertThat(HttpClientMetrics.outcome(99)).isEqualTo("UNKNOWN");
  }

  @Test
  void aHostsTimersAreRemovedWhenItsInstancesAreEvicted() {
    metrics.record("GET", 200, "a:443", Duration.ofMillis(1));
    metrics.record("GET", 500, "a:443", Duration.ofMillis(1));
    metrics.record("GET", 200, "b:443", Duration.ofMillis(1));

    metrics.onRemoved(Policy.builder("api@a:443").tag("host", "a:443").build());

    assertThat(registry.find(HttpClientMetrics.REQUESTS).tag("host", "a:443").meters()).isEmpty();
    assertThat(registry.find(HttpClientMetrics.REQUESTS).meters()).extracting(Meter::getId)
        .extracting(id -> id.getTag("host")).containsExactly("b:443");
    assertThat(metrics.removeHost("b:443")).isEqualTo(1);
    assertThat(metrics.removeHost("b:443")).isZero();
    assertThat(registry.getMeters()).isEmpty();
  }
}
