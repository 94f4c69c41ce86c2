package dev.riprap.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.ShutdownGate;
import dev.riprap.health.HealthMonitor;
import dev.riprap.lifecycle.Supervisor;
import dev.riprap.testing.FakeTimeSource;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Riprap's meters beside the ones a Spring Boot application publishes: Spring's HTTP client
 * timer ({@code http.client.requests} with Spring's tag keys, registered here directly, as Spring's
 * observation handler would) and resilience4j's own Spring Boot binding of its registry. Every
 * series of each must reach the Prometheus scrape.
 */
class MeterCoexistenceTest {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)\\{(.*)\\} \\S+$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\",?");

  private final FakeTimeSource time = new FakeTimeSource();
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  /** Spring Framework's and Boot's client timer: its name and its tag keys. */
  private Timer springClientTimer(String uri, String status, String outcome, String exception) {
    return Timer.builder("http.client.requests")
        .tags(
            "client.name", "inventory.example",
            "error", "none",
            "exception", exception,
            "method", "GET",
            "outcome", outcome,
            "status", status,
            "uri", uri)
        .register(registry);
  }

  /** Label keys per metric family of the scrape (names with _count, _sum, _bucket folded in). */
  private static Map<String, Set<String>> labelsByFamily(String scrape) {
    Map<String, Set<String>> families = new TreeMap<>();
    for (String line : scrape.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (!m.find()) {
        continue;
      }
      String family = m.group(1).replaceAll("_(count|sum|bucket|max)$", "");
      Set<String> keys = new TreeSet<>();
      Matcher l = LABEL.matcher(m.group(2));
      while (l.find()) {
        keys.add(l.group(1));
      }
      keys.remove("le");
      keys.remove("quantile");
      families.computeIfAbsent(family, f -> new TreeSet<>()).addAll(keys);
    }
    return families;
  }

  @Test
  void riprapsHttpClientMetersAndSpringsAreBothScrapedFromOneRegistry() {
    springClientTimer("/stock/{sku}", "200", "SUCCESS", "none").record(Duration.ofMillis(12));
    springClientTimer("/stock/{sku}", "CLIENT_ERROR", "UNKNOWN", "IOException")
        .record(Duration.ofMillis(3));
    HttpClientMetrics riprap = new HttpClientMetrics(registry);
    riprap.record("GET", 200, "inventory:8443", Duration.ofMillis(40));
    riprap.record("GET", 503, "inventory:8443", Duration.ofMillis(700));
    riprap.recordFailure("POST", new IOException("reset"), "inventory:8443", Duration.ofMillis(2));
    // Registered after Riprap's: the order in which an application's beans bind must not matter.
    springClientTimer("/price/{sku}", "200", "SUCCESS", "none").record(Duration.ofMillis(5));

    String scrape = registry.scrape();

    assertThat(scrape)
        .contains(
            "http_client_requests_seconds_count{client_name=\"inventory.example\",error=\"none\","
                + "exception=\"none\",method=\"GET\",outcome=\"SUCCESS\",status=\"200\","
                + "uri=\"/stock/{sku}\"} 1")
        .contains("exception=\"IOException\",method=\"GET\",outcome=\"UNKNOWN\","
            + "status=\"CLIENT_ERROR\",uri=\"/stock/{sku}\"} 1")
        .contains("uri=\"/price/{sku}\"} 1")
        .contains(
            "riprap_http_client_requests_seconds_count{host=\"inventory:8443\",method=\"GET\","
                + "outcome=\"SUCCESS\",status=\"200\"} 1")
        .contains("riprap_http_client_requests_seconds_count{host=\"inventory:8443\","
            + "method=\"GET\",outcome=\"SERVER_ERROR\",status=\"503\"} 1")
        .contains("riprap_http_client_requests_seconds_count{host=\"inventory:8443\","
            + "method=\"POST\",outcome=\"UNKNOWN\",status=\"IO_ERROR\"} 1")
        // the histogram behind the dashboard's percentiles: 700 ms is over 500 ms, within 1 s
        .contains("riprap_http_client_requests_seconds_bucket{host=\"inventory:8443\","
            + "method=\"GET\",outcome=\"SERVER_ERROR\",status=\"503\",le=\"0.5\"} 0")
        .contains("riprap_http_client_requests_seconds_bucket{host=\"inventory:8443\","
            + "method=\"GET\",outcome=\"SERVER_ERROR\",status=\"503\",le=\"1.0\"} 1");
    Map<String, Set<String>> families = labelsByFamily(scrape);
    assertThat(families.get("http_client_requests_seconds"))
        .containsExactly("client_name", "error", "exception", "method", "outcome", "status", "uri");
    assertThat(families.get("riprap_http_client_requests_seconds"))
        .containsExactly("host", "method", "outcome", "status");
  }

  @Test
  void everyRiprapMeterIsNamedRiprapOrIsResilience4jsOwnAndBothBindingsCoexist()
      throws Exception {
    // resilience4j's Spring Boot starter binds its own registry's breakers like this
    CircuitBreakerRegistry resilience4j = CircuitBreakerRegistry.ofDefaults();
    resilience4j.circuitBreaker("payments");
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(resilience4j).bindTo(registry);
    springClientTimer("/stock/{sku}", "200", "SUCCESS", "none").record(Duration.ofMillis(1));
    Set<Meter.Id> foreign = Set.copyOf(registry.getMeters().stream().map(Meter::getId).toList());

    RiprapMetrics metrics = new RiprapMetrics(registry);
    Policy inventory =
        Policy.builder("inventory")
            .timeSource(time)
            .retry(2, Duration.ofMillis(1), Duration.ofMillis(1))
            .circuitBreaker(CircuitBreakerConfig.ofDefaults())
            .bulkhead(4)
            .pacedRate(100, Duration.ofMillis(50))
            .build();
    metrics.bind(inventory);
    Supervisor supervisor = Supervisor.builder("background").timeSource(time).build();
    metrics.bind(supervisor);
    metrics.bind(new HealthMonitor(time));
    metrics.bind("outbound", new ShutdownGate(time));
    inventory.call(() -> "ok");
    try {
      inventory.call(() -> {
        throw new IOException("down");
      });
    } catch (IOException expected) {
      // retried once, then abandoned: both retry counters exist
    }
    new HttpClientMetrics(registry).record("GET", 200, "inventory:8443", Duration.ofMillis(1));

    List<String> riprapNames =
        registry.getMeters().stream()
            .map(Meter::getId)
            .filter(id -> !foreign.contains(id))
            .map(Meter.Id::getName)
            .distinct()
            .toList();
    assertThat(riprapNames)
        .contains(RiprapMetrics.CALLS, RiprapMetrics.RETRIES, RiprapMetrics.RETRIES_ABANDONED,
            RiprapMetrics.LIMITER_CLAIMED_AHEAD, RiprapMetrics.SUPERVISOR_WORKERS,
            RiprapMetrics.HEALTH_STATUS, RiprapMetrics.DRAIN_IN_FLIGHT, HttpClientMetrics.REQUESTS,
            "resilience4j.circuitbreaker.state", "resilience4j.bulkhead.available.concurrent.calls")
        .allSatisfy(name -> assertThat(name).matches("(riprap|resilience4j)\\..+"))
        .doesNotContain("http.client.requests");

    String scrape = registry.scrape();
    assertThat(scrape)
        .contains("resilience4j_circuitbreaker_state{name=\"payments\",state=\"closed\"} 1")
        .contains("resilience4j_circuitbreaker_state{name=\"inventory\",state=\"closed\"} 1")
        .contains("http_client_requests_seconds_count{client_name=\"inventory.example\"")
        .contains("riprap_calls_seconds_count{host=\"none\",outcome=\"success\","
            + "policy=\"inventory\",reason=\"none\"} 1")
        .contains("riprap_retries_abandoned_total{host=\"none\",policy=\"inventory\","
            + "reason=\"max_attempts\"} 1");
    // Both bindings of resilience4j.circuitbreaker.state publish one family with one set of keys.
    assertThat(labelsByFamily(scrape).get("resilience4j_circuitbreaker_state"))
        .containsExactly("name", "state");
  }
}
