package dev.riprap.config;

import static dev.riprap.config.PropertiesConfigurationTest.props;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.PolicyRegistry;
import dev.riprap.testing.FakeTimeSource;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every configuration mistake fails when the registry is built, with an exact message. */
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
            "Invalid value 'abc' for 'riprap.policies.inventory.attempt-timeout': expected a"
                + " duration such as 250ms, 2s, 1m or ISO-8601 like PT2S");
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "attempt-timeout|0s|a positive duration such as 250ms, 2s, 1m or ISO-8601 like PT2S",
        "total-timeout|-PT1S|a positive duration such as 250ms, 2s, 1m or ISO-8601 like PT2S",
        "rate-limiter.timeout-duration|-PT1S|a duration of zero or more such as 0s, 250ms or"
            + " ISO-8601 like PT2S",
        "bulkhead.max-wait-duration|soon|a duration such as 250ms, 2s, 1m or ISO-8601 like PT2S",
        "retry-budget.window|2h|a duration between 1s and 1h",
        "retry.max-attempts|0|an integer >= 1",
        "retry.max-attempts|three|an integer >= 1",
        "retry.max-attempts|2.5|an integer >= 1",
        "circuit-breaker.sliding-window-size|99999999999|an integer >= 1",
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
        .hasMessage("Invalid value '" + value + "' for '" + key + "': expected " + expected);
  }

  @Test
  void aBadDefaultsValueIsNamedToo() {
    building("riprap.defaults.bulkhead.max-concurrent-calls=-3")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid value '-3' for 'riprap.defaults.bulkhead.max-concurrent-calls': expected an"
                + " integer >= 1");
  }

  @Test
  void aValueResilience4jRefusesIsNamedWithItsKey() {
    building("riprap.policies.inventory.circuit-breaker.wait-duration-in-open-state=500us")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid value '500us' for"
                + " 'riprap.policies.inventory.circuit-breaker.wait-duration-in-open-state':"
                + " waitDurationInOpenState must be at least 1[ms]");
  }

  @Test
  void aRetryWaitUnderAMillisecondIsNamedWithItsKey() {
    building(
            "riprap.policies.inventory.retry.wait-duration=200us",
            "riprap.policies.inventory.retry.max-wait-duration=1s")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid value '200us' for 'riprap.policies.inventory.retry.wait-duration':"
                + " Illegal argument interval: 0 millis is less than 1");
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
