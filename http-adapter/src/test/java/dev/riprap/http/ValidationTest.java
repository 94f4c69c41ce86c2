package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ValidationTest {
  @Test
  void badPolicyValuesAreRefusedWhenSetWithTheValueInTheMessage() {
    HttpPolicy.Builder b = HttpPolicy.builder("p");
    assertThatThrownBy(() -> HttpPolicy.builder(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must not be blank, was ' '");
    assertThatThrownBy(() -> b.maxRetries(11))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxRetries must be in [0, 10], was 11");
    assertThatThrownBy(() -> b.backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBackoff must be at least initialBackoff (2s), was 1s");
    assertThatThrownBy(() -> b.backoff(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("initialBackoff must be positive, was 0s");
    assertThatThrownBy(() -> b.jitter(1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("jitter must be in [0, 1), was 1.0");
    assertThatThrownBy(() -> b.attemptTimeout(Duration.ofMillis(-5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("attemptTimeout must be positive, was -5ms");
    assertThatThrownBy(() -> b.maxRetryAfter(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxRetryAfter must be positive, was 0s");
    assertThatThrownBy(
            () -> b.circuitBreaker(0, Duration.ofSeconds(30), 10, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failureRateThreshold must be in (0, 100], was 0.0");
    assertThatThrownBy(
            () -> b.circuitBreaker(50, Duration.ofMillis(1500), 10, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("window must be whole seconds between 1s and 100000s, was 1500ms");
    assertThatThrownBy(
            () -> b.circuitBreaker(50, Duration.ofDays(200_000), 10, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("window must be whole seconds between 1s and 100000s, was 200000d");
    assertThatThrownBy(() -> b.circuitBreaker(50, 0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("windowCalls must be in [1, 100000], was 0");
    assertThatThrownBy(() -> b.circuitBreaker(50, Integer.MAX_VALUE, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("windowCalls must be in [1, 100000], was 2147483647");
    assertThatThrownBy(
            () -> b.circuitBreaker(50, Duration.ofSeconds(30), 0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minimumCalls must be >= 1, was 0");
    assertThatThrownBy(
            () -> b.circuitBreaker(50, Duration.ofSeconds(30), 10, Duration.ofNanos(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("breakDuration must be at least 1ms, was 10ns");
    assertThatThrownBy(() -> b.halfOpenCalls(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("halfOpenCalls must be in [1, 100000], was 0");
    assertThatThrownBy(() -> b.halfOpenCalls(2_000_000_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("halfOpenCalls must be in [1, 100000], was 2000000000");
    assertThatThrownBy(() -> b.rateLimit(0, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permitsPerSecond must be in [1, 1000000], was 0");
    assertThatThrownBy(() -> b.retryBudget(-1, 10, Duration.ofSeconds(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ratio must be in [0, 1000], was -1.0");
    assertThatThrownBy(() -> b.retryBudget(0.3, 10, Duration.ofDays(200_000)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("window must be between 1s and 1h, was 200000d");
    // Nothing refused was taken: each setting can still be set once.
    assertThat(b.maxRetries(2).halfOpenCalls(2).build().halfOpenCalls()).isEqualTo(2);
  }

  @Test
  void aSettingChangedTwiceOnOneBuilderIsAConflict() {
    HttpPolicy.Builder b = HttpPolicy.builder("p").maxRetries(2);
    assertThatThrownBy(() -> b.maxRetries(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("maxRetries was already set to 2");
    HttpPolicy.Builder t = HttpPolicy.builder("p").attemptTimeout(Duration.ofSeconds(2));
    assertThatThrownBy(() -> t.attemptTimeout(Duration.ofSeconds(3)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("attemptTimeout was already set to 2s");
    HttpPolicy.Builder off = HttpPolicy.builder("p").noCircuitBreaker();
    assertThatThrownBy(() -> off.circuitBreaker(50, 20, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("circuitBreaker was already set to none");
    HttpPolicy.Builder on = HttpPolicy.builder("p").circuitBreaker(20, 10, Duration.ofSeconds(1));
    assertThatThrownBy(on::noCircuitBreaker)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "circuitBreaker was already set to 20.0% of the last 10 attempts, break 1s, 1 probe(s)");
    HttpPolicy.Builder probe = HttpPolicy.builder("p").noProbeWait();
    assertThatThrownBy(() -> probe.awaitProbe(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("awaitProbe was already set to none");
    HttpPolicy.Builder backoff =
        HttpPolicy.builder("p").backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
    assertThatThrownBy(() -> backoff.backoff(Duration.ofMillis(100), Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("backoff was already set to 100ms..1s");
    HttpPolicy.Builder limit = HttpPolicy.builder("p").rateLimit(10, Duration.ZERO);
    assertThatThrownBy(() -> limit.rateLimit(20, Duration.ZERO))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("rateLimit was already set to RateLimiterConfig{");
    HttpPolicy.Builder budget = HttpPolicy.builder("p").retryBudget(0.1, 5, Duration.ofSeconds(5));
    assertThatThrownBy(() -> budget.retryBudget(0.2, 5, Duration.ofSeconds(5)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("retryBudget was already set to 0.1, 5/s, 5s");
  }

  @Test
  void aBuilderFromAPolicyMayChangeEachOfItsSettingsOnce() {
    HttpPolicy base = HttpPolicy.builder("base").maxRetries(1).noProbeWait().build();

    HttpPolicy derived =
        base.toBuilder("derived").maxRetries(2).awaitProbe(Duration.ofSeconds(2)).build();

    assertThat(derived.maxRetries()).isEqualTo(2);
    assertThat(derived.probeWait()).isEqualTo(Duration.ofSeconds(2));
    assertThat(base.maxRetries()).isEqualTo(1);
  }

  @Test
  void hugeDurationsAreKeptAs36500DaysAndConflictsNameThemAsGiven() {
    HttpPolicy p = HugeSettingsTest.forever();
    Duration days36500 = Duration.ofDays(36_500);

    assertThat(List.of(p.initialBackoff(), p.maxBackoff(), p.attemptTimeout(), p.totalTimeout(),
            p.maxRetryAfter(), p.breakDuration(), p.probeWait()))
        .containsOnly(days36500);
    assertThat(p.rateLimiter().orElseThrow().getTimeoutDuration()).isEqualTo(days36500);
    assertThatThrownBy(
            () -> HttpPolicy.builder("p").attemptTimeout(Duration.ofDays(200_000)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "HttpPolicy 'p': attempt timeout (200000d) must not exceed total timeout (30s)");
    assertThatThrownBy(
            () -> HttpPolicy.builder("p")
                .circuitBreaker(50, Duration.ofSeconds(100_000), 10, Duration.ofSeconds(1))
                .attemptTimeout(Duration.ofSeconds(Long.MAX_VALUE))
                .totalTimeout(Duration.ofSeconds(Long.MAX_VALUE))
                .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "HttpPolicy 'p': the breaker window (100000s) must be at least 2x the attempt timeout"
                + " (9223372036854775807s)");
  }

  @Test
  void hugeClientSettingsAreKeptAs36500Days() {
    StaleIfError stale = new StaleIfError(10, 100, 100, Duration.ofDays(200_000));
    assertThat(stale.maxAge()).isEqualTo(Duration.ofDays(36_500));
    ResilientHttpClient client =
        ResilientHttpClient.builder().hostIdleTimeout(Duration.ofDays(200_000)).build();
    client.close();
  }

  @Test
  void conflictingPolicySettingsFailAtBuildNamingBothValues() {
    assertThatThrownBy(() -> HttpPolicy.builder("p").attemptTimeout(Duration.ofSeconds(40))
            .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("HttpPolicy 'p': attempt timeout (40s) must not exceed total timeout (30s)");
    assertThatThrownBy(() -> HttpPolicy.builder("p")
            .circuitBreaker(50, Duration.ofSeconds(10), 10, Duration.ofSeconds(1))
            .attemptTimeout(Duration.ofSeconds(6)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("HttpPolicy 'p': the breaker window (10s) must be at least 2x the attempt"
            + " timeout (6s)");
  }

  @Test
  void badClientSettingsAreRefused() {
    ResilientHttpClient.Builder b = ResilientHttpClient.builder();
    HttpPolicy p = HttpPolicy.standard();
    assertThatThrownBy(() -> b.route("get", "/x", p))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("method must be an upper-case HTTP method such as GET, or * for any, was 'get'");
    assertThatThrownBy(() -> b.route("GET", "x/**", p))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("path pattern must start with '/', was 'x/**'");
    assertThatThrownBy(() -> b.concurrencyLimit(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("concurrencyLimit must be >= 1, was 0");
    assertThatThrownBy(() -> b.maxHosts(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxHosts must be >= 1, was 0");
    assertThatThrownBy(() -> b.hostIdleTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("hostIdleTimeout must be positive, was 0s");
    assertThatThrownBy(() -> new StaleIfError(10, 100, 50, Duration.ofMinutes(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxTotalBytes must be >= maxEntryBytes (100), was 50");
    assertThatThrownBy(() -> FallbackResponse.of(99, "text/plain", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("statusCode must be in [100, 599], was 99");
  }

  @Test
  void twoDifferentPoliciesWithOneNameAreRefusedAtBuild() {
    HttpPolicy a = HttpPolicy.builder("api").build();
    HttpPolicy b = HttpPolicy.builder("api").maxRetries(1).build();

    assertThatThrownBy(() -> ResilientHttpClient.builder().policy(a).route("GET", "/x", b).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("two different policies are named 'api'");
  }

  @Test
  void retryAfterParsesSecondsAndDatesAndRefusesGarbageQuietly() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    assertThat(RetryAfter.parse(headers("120"), now)).hasValue(Duration.ofSeconds(120));
    assertThat(RetryAfter.parse(headers("Thu, 01 Jan 2026 00:00:30 GMT"), now))
        .hasValue(Duration.ofSeconds(30));
    assertThat(RetryAfter.parse(headers("Wed, 31 Dec 2025 23:00:00 GMT"), now))
        .hasValue(Duration.ZERO);
    assertThat(RetryAfter.parse(headers("-3"), now)).isEmpty();
    assertThat(RetryAfter.parse(headers("1.5"), now)).isEmpty();
    assertThat(RetryAfter.parse(headers("99999999999999999999"), now))
        .hasValue(RetryAfter.LONGEST);
    assertThat(RetryAfter.parse(headers("tomorrow"), now)).isEmpty();
    assertThat(RetryAfter.parse(HttpHeaders.of(Map.of(), (k, v) -> true), now)).isEmpty();
  }

  @Test
  void theStandardClassifierSeparatesFailuresFromAnswers() {
    HttpClassifier c = HttpClassifier.standard();
    for (int status : new int[] {500, 502, 503, 504, 408, 429}) {
      assertThat(c.isTransientFailure(new Responses.Info(status, headers("1"),
          java.net.http.HttpClient.Version.HTTP_1_1))).as("status %d", status).isTrue();
    }
    for (int status : new int[] {200, 201, 301, 400, 401, 403, 404, 409, 422}) {
      assertThat(c.isTransientFailure(new Responses.Info(status, headers("1"),
          java.net.http.HttpClient.Version.HTTP_1_1))).as("status %d", status).isFalse();
    }
    assertThat(c.isTransientFailure(new java.net.ConnectException("refused"))).isTrue();
    assertThat(c.isTransientFailure(new java.io.EOFException())).isTrue();
    assertThat(c.isTransientFailure(new java.net.http.HttpTimeoutException("t"))).isTrue();
    assertThat(c.isTransientFailure(new javax.net.ssl.SSLHandshakeException("bad cert")))
        .isFalse();
    assertThat(c.isTransientFailure(new IllegalArgumentException())).isFalse();
  }

  private static HttpHeaders headers(String retryAfter) {
    return HttpHeaders.of(Map.of("Retry-After", List.of(retryAfter)), (k, v) -> true);
  }
}
