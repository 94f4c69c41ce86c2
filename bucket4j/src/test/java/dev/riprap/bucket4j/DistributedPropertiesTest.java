package dev.riprap.bucket4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.PolicyRegistry;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code riprap.policies.<name>.rate-limiter.distributed.*}: validated like every other key, merged
 * with the defaults key by key, exclusive with the local limiters, and a policy built from them
 * that shares its quota through a real Redis.
 */
class DistributedPropertiesTest {
  private static LocalRedis redis;
  private static ProxyManager<String> store;

  @BeforeAll
  static void startRedis() {
    redis = LocalRedis.start();
    store = RedisStores.lettuce(redis.connection());
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  private static PolicyRegistry registry(String... keysAndValues) {
    Properties p = new Properties();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      p.setProperty(keysAndValues[i], keysAndValues[i + 1]);
    }
    return PolicyRegistry.builder()
        .limiterProvider(DistributedLimiterProvider.of(store))
        .properties(p)
        .build();
  }

  private static DistributedLimiter limiterOf(Policy policy) {
    return (DistributedLimiter) policy.externalLimiter().orElseThrow();
  }

  @Test
  void aPolicyConfiguredInPropertiesSharesItsQuotaThroughTheStore() {
    PolicyRegistry first = registry(
        "riprap.policies.geocoder.rate-limiter.distributed.permits", "2",
        "riprap.policies.geocoder.rate-limiter.distributed.period", "1h",
        "riprap.policies.geocoder.rate-limiter.distributed.key", "props-e2e");
    PolicyRegistry second = registry(
        "riprap.policies.geocoder.rate-limiter.distributed.permits", "2",
        "riprap.policies.geocoder.rate-limiter.distributed.period", "1h",
        "riprap.policies.geocoder.rate-limiter.distributed.key", "props-e2e");

    assertThat(first.policy("geocoder").call(() -> "ran")).isEqualTo("ran");
    assertThat(second.policy("geocoder").call(() -> "ran")).isEqualTo("ran");
    assertThatThrownBy(() -> first.policy("geocoder").call(() -> "ran"))
        .isInstanceOf(RejectedException.class)
        .satisfies(e -> assertThat(((RejectedException) e).reason())
            .isEqualTo(RejectionReason.RATE_LIMITED))
        .hasMessageContaining("distributed limiter 'props-e2e' (2 per 1h, burst 2)");
  }

  @Test
  void everySettingReachesTheLimiterAndTheDefaultsApply() {
    PolicyRegistry r = registry(
        "riprap.policies.geocoder.rate-limiter.distributed.permits", "100",
        "riprap.policies.geocoder.rate-limiter.distributed.fail-mode", "Reject",
        "riprap.policies.geocoder.rate-limiter.distributed.store-timeout", "20ms",
        "riprap.policies.geocoder.rate-limiter.distributed.store-retry-interval", "5s",
        "riprap.policies.geocoder.rate-limiter.distributed.batching", "false",
        "riprap.policies.plain.rate-limiter.distributed.permits", "7");

    DistributedLimiter geocoder = limiterOf(r.policy("geocoder"));
    assertThat(geocoder.failMode()).isEqualTo(FailMode.REJECT);
    assertThat(geocoder.storeTimeout()).isEqualTo(Duration.ofMillis(20));
    assertThat(geocoder.storeBreaker().getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState()
        .apply(1)).isEqualTo(5_000L);
    assertThat(geocoder).hasToString("distributed limiter 'riprap:geocoder' (100 per 1s, burst 100)");
    DistributedLimiter plain = limiterOf(r.policy("plain"));
    assertThat(plain.failMode()).isEqualTo(FailMode.LOCAL);
    assertThat(plain.storeTimeout()).isEqualTo(DistributedLimiter.DEFAULT_STORE_TIMEOUT);
  }

  @Test
  void aPolicysKeysOverrideTheDefaultsKeyByKeyAndEnabledFalseRemovesTheLimiter() {
    PolicyRegistry r = registry(
        "riprap.defaults.rate-limiter.distributed.permits", "10",
        "riprap.defaults.rate-limiter.distributed.fail-mode", "allow",
        "riprap.policies.geocoder.rate-limiter.distributed.permits", "20",
        "riprap.policies.payments.rate-limiter.paced-rate", "5",
        "riprap.policies.ledger.rate-limiter.enabled", "false");

    DistributedLimiter geocoder = limiterOf(r.policy("geocoder"));
    assertThat(geocoder.toString()).contains("20 per 1s");
    assertThat(geocoder.failMode()).isEqualTo(FailMode.ALLOW);
    // A policy's own choice of another limiter replaces the defaults' distributed one.
    assertThat(r.policy("payments").externalLimiter()).isEmpty();
    assertThat(r.policy("payments").pacedLimiter()).isPresent();
    assertThat(r.policy("ledger").externalLimiter()).isEmpty();
    assertThat(limiterOf(r.policyOrDefault("other")).toString()).contains("'riprap:other'");
  }

