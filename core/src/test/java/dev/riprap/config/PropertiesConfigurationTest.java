package dev.riprap.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.PolicyRegistry;
import dev.riprap.RetryBudget;
import dev.riprap.RetrySettings;
import dev.riprap.testing.FakeTimeSource;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.core.functions.Either;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Policies built from properties: the mapping of every key, inheritance, enabling, files. */
class PropertiesConfigurationTest {
  private final FakeTimeSource time = new FakeTimeSource();

  static Properties props(String... lines) {
    Properties p = new Properties();
    for (String line : lines) {
      int eq = line.indexOf('=');
      p.setProperty(line.substring(0, eq), line.substring(eq + 1));
    }
    return p;
  }

  private PolicyRegistry registry(String... lines) {
    return PolicyRegistry.builder().timeSource(time).properties(props(lines)).build();
  }

  /** The waits the retry config would make after attempts 1..n, in milliseconds. */
  /** The waits after attempts 1 to n before jitter, in milliseconds. */
  static List<Long> backoff(RetrySettings settings, int n) {
    List<Long> waits = new ArrayList<>();
    for (int attempt = 1; attempt <= n; attempt++) {
      waits.add(settings.backoff(attempt).toMillis());
    }
    return waits;
  }

  @Test
  void everyKeyOfAPolicyReachesItsStrategy() {
    Policy p =
        registry(
                "riprap.policies.inventory.attempt-timeout=2s",
                "riprap.policies.inventory.total-timeout=PT10S",
                "riprap.policies.inventory.retry.max-attempts=4",
                "riprap.policies.inventory.retry.wait-duration=100ms",
                "riprap.policies.inventory.retry.max-wait-duration=1s",
                "riprap.policies.inventory.retry.multiplier=3",
                "riprap.policies.inventory.retry.jitter=0",
                "riprap.policies.inventory.circuit-breaker.failure-rate-threshold=25.5",
                "riprap.policies.inventory.circuit-breaker.slow-call-rate-threshold=80",
                "riprap.policies.inventory.circuit-breaker.slow-call-duration-threshold=1500ms",
                "riprap.policies.inventory.circuit-breaker.sliding-window-type=time-based",
                "riprap.policies.inventory.circuit-breaker.sliding-window-size=30",
                "riprap.policies.inventory.circuit-breaker.minimum-number-of-calls=7",
                "riprap.policies.inventory.circuit-breaker.wait-duration-in-open-state=5s",
                "riprap.policies.inventory.circuit-breaker.permitted-number-of-calls-in-half-open-state=2",
                "riprap.policies.inventory.circuit-breaker.await-probe=6s",
                "riprap.policies.inventory.rate-limiter.limit-for-period=40",
                "riprap.policies.inventory.rate-limiter.limit-refresh-period=2s",
                "riprap.policies.inventory.rate-limiter.timeout-duration=20ms",
                "riprap.policies.inventory.bulkhead.max-concurrent-calls=12",
                "riprap.policies.inventory.bulkhead.max-wait-duration=5ms",
                "riprap.policies.inventory.retry-budget.ratio=0.3",
                "riprap.policies.inventory.retry-budget.min-retries-per-second=4",
                "riprap.policies.inventory.retry-budget.window=30s")
            .policy("inventory");

    assertThat(p.attemptTimeout()).contains(Duration.ofSeconds(2));
    assertThat(p.totalTimeout()).contains(Duration.ofSeconds(10));

    RetrySettings retry = p.retrySettings().orElseThrow();
    assertThat(retry.maxAttempts()).isEqualTo(4);
    assertThat(retry.jitter()).isZero();
    // 100ms, times 3 each time, capped at 1s; no jitter, so exact.
    assertThat(backoff(retry, 4)).containsExactly(100L, 300L, 900L, 1000L);

    CircuitBreakerConfig cb = p.circuitBreaker().orElseThrow().getCircuitBreakerConfig();
    assertThat(cb.getFailureRateThreshold()).isEqualTo(25.5f);
    assertThat(cb.getSlowCallRateThreshold()).isEqualTo(80f);
    assertThat(cb.getSlowCallDurationThreshold()).isEqualTo(Duration.ofMillis(1500));
    assertThat(cb.getSlidingWindowType()).isEqualTo(SlidingWindowType.TIME_BASED);
    assertThat(cb.getSlidingWindowSize()).isEqualTo(30);
    assertThat(cb.getMinimumNumberOfCalls()).isEqualTo(7);
    assertThat(cb.getWaitIntervalFunctionInOpenState().apply(1)).isEqualTo(5000L);
    assertThat(cb.getPermittedNumberOfCallsInHalfOpenState()).isEqualTo(2);
    assertThat(p.awaitProbe()).contains(Duration.ofSeconds(6));

    RateLimiterConfig rl = p.rateLimiter().orElseThrow().getRateLimiterConfig();
    assertThat(rl.getLimitForPeriod()).isEqualTo(40);
    assertThat(rl.getLimitRefreshPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(rl.getTimeoutDuration()).isEqualTo(Duration.ofMillis(20));

    BulkheadConfig bh = p.bulkhead().orElseThrow().getBulkheadConfig();
    assertThat(bh.getMaxConcurrentCalls()).isEqualTo(12);
    assertThat(bh.getMaxWaitDuration()).isEqualTo(Duration.ofMillis(5));

    RetryBudget budget = p.retryBudget().orElseThrow();
    assertThat(budget.ratio()).isEqualTo(0.3);
    assertThat(budget.minRetriesPerSecond()).isEqualTo(4);
    assertThat(budget.window()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void aPolicyWithoutStrategyKeysHasNoStrategies() {
    Policy p = registry("riprap.policies.plain.attempt-timeout=1s").policy("plain");

    assertThat(p.retrySettings()).isEmpty();
    assertThat(p.circuitBreaker()).isEmpty();
    assertThat(p.rateLimiter()).isEmpty();
    assertThat(p.bulkhead()).isEmpty();
    assertThat(p.retryBudget()).isEmpty();
    assertThat(p.totalTimeout()).isEmpty();
  }

  @Test
  void enabledTrueAloneTurnsAStrategyOnWithItsDefaults() {
    Policy p =
        registry(
                "riprap.policies.inventory.retry.enabled=true",
                "riprap.policies.inventory.rate-limiter.enabled=TRUE",
                "riprap.policies.inventory.bulkhead.enabled=true",
                "riprap.policies.inventory.circuit-breaker.enabled=true")
            .policy("inventory");

    RetrySettings retry = p.retrySettings().orElseThrow();
    assertThat(retry.maxAttempts()).isEqualTo(3);
    // 500ms ±50%: the default jitter spreads the first wait over [250, 750] ms.
    assertThat(retry.backoff(1)).isEqualTo(Duration.ofMillis(500));
    assertThat(retry.jitter()).isEqualTo(0.5);
    RateLimiterConfig rl = p.rateLimiter().orElseThrow().getRateLimiterConfig();
    assertThat(rl.getLimitForPeriod()).isEqualTo(50);
    assertThat(rl.getLimitRefreshPeriod()).isEqualTo(Duration.ofSeconds(1));
    assertThat(rl.getTimeoutDuration()).isEqualTo(Duration.ZERO);
    BulkheadConfig bh = p.bulkhead().orElseThrow().getBulkheadConfig();
    assertThat(bh.getMaxConcurrentCalls()).isEqualTo(25);
    assertThat(bh.getMaxWaitDuration()).isEqualTo(Duration.ZERO);
    CircuitBreakerConfig cb = p.circuitBreaker().orElseThrow().getCircuitBreakerConfig();
    assertThat(cb.getFailureRateThreshold()).isEqualTo(50f);
    assertThat(cb.getSlowCallRateThreshold()).isEqualTo(100f);
    assertThat(cb.getSlowCallDurationThreshold()).isEqualTo(Duration.ofSeconds(60));
    assertThat(cb.getSlidingWindowType()).isEqualTo(SlidingWindowType.COUNT_BASED);
    assertThat(cb.getSlidingWindowSize()).isEqualTo(100);
    assertThat(cb.getMinimumNumberOfCalls()).isEqualTo(100);
    assertThat(cb.getWaitIntervalFunctionInOpenState().apply(1)).isEqualTo(60_000L);
    assertThat(cb.getPermittedNumberOfCallsInHalfOpenState()).isEqualTo(10);
    assertThat(p.retryBudget()).isEmpty();
  }

  @Test
  void aBudgetEnabledAloneHasTheBudgetDefaults() {
    RetryBudget budget =
        registry("riprap.policies.inventory.retry-budget.enabled=true")
            .policy("inventory")
            .retryBudget()
            .orElseThrow();

    assertThat(budget.ratio()).isEqualTo(0.2);
    assertThat(budget.minRetriesPerSecond()).isEqualTo(10);
    assertThat(budget.window()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aWaitAboveTheDefaultCapRaisesTheCap() {
    Policy p = registry("riprap.policies.slow.retry.wait-duration=1m", "riprap.policies.slow.retry.jitter=0")
        .policy("slow");

    assertThat(backoff(p.retrySettings().orElseThrow(), 2)).containsExactly(60_000L, 60_000L);
  }

  @Test
  void aPacedRateIsOneCallPerSlot() {
    Policy p =
        registry(
                "riprap.policies.paced.rate-limiter.paced-rate=20",
                "riprap.policies.paced.rate-limiter.timeout-duration=1s")
            .policy("paced");

    assertThat(p.rateLimiter()).isEmpty();
    dev.riprap.PacedLimiter paced = p.pacedLimiter().orElseThrow();
    assertThat(paced.interval()).isEqualTo(Duration.ofMillis(50));
    assertThat(paced.maxWait()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aPolicyInheritsTheDefaultsAndOverridesThemKeyByKey() {
    PolicyRegistry registry =
        registry(
            "riprap.defaults.retry.max-attempts=3",
            "riprap.defaults.retry.wait-duration=200ms",
            "riprap.defaults.retry.jitter=0",
            "riprap.defaults.attempt-timeout=1s",
            "riprap.policies.inventory.retry.max-attempts=5",
            "riprap.policies.payments.bulkhead.max-concurrent-calls=4");

    Policy inventory = registry.policy("inventory");
    assertThat(inventory.retrySettings().orElseThrow().maxAttempts()).isEqualTo(5);
    assertThat(backoff(inventory.retrySettings().orElseThrow(), 2)).containsExactly(200L, 400L);
    assertThat(inventory.attemptTimeout()).contains(Duration.ofSeconds(1));
    assertThat(inventory.bulkhead()).isEmpty();

    Policy payments = registry.policy("payments");
    assertThat(payments.retrySettings().orElseThrow().maxAttempts()).isEqualTo(3);
    assertThat(payments.attemptTimeout()).contains(Duration.ofSeconds(1));
    assertThat(payments.bulkhead().orElseThrow().getBulkheadConfig().getMaxConcurrentCalls())
        .isEqualTo(4);
  }

  @Test
  void enabledFalseRemovesAStrategyTheDefaultsTurnedOn() {
    PolicyRegistry registry =
        registry(
            "riprap.defaults.circuit-breaker.failure-rate-threshold=30",
            "riprap.defaults.retry.max-attempts=2",
            "riprap.policies.inventory.circuit-breaker.enabled=false",
            "riprap.policies.payments.retry.enabled=false",
            "riprap.policies.payments.circuit-breaker.minimum-number-of-calls=5");

    Policy inventory = registry.policy("inventory");
    assertThat(inventory.circuitBreaker()).isEmpty();
    assertThat(inventory.retrySettings().orElseThrow().maxAttempts()).isEqualTo(2);

    Policy payments = registry.policy("payments");
    assertThat(payments.retrySettings()).isEmpty();
    CircuitBreakerConfig cb = payments.circuitBreaker().orElseThrow().getCircuitBreakerConfig();
    assertThat(cb.getFailureRateThreshold()).isEqualTo(30f);
    assertThat(cb.getMinimumNumberOfCalls()).isEqualTo(5);
  }

  @Test
  void aPolicysOwnKeyTurnsOnAStrategyTheDefaultsTurnedOff() {
    PolicyRegistry registry =
        registry(
            "riprap.defaults.bulkhead.enabled=false",
            "riprap.defaults.bulkhead.max-concurrent-calls=8",
            "riprap.policies.inventory.bulkhead.max-wait-duration=10ms",
            "riprap.policies.payments.attempt-timeout=1s");

    BulkheadConfig bh =
        registry.policy("inventory").bulkhead().orElseThrow().getBulkheadConfig();
    assertThat(bh.getMaxConcurrentCalls()).isEqualTo(8);
    assertThat(bh.getMaxWaitDuration()).isEqualTo(Duration.ofMillis(10));
    assertThat(registry.policy("payments").bulkhead()).isEmpty();
  }

  @Test
  void aPolicysPacedRateReplacesTheDefaultLimitPerPeriod() {
    PolicyRegistry registry =
        registry(
            "riprap.defaults.rate-limiter.limit-for-period=100",
            "riprap.defaults.rate-limiter.limit-refresh-period=1s",
            "riprap.policies.paced.rate-limiter.paced-rate=10",
            "riprap.policies.counted.rate-limiter.limit-for-period=7");

    dev.riprap.PacedLimiter paced = registry.policy("paced").pacedLimiter().orElseThrow();
    assertThat(paced.interval()).isEqualTo(Duration.ofMillis(100));
    RateLimiterConfig counted =
        registry.policy("counted").rateLimiter().orElseThrow().getRateLimiterConfig();
    assertThat(counted.getLimitForPeriod()).isEqualTo(7);
    assertThat(counted.getLimitRefreshPeriod()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aBudgetInTheDefaultsIsOneInstanceSharedByEveryPolicyThatInheritsIt() {
    PolicyRegistry registry =
        registry(
            "riprap.defaults.retry-budget.ratio=0.1",
            "riprap.defaults.retry-budget.window=20s",
            "riprap.policies.inventory.retry.max-attempts=3",
            "riprap.policies.payments.retry.max-attempts=2",
            "riprap.policies.search.retry-budget.ratio=0.5",
            "riprap.policies.audit.retry-budget.enabled=false");

    RetryBudget shared = registry.policy("inventory").retryBudget().orElseThrow();
    assertThat(shared.ratio()).isEqualTo(0.1);
    assertThat(shared.window()).isEqualTo(Duration.ofSeconds(20));
    assertThat(registry.policy("payments").retryBudget()).containsSame(shared);
    assertThat(registry.policyOrDefault("unconfigured").retryBudget()).containsSame(shared);

    RetryBudget own = registry.policy("search").retryBudget().orElseThrow();
    assertThat(own).isNotSameAs(shared);
    assertThat(own.ratio()).isEqualTo(0.5);
    assertThat(own.window()).isEqualTo(Duration.ofSeconds(20));
    assertThat(registry.policy("audit").retryBudget()).isEmpty();
  }

  @Test
  void theSharedBudgetCountsTheCallsOfAllItsPolicies() throws Exception {
    PolicyRegistry registry =
        registry(
            "riprap.defaults.retry-budget.ratio=0.5",
            "riprap.defaults.retry-budget.min-retries-per-second=0",
            "riprap.policies.a.attempt-timeout=1s",
            "riprap.policies.b.attempt-timeout=1s");

    registry.policy("a").call(() -> "x");
    registry.policy("b").call(() -> "y");

    // Two calls through two policies at ratio 0.5 deposit one token in the one shared budget.
    assertThat(registry.policy("a").retryBudget().orElseThrow().balance()).isEqualTo(1.0);
  }

  @Test
  void otherKeysAreIgnored() {
    PolicyRegistry registry =
        registry(
            "java.home=/opt/jdk",
            "riprapx.policies.x.retry=1",
            "riprap.policies.inventory.attempt-timeout=1s");

    assertThat(registry.names()).containsExactly("inventory");
  }

  @Test
  void valuesMayCarrySurroundingBlanksAndAnyCaseForWords() {
    Policy p =
        registry(
                "riprap.policies.inventory.attempt-timeout= 250ms ",
                "riprap.policies.inventory.circuit-breaker.sliding-window-type=Count-Based")
            .policy("inventory");

    assertThat(p.attemptTimeout()).contains(Duration.ofMillis(250));
    assertThat(p.circuitBreaker().orElseThrow().getCircuitBreakerConfig().getSlidingWindowType())
        .isEqualTo(SlidingWindowType.COUNT_BASED);
  }

  @Test
  void aPropertiesFileIsReadLikeProperties(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("riprap.properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "# inventory service",
            "riprap.defaults.attempt-timeout = 2s",
            "riprap.policies.inventory.retry.max-attempts = 4",
            "riprap.policies.inventory.total-timeout = 10s",
            ""),
        StandardCharsets.UTF_8);

    PolicyRegistry registry = PolicyRegistry.builder().timeSource(time).propertiesFile(file).build();

    Policy p = registry.policy("inventory");
    assertThat(p.retrySettings().orElseThrow().maxAttempts()).isEqualTo(4);
    assertThat(p.attemptTimeout()).contains(Duration.ofSeconds(2));
    assertThat(p.totalTimeout()).contains(Duration.ofSeconds(10));
  }

  @Test
  void laterPropertiesReplaceEarlierKeys() {
    PolicyRegistry registry =
        PolicyRegistry.builder()
            .timeSource(time)
            .properties(props("riprap.policies.inventory.retry.max-attempts=2"))
            .properties(props("riprap.policies.inventory.retry.max-attempts=6"))
            .build();

    assertThat(registry.policy("inventory").retrySettings().orElseThrow().maxAttempts())
        .isEqualTo(6);
  }

  @Test
  void aMissingFileIsNamed(@TempDir Path dir) {
    Path missing = dir.resolve("absent.properties");

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> PolicyRegistry.builder().propertiesFile(missing))
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessage("Cannot read Riprap properties from " + missing);
  }
}
