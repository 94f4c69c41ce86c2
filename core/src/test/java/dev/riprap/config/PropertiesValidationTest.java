package dev.riprap.config;

import static dev.riprap.config.PropertiesConfigurationTest.props;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.PolicyRegistry;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every configuration mistake fails when the registry is built, with an exact message; a huge value
 * is refused with the limit or accepted and capped, never an overflow or an out-of-memory.
 */
class PropertiesValidationTest {
  private static final String SETTINGS =
      "attempt-timeout, total-timeout, retry.max-attempts, retry.wait-duration,"
          + " retry.max-wait-duration, retry.multiplier, retry.jitter, retry.enabled,"
          + " circuit-breaker.failure-rate-threshold, circuit-breaker.slow-call-rate-threshold,"
          + " circuit-breaker.slow-call-duration-threshold, circuit-breaker.sliding-window-type,"
          + " circuit-breaker.sliding-window-size, circuit-breaker.minimum-number-of-calls,"
          + " circuit-breaker.wait-duration-in-open-state,"
          + " circuit-breaker.permitted-number-of-calls-in-half-open-state,"
          + " circuit-breaker.await-probe, circuit-breaker.enabled, rate-limiter.limit-for-period,"
          + " rate-limiter.limit-refresh-period, rate-limiter.timeout-duration,"
          + " rate-limiter.paced-rate, rate-limiter.enabled, bulkhead.max-concurrent-calls,"
          + " bulkhead.max-wait-duration, bulkhead.enabled, retry-budget.ratio,"
          + " retry-budget.min-retries-per-second, retry-budget.window, retry-budget.enabled";

  private static AbstractThrowableAssert<?, ? extends Throwable> building(String... lines) {
    return assertThatThrownBy(
        () ->
            PolicyRegistry.builder()
                .timeSource(new FakeTimeSource())
                .properties(props(lines))
                .build());
  }

  @Test
  void settingNamesListsExactlyTheSettingsAScopeAccepts() {
    assertThat(String.join(", ", RiprapProperties.settingNames())).isEqualTo(SETTINGS);
    for (String name : RiprapProperties.settingNames()) {
      // Known keys: a bad value is refused for its form, never as an unknown key.
      assertThatThrownBy(
              () -> RiprapProperties.from(java.util.Map.of("riprap.defaults." + name, "?")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("riprap.defaults." + name + ": expected ");
    }
  }

  @Test
  void anUnknownKeyNamesTheClosestValidKey() {
    building("riprap.policies.inventory.retry.max-attempt=3")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Unknown key 'riprap.policies.inventory.retry.max-attempt': did you mean"
                + " 'riprap.policies.inventory.retry.max-attempts'?");
  }

  @Test
  void anUnknownDefaultsKeyNamesTheClosestDefaultsKey() {
    building("riprap.defaults.circuit-breaker.failure-rate-treshold=50")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Unknown key 'riprap.defaults.circuit-breaker.failure-rate-treshold': did you mean"
                + " 'riprap.defaults.circuit-breaker.failure-rate-threshold'?");
  }

  @Test
  void anUnknownKeyWithNothingCloseListsTheValidSettings() {
    building("riprap.policies.inventory.colour=blue")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Unknown key 'riprap.policies.inventory.colour': valid settings are " + SETTINGS);
  }

