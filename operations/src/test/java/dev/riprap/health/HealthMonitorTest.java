package dev.riprap.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.riprap.Policy;
import dev.riprap.lifecycle.Supervisor;
import dev.riprap.testing.FakeTimeSource;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HealthMonitorTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final HealthMonitor health = new HealthMonitor(time);

  private Policy withBreaker(String name) {
    return Policy.builder(name)
        .timeSource(time)
        .circuitBreaker(CircuitBreakerConfig.ofDefaults())
        .build();
  }

  /** Runs workers inline; the first crash makes it give up. */
  private Supervisor givingUpAtTheFirstCrash() {
    return Supervisor.builder("bg")
        .restartIntensity(0, Duration.ofMinutes(1))
        .timeSource(time)
        .executor(Runnable::run)
        .build();
  }

  private static CircuitBreaker breaker(Policy p) {
    return p.circuitBreaker().orElseThrow();
  }

  @Test
  void closedBreakersAreUpReadyAndLive() {
    health.monitor(withBreaker("inventory")).monitor(Policy.builder("plain").build());
    HealthReport r = health.report();
    assertThat(r.status()).isEqualTo(HealthStatus.UP);
    assertThat(r.ready()).isTrue();
    assertThat(r.live()).isTrue();
    assertThat(r.policies()).extracting(PolicyHealth::status).containsOnly(HealthStatus.UP);
    assertThat(r.time()).isEqualTo(time.instant());
  }

  @Test
  void anOpenOrHalfOpenBreakerDegradesTheServiceButKeepsItReady() {
    Policy inventory = withBreaker("inventory");
    Policy pricing = withBreaker("pricing");
    health.monitor(inventory).monitor(pricing);

    breaker(inventory).transitionToOpenState();
    assertThat(health.report().status()).isEqualTo(HealthStatus.DEGRADED);
    breaker(inventory).transitionToHalfOpenState();
    HealthReport r = health.report();
    assertThat(r.status()).isEqualTo(HealthStatus.DEGRADED);
    assertThat(r.ready()).isTrue();
    assertThat(r.policies())
        .extracting(PolicyHealth::policy, PolicyHealth::status, PolicyHealth::state)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "inventory", HealthStatus.DEGRADED, CircuitBreaker.State.HALF_OPEN),
            org.assertj.core.groups.Tuple.tuple(
                "pricing", HealthStatus.UP, CircuitBreaker.State.CLOSED));
  }

  @Test
  void anOpenCriticalBreakerTakesTheServiceDownAndOutOfRotationButStillLive() {
    Policy db = withBreaker("db");
    Policy cache = withBreaker("cache");
    health.monitorCritical(db).monitor(cache);
    breaker(cache).transitionToOpenState();
    assertThat(health.report().status()).isEqualTo(HealthStatus.DEGRADED);

    breaker(db).transitionToOpenState();

    assertThat(health.report().status()).isEqualTo(HealthStatus.DOWN);
    assertThat(health.isReady()).isFalse();
    assertThat(health.isLive()).isTrue();
  }

  @Test
  void policiesMarkedCriticalByNameIncludePerHostInstancesAddedLater() {
    health.markCritical("api");
    // named as the HTTP client names its per-host policies: template@authority, tagged
    Policy hostA = Policy.builder("api@a:443").tag("host", "a:443").tag("policy", "api")
        .circuitBreaker(CircuitBreaker.of("api@a:443", CircuitBreakerConfig.ofDefaults())).build();
    health.onAdded(hostA);
    breaker(hostA).transitionToOpenState();
    assertThat(health.report().status()).isEqualTo(HealthStatus.DOWN);
    assertThat(health.report().policies().get(0).tags())
        .isEqualTo(Map.of("host", "a:443", "policy", "api"));

    health.onRemoved(hostA);
    assertThat(health.report().status()).isEqualTo(HealthStatus.UP);
    assertThat(health.report().policies()).isEmpty();
  }

  @Test
  void aRegistrysConfiguredPoliciesAreMonitoredAndItsCriticalOnesCanTakeTheServiceDown() {
    dev.riprap.PolicyRegistry registry =
        dev.riprap.PolicyRegistry.builder()
            .timeSource(time)
            .policy("db", b -> b.circuitBreaker(CircuitBreakerConfig.ofDefaults()))
            .policy("cache", b -> b.circuitBreaker(CircuitBreakerConfig.ofDefaults()))
            .build();
    health.markCritical("db").monitor(registry);
    assertThat(health.report().policies()).extracting(PolicyHealth::policy)
        .containsExactly("cache", "db");

    breaker(registry.policy("db")).transitionToOpenState();

    assertThat(health.report().status()).isEqualTo(HealthStatus.DOWN);
    assertThat(health.isReady()).isFalse();
  }

  @Test
  void drainingWinsOverEveryOtherStatusAndMakesTheServiceNotReady() {
    Policy db = withBreaker("db");
    health.monitorCritical(db);
    breaker(db).transitionToOpenState();
    health.startDraining();
    HealthReport r = health.report();
    assertThat(r.status()).isEqualTo(HealthStatus.DRAINING);
    assertThat(r.ready()).isFalse();
    assertThat(r.live()).isTrue();
    assertThat(health.isDraining()).isTrue();
  }

  @Test
  void aSupervisorThatGaveUpOnAWorkerTakesTheServiceDownAndFailsLivenessButNotReadiness() {
    Supervisor s = givingUpAtTheFirstCrash();
    health.monitor(s);
    s.start("ok", () -> {});
    assertThat(health.isLive()).isTrue();

    s.start("poller", () -> {
      throw new IllegalStateException("boom");
    });

    assertThat(health.isLive()).isFalse();
    HealthReport r = health.report();
    assertThat(r.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(r.live()).isFalse();
    assertThat(r.ready()).as("readiness is a separate question").isTrue();
    assertThat(health.isReady()).isTrue();
    assertThat(r.workers())
        .containsExactly(
            new HealthReport.WorkerHealth("bg", "ok", Supervisor.WorkerState.COMPLETED, 0),
            new HealthReport.WorkerHealth("bg", "poller", Supervisor.WorkerState.GAVE_UP, 0));
  }

  @Test
  void aWorkerGivenUpOnStaysDownWhileItsBreakersAreFineAndDrainingStillWins() {
    Supervisor s = givingUpAtTheFirstCrash();
    Policy cache = withBreaker("cache");
    health.monitor(s).monitor(cache);
    breaker(cache).transitionToOpenState();
    assertThat(health.report().status()).isEqualTo(HealthStatus.DEGRADED);

    s.start("poller", () -> {
      throw new IllegalStateException("boom");
    });

    assertThat(health.report().status())
        .as("DOWN is worse than DEGRADED")
        .isEqualTo(HealthStatus.DOWN);
    health.startDraining();
    HealthReport r = health.report();
    assertThat(r.status()).isEqualTo(HealthStatus.DRAINING);
    assertThat(r.live()).isFalse();
  }

  @Test
  void reportRendersAsJsonWithPerPolicyAndPerHostDetail() {
    Policy api =
        Policy.builder("api")
            .tag("host", "a.example:443")
            .timeSource(time)
            .circuitBreaker(
                CircuitBreaker.of(
                    "api@a.example:443",
                    CircuitBreakerConfig.custom()
                        .slidingWindowSize(4)
                        .minimumNumberOfCalls(4)
                        .build()))
            .build();
    health.monitor(api).monitor(Policy.builder("plain").build());
    for (int i = 0; i < 4; i++) {
      breaker(api).onError(1, java.util.concurrent.TimeUnit.MILLISECONDS, new RuntimeException());
    }

    assertThat(health.report().toJson())
        .isEqualTo(
            "{\"status\":\"DEGRADED\",\"ready\":true,\"live\":true,"
                + "\"time\":\"2026-01-01T00:00:00Z\",\"policies\":["
                + "{\"policy\":\"api\",\"tags\":{\"host\":\"a.example:443\"},\"critical\":false,"
                + "\"status\":\"DEGRADED\",\"breaker\":{\"name\":\"api@a.example:443\","
                + "\"state\":\"OPEN\",\"failureRate\":100,\"bufferedCalls\":4,\"failedCalls\":4,"
                + "\"notPermittedCalls\":0}},"
                + "{\"policy\":\"plain\",\"tags\":{},\"critical\":false,\"status\":\"UP\"}"
                + "],\"endpointGroups\":[],\"workers\":[]}");
  }

  @Test
  void jsonEscapesQuotesBackslashesAndControlCharacters() {
    health.monitor(Policy.builder("we\"ird\\na\nme\t\u0001\u2028é").build());
    assertThat(health.report().toJson())
        .contains("\"policy\":\"we\\\"ird\\\\na\\nme\\t\\u0001\\u2028é\"");
    StringBuilder sb = new StringBuilder();
    Json.number(sb, Double.NaN);
    sb.append(' ');
    Json.number(sb, 12.5);
    sb.append(' ');
    Json.number(sb, -1.0);
    assertThat(sb).hasToString("null 12.5 -1");
  }

  @Test
  void handlersAnswer200WhenHealthyAnd503WhenNot() throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/health/live", HealthHandlers.liveness(health));
    server.createContext("/health/ready", HealthHandlers.readiness(health));
    server.createContext("/health", HealthHandlers.report(health));
    Supervisor s = givingUpAtTheFirstCrash();
    health.monitor(s);
    server.start();
    try {
      HttpClient client = HttpClient.newHttpClient();
      URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
      var get =
          (java.util.function.Function<String, HttpResponse<String>>)
              path -> {
                try {
                  return client.send(
                      HttpRequest.newBuilder(base.resolve(path))
                          .timeout(Duration.ofSeconds(10))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              };
      assertThat(get.apply("/health/ready").body()).isEqualTo("{\"ready\":true,\"status\":\"UP\"}");
      assertThat(get.apply("/health/ready").headers().firstValue("content-type"))
          .hasValue("application/json");

      HttpResponse<String> live = get.apply("/health/live");
      assertThat(List.of(live.statusCode(), live.body())).containsExactly(200, "{\"live\":true}");

      s.start("poller", () -> {
        throw new IllegalStateException("boom");
      });
      assertThat(List.of(get.apply("/health/live").statusCode(), get.apply("/health/live").body()))
          .containsExactly(503, "{\"live\":false}");
      assertThat(get.apply("/health/ready").body())
          .isEqualTo("{\"ready\":true,\"status\":\"DOWN\"}");
      assertThat(get.apply("/health/ready").statusCode()).isEqualTo(200);
      HttpResponse<String> down = get.apply("/health");
      assertThat(down.statusCode()).as("the report answers by its status").isEqualTo(503);
      assertThat(down.body()).startsWith("{\"status\":\"DOWN\",\"ready\":true,\"live\":false");

      health.startDraining();

      HttpResponse<String> ready = get.apply("/health/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).isEqualTo("{\"ready\":false,\"status\":\"DRAINING\"}");
      HttpResponse<String> full = get.apply("/health");
      assertThat(full.statusCode()).isEqualTo(503);
      assertThat(full.body()).isEqualTo(health.report().toJson());
    } finally {
      server.stop(0);
    }
  }
}