  @Test
  void aMistypedSettingNamesTheClosestKey() {
    assertThatThrownBy(() -> registry(
        "riprap.policies.geocoder.rate-limiter.distributed.permit", "100"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Unknown key 'riprap.policies.geocoder.rate-limiter.distributed.permit': did"
            + " you mean 'riprap.policies.geocoder.rate-limiter.distributed.permits'?");
  }

  @Test
  void withoutTheProviderTheKeysAreUnknown() {
    Properties p = new Properties();
    p.setProperty("riprap.policies.geocoder.rate-limiter.distributed.permits", "100");

    assertThatThrownBy(() -> PolicyRegistry.builder().properties(p).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "Unknown key 'riprap.policies.geocoder.rate-limiter.distributed.permits'");
  }

  @Test
  void badValuesNameTheKeyTheValueAndTheExpectedForm() {
    String k = "riprap.policies.geocoder.rate-limiter.distributed.";
    assertThatThrownBy(() -> registry(k + "fail-mode", "sometimes"))
        .hasMessage(k + "fail-mode: expected local, allow or reject, was 'sometimes'");
    assertThatThrownBy(() -> registry(k + "permits", "0"))
        .hasMessage(k + "permits: expected an integer >= 1, was '0'");
    assertThatThrownBy(() -> registry(k + "permits", "99999999999999999999"))
        .hasMessage(k + "permits: expected an integer >= 1, was '99999999999999999999'");
    assertThatThrownBy(() -> registry(k + "store-timeout", "5m"))
        .hasMessage(k + "store-timeout: expected a duration between 1ns and 1m such as 50ms,"
            + " was '5m'");
    assertThatThrownBy(() -> registry(k + "period", "-1s"))
        .hasMessageStartingWith(k + "period: expected a positive duration");
    assertThatThrownBy(() -> registry(k + "batching", "maybe"))
        .hasMessage(k + "batching: expected true or false, was 'maybe'");
    assertThatThrownBy(() -> registry(k + "key", " "))
        .hasMessage(k + "key: expected a key that is not blank, was ' '");
  }

  @Test
  void aQuotaFasterThanOnePermitANanosecondNamesTheKeyWhenTheRegistryIsBuilt() {
    String k = "riprap.policies.geocoder.rate-limiter.distributed.";
    assertThatThrownBy(() -> registry(k + "permits", "2000000000", k + "period", "1ms"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(k + "permits: expected at most one per nanosecond of the period"
            + " (1ms: at most 1000000), was '2000000000'");
    assertThatThrownBy(() -> registry(k + "permits", "10", k + "local-permits", "2000000000"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(k + "local-permits: expected at most one per nanosecond of the period"
            + " (1s: at most 1000000000), was '2000000000'");
    // The key named is the one the value came from.
    assertThatThrownBy(() -> registry(
        "riprap.defaults.rate-limiter.distributed.permits", "2", k + "period", "1ns"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("riprap.defaults.rate-limiter.distributed.permits: expected at most one per nanosecond of the period"
            + " (1ns: at most 1), was '2'");
  }

  @Test
  void aHugePeriodIsTakenAsTheLongestDuration() {
    PolicyRegistry r = registry(
        "riprap.policies.geocoder.rate-limiter.distributed.permits", "1",
        "riprap.policies.geocoder.rate-limiter.distributed.period", "9223372036854775807ms");

    assertThat(limiterOf(r.policy("geocoder")).toString()).contains("1 per 36500d");
  }

  @Test
  void aDistributedLimiterWithoutPermitsOrBesideAnotherLimiterFailsTheBuild() {
    assertThatThrownBy(() -> registry(
        "riprap.policies.geocoder.rate-limiter.distributed.fail-mode", "allow"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Policy 'geocoder': a distributed rate limiter needs"
            + " rate-limiter.distributed.permits (set:"
            + " [riprap.policies.geocoder.rate-limiter.distributed.fail-mode])");
    assertThatThrownBy(() -> registry(
        "riprap.policies.geocoder.rate-limiter.distributed.permits", "10",
        "riprap.policies.geocoder.rate-limiter.paced-rate", "10"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Keys 'riprap.policies.geocoder.rate-limiter.distributed.permits' (10) and"
            + " 'riprap.policies.geocoder.rate-limiter.paced-rate' (10) exclude each other: set"
            + " one kind of rate limiter per policy");
  }
}