  @Test
  void aMisspelledScopeNamesTheClosestValidKey() {
    building("riprap.default.retry.max-attempts=3")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Unknown key 'riprap.default.retry.max-attempts': did you mean"
                + " 'riprap.defaults.retry.max-attempts'?");
    building("riprap.policy.inventory.attempt-timeout=1s")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Unknown key 'riprap.policy.inventory.attempt-timeout': did you mean"
                + " 'riprap.policies.inventory.attempt-timeout'?");
  }

  @Test
  void aKeyOutsideBothScopesExplainsTheKeyForms() {
    building("riprap.inventory=1")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Unknown key 'riprap.inventory': expected riprap.defaults.<setting> or"
                + " riprap.policies.<name>.<setting> where <setting> is one of "
                + SETTINGS);
  }

  @Test
  void aPolicyKeyWithAnEmptyNameSaysSo() {
    building("riprap.policies..retry.max-attempts=3")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Unknown key 'riprap.policies..retry.max-attempts': the policy name is empty"
                + " (expected riprap.policies.<name>.<setting>)");
  }

  @Test
  void aPolicyKeyWithoutASettingExplainsTheKeyForms() {
    building("riprap.policies.inventory=on")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Unknown key 'riprap.policies.inventory': expected riprap.defaults.<setting> or"
                + " riprap.policies.<name>.<setting> where <setting> is one of "
                + SETTINGS);
  }

  @Test
  void aBadDurationNamesTheKeyTheValueAndTheForm() {
    building("riprap.policies.inventory.attempt-timeout=abc")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "riprap.policies.inventory.attempt-timeout: expected a positive duration such as"
                + " 250ms, 2s or PT2S, was 'abc'");
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "attempt-timeout|0s|a positive duration such as 250ms, 2s or PT2S",
        "total-timeout|-PT1S|a positive duration such as 250ms, 2s or PT2S",
        "retry.wait-duration|-1s|a positive duration such as 250ms, 2s or PT2S",
        "rate-limiter.timeout-duration|-PT1S|a duration of zero or more such as 0s, 250ms or PT2S",
        "bulkhead.max-wait-duration|soon|a duration of zero or more such as 0s, 250ms or PT2S",
        "retry-budget.window|2h|a duration between 1s and 1h",
        "retry-budget.window|200000d|a duration between 1s and 1h",
        "retry.max-attempts|0|an integer >= 1",
        "retry.max-attempts|three|an integer >= 1",
        "retry.max-attempts|2.5|an integer >= 1",
        "retry.max-attempts|2147483648|an integer >= 1",
        "circuit-breaker.sliding-window-size|99999999999|an integer in [1, 100000]",
        "circuit-breaker.sliding-window-size|2147483647|an integer in [1, 100000]",
        "circuit-breaker.sliding-window-size|100001|an integer in [1, 100000]",
        "circuit-breaker.permitted-number-of-calls-in-half-open-state|2000000000|an integer in"
            + " [1, 100000]",
        "retry-budget.min-retries-per-second|-1|an integer >= 0",
        "rate-limiter.paced-rate|1000001|an integer in [1, 1000000]",
        "circuit-breaker.failure-rate-threshold|0|a number in (0, 100]",
        "circuit-breaker.slow-call-rate-threshold|100.5|a number in (0, 100]",
        "circuit-breaker.failure-rate-threshold|NaN|a number in (0, 100]",
        "retry.jitter|1.5|a number in [0, 1]",
        "retry.multiplier|0.5|a number >= 1",
        "retry-budget.ratio|1e3|a number in [0, 1000]",
        "retry.enabled|yes|true or false",
        "circuit-breaker.sliding-window-type|sliding|count-based or time-based",
      })
  void aBadValueNamesTheKeyTheValueAndTheExpectedForm(
      String setting, String value, String expected) {
    String key = "riprap.policies.inventory." + setting;
    building(key + "=" + value)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(key + ": expected " + expected + ", was '" + value + "'");
  }

  @Test
  void aBadDefaultsValueIsNamedToo() {
    building("riprap.defaults.bulkhead.max-concurrent-calls=-3")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "riprap.defaults.bulkhead.max-concurrent-calls: expected an integer >= 1, was '-3'");
  }

  @Test
  void aValueAsWrittenIsQuotedWithItsBlanks() {
    building("riprap.policies.inventory.retry.jitter= 2 ")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "riprap.policies.inventory.retry.jitter: expected a number in [0, 1], was ' 2 '");
  }

  @Test
  void aWaitResilience4jCountsInMillisecondsIsRefusedBelowOneMillisecondWithItsKey() {
    building("riprap.policies.inventory.circuit-breaker.wait-duration-in-open-state=500us")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "riprap.policies.inventory.circuit-breaker.wait-duration-in-open-state: expected a"
                + " duration of at least 1ms such as 250ms, 2s or PT2S, was '500us'");
  }

  @Test
  void aRetryWaitUnderAMillisecondIsKeptToTheNanosecond() {
    Policy p =
        inventory(
            new FakeTimeSource(),
            "riprap.policies.inventory.retry.wait-duration=200us",
            "riprap.policies.inventory.retry.max-wait-duration=1s");
    assertThat(p.retrySettings().orElseThrow().backoff(1)).isEqualTo(Duration.ofNanos(200_000));
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "attempt-timeout|99999999999999999999d",
        "total-timeout|PT9999999999999999999H",
        "retry.wait-duration|106751991167301d",
        "bulkhead.max-wait-duration|9223372036854775808s",
      })
  void aDurationTooLongForJavaTimeIsRefusedNamingTheLimit(String setting, String value) {
    String key = "riprap.policies.inventory." + setting;
    building(key + "=" + value)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            key + ": expected a duration of at most 292 billion years, was '" + value + "'");
  }

  @Test
  void aNumberTooLargeForADoubleIsRefused() {
    String huge = "1" + "0".repeat(400);
    building("riprap.policies.inventory.retry.multiplier=" + huge)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "riprap.policies.inventory.retry.multiplier: expected a number >= 1, was '" + huge
                + "'");
  }

  /** The policy {@code inventory} of a registry built from {@code lines}. */
  private static Policy inventory(FakeTimeSource time, String... lines) {
    return PolicyRegistry.builder()
        .timeSource(time)
        .properties(props(lines))
        .build()
        .policy("inventory");
  }

  /** Every duration key, with the usual ways of writing "forever" (all past 292 years). */
  static Stream<Arguments> hugeDurations() {
    List<String> keys =
        List.of(
            "attempt-timeout",
            "total-timeout",
            "retry.wait-duration",
            "retry.max-wait-duration",
            "circuit-breaker.slow-call-duration-threshold",
            "circuit-breaker.wait-duration-in-open-state",
            "circuit-breaker.await-probe",
            "rate-limiter.limit-refresh-period",
            "rate-limiter.timeout-duration",
            "bulkhead.max-wait-duration");
    List<String> values = List.of("200000d", "PT2562048H", "9223372036854775807ms");
    return keys.stream()
        .flatMap(k -> values.stream().flatMap(
            v -> Stream.of(Mode.values()).map(m -> Arguments.of(k, v, m))));
  }

  @ParameterizedTest(name = "{0}={1} {2}")
  @MethodSource("hugeDurations")
  void aHugeDurationForAnyKeyIsAcceptedAndTheFirstCallSucceeds(
      String setting, String value, Mode mode) {
    FakeTimeSource time = new FakeTimeSource();
    Policy inventory = inventory(time, "riprap.policies.inventory." + setting + "=" + value);

    assertThat(mode.call(inventory, time, () -> "stock").result).isEqualTo("stock");
  }

  @Test
  void aHugeTimeoutOrProbeWaitIsKeptAs36500Days() {
    Policy p =
        inventory(
            new FakeTimeSource(),
            "riprap.policies.inventory.attempt-timeout=200000d",
            "riprap.policies.inventory.total-timeout=9223372036854775807ms",
            "riprap.policies.inventory.circuit-breaker.await-probe=PT2562048H");

    assertThat(p.attemptTimeout()).contains(Duration.ofDays(36_500));
    assertThat(p.totalTimeout()).contains(Duration.ofDays(36_500));
    assertThat(p.awaitProbe()).contains(Duration.ofDays(36_500));
  }

  @Test
  void hugeWaitsReachResilience4jAs36500Days() {
    Policy p =
        inventory(
            new FakeTimeSource(),
            "riprap.policies.inventory.retry.wait-duration=200000d",
            "riprap.policies.inventory.retry.jitter=0",
            "riprap.policies.inventory.circuit-breaker.wait-duration-in-open-state=200000d",
            "riprap.policies.inventory.circuit-breaker.slow-call-duration-threshold=200000d",
            "riprap.policies.inventory.rate-limiter.limit-refresh-period=200000d",
            "riprap.policies.inventory.rate-limiter.timeout-duration=200000d",
            "riprap.policies.inventory.bulkhead.max-wait-duration=200000d");
    long days36500InMillis = Duration.ofDays(36_500).toMillis();

    assertThat(p.retrySettings().orElseThrow().backoff(1).toMillis()).isEqualTo(days36500InMillis);
    CircuitBreakerConfig breaker = p.circuitBreaker().orElseThrow().getCircuitBreakerConfig();
    assertThat(breaker.getWaitIntervalFunctionInOpenState().apply(1)).isEqualTo(days36500InMillis);
    assertThat(breaker.getSlowCallDurationThreshold()).isEqualTo(Duration.ofDays(36_500));
    RateLimiterConfig limiter = p.rateLimiter().orElseThrow().getRateLimiterConfig();
    assertThat(limiter.getLimitRefreshPeriod()).isEqualTo(Duration.ofDays(36_500));
    assertThat(limiter.getTimeoutDuration()).isEqualTo(Duration.ofDays(36_500));
    assertThat(p.bulkhead().orElseThrow().getBulkheadConfig().getMaxWaitDuration())
        .isEqualTo(Duration.ofDays(36_500));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aHugeRetryWaitWithATotalTimeoutBuildsAndEndsAFailedCallAtOnce(Mode mode) {
    FakeTimeSource time = new FakeTimeSource();
    Policy p =
        inventory(
            time,
            "riprap.policies.inventory.retry.wait-duration=200000d",
            "riprap.policies.inventory.total-timeout=1s");

    assertThat(mode.call(p, time, () -> "stock").result).isEqualTo("stock");
    AtomicInteger attempts = new AtomicInteger();
    Mode.Outcome<String> failed =
        mode.call(
            p,
            time,
            () -> {
              attempts.incrementAndGet();
              throw new IOException("down");
            });
    // The wait would end past the total timeout: the call ends at once with its failure.
    assertThat(failed.failure).isInstanceOf(IOException.class).hasMessage("down");
    assertThat(attempts).hasValue(1);
    assertThat(time.nanoTime()).isZero();
  }

  @Test
  void theLargestBreakerWindowAndHalfOpenCallsAreAccepted() {
    Policy p =
        inventory(
            new FakeTimeSource(),
            "riprap.policies.inventory.circuit-breaker.sliding-window-size=100000",
            "riprap.policies.inventory.circuit-breaker"
                + ".permitted-number-of-calls-in-half-open-state=100000",
            "riprap.policies.inventory.retry.max-attempts=2147483647",
            "riprap.policies.inventory.bulkhead.max-concurrent-calls=2147483647",
            "riprap.policies.inventory.rate-limiter.limit-for-period=2147483647");
    CircuitBreaker breaker = p.circuitBreaker().orElseThrow();
    breaker.transitionToOpenState();
    breaker.transitionToHalfOpenState(); // allocates the half-open window

    assertThat(p.call(() -> "stock")).isEqualTo("stock");
    assertThat(breaker.getCircuitBreakerConfig().getSlidingWindowSize()).isEqualTo(100_000);
    assertThat(p.retrySettings().orElseThrow().maxAttempts()).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void aBlankPolicyNameIsNamedWithItsKey() {
    building("riprap.policies. .retry.max-attempts=3")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Unknown key 'riprap.policies. .retry.max-attempts': the policy name is blank"
                + " (expected riprap.policies.<name>.<setting>)");
  }

  @Test
  void anAttemptTimeoutAboveTheTotalTimeoutFailsWithBothKeys() {
    building(
            "riprap.defaults.total-timeout=2s",
            "riprap.policies.inventory.attempt-timeout=5s")
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Policy 'inventory': attempt timeout (5s) must not exceed total timeout (2s) (from"
                + " riprap.policies.inventory.attempt-timeout=5s, riprap.defaults.total-timeout=2s)");
  }

  @Test
  void aTimeBasedWindowShorterThanTwiceTheAttemptTimeoutFails() {
    building(
            "riprap.policies.inventory.attempt-timeout=10s",
            "riprap.policies.inventory.circuit-breaker.sliding-window-type=time-based",
            "riprap.policies.inventory.circuit-breaker.sliding-window-size=15")
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Policy 'inventory': the circuit breaker's time-based window (15s) must be at least 2x"
                + " the attempt timeout (10s) (from riprap.policies.inventory.attempt-timeout=10s,"
                + " riprap.policies.inventory.circuit-breaker.sliding-window-type=time-based,"
                + " riprap.policies.inventory.circuit-breaker.sliding-window-size=15)");
  }

  @Test
  void defaultsThatConflictOnTheirOwnFailEvenWithNoPolicy() {
    building("riprap.defaults.attempt-timeout=3s", "riprap.defaults.total-timeout=1s")
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Policy 'riprap.defaults': attempt timeout (3s) must not exceed total timeout (1s)"
                + " (from riprap.defaults.attempt-timeout=3s, riprap.defaults.total-timeout=1s)");
  }

  @Test
  void aMaxWaitBelowTheFirstWaitFailsWithBothKeys() {
    building(
            "riprap.defaults.retry.max-wait-duration=1s",
            "riprap.policies.inventory.retry.wait-duration=2s")
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "'riprap.defaults.retry.max-wait-duration' (1s) must be at least"
                + " 'riprap.policies.inventory.retry.wait-duration' (2s)");
    building("riprap.policies.inventory.retry.max-wait-duration=100ms")
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "'riprap.policies.inventory.retry.max-wait-duration' (100ms) must be at least the"
                + " default retry.wait-duration (500ms)");
  }

  @Test
  void aPacedRateAndALimitPerPeriodInOneScopeExcludeEachOther() {
    building(
            "riprap.policies.inventory.rate-limiter.paced-rate=100",
            "riprap.policies.inventory.rate-limiter.limit-for-period=10")
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Keys 'riprap.policies.inventory.rate-limiter.paced-rate' (100) and"
                + " 'riprap.policies.inventory.rate-limiter.limit-for-period' (10) exclude each"
                + " other: set either a paced rate or a limit per period");
  }

  @Test
  void aPolicyConfiguredInCodeAndInPropertiesFails() {
    assertThatThrownBy(
            () ->
                PolicyRegistry.builder()
                    .properties(props("riprap.policies.inventory.attempt-timeout=1s"))
                    .policy("inventory", p -> p.bulkhead(2))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Policy 'inventory' is configured both in code and in properties"
                + " (riprap.policies.inventory.*); configure it in one place");
  }
}
