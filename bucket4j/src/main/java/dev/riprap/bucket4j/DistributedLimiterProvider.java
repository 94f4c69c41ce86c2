package dev.riprap.bucket4j;

import dev.riprap.Durations;
import dev.riprap.ExternalLimiter;
import dev.riprap.TimeSource;
import dev.riprap.config.LimiterProvider;
import dev.riprap.internal.Check;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Configures {@link DistributedLimiter}s from {@code riprap.*} properties. The store is wiring,
 * not a setting: the application hands it in here and registers the provider on the registry.
 *
 * <pre>{@code
 * PolicyRegistry registry = PolicyRegistry.builder()
 *     .limiterProvider(DistributedLimiterProvider.of(RedisStores.lettuce(connection)))
 *     .propertiesFile(Path.of("riprap.properties"))
 *     .build();
 * }</pre>
 *
 * <pre>
 * riprap.policies.geocoder.rate-limiter.distributed.permits=100
 * riprap.policies.geocoder.rate-limiter.distributed.period=1s
 * riprap.policies.geocoder.rate-limiter.distributed.replicas=3
 * </pre>
 *
 * <p>Settings, under {@code rate-limiter.distributed.}: {@code permits} (required, an integer
 * &gt;= 1), {@code period} (positive duration, default 1s), {@code key} (the bucket's key in the
 * store, default {@code riprap:<policy>}), {@code replicas} (integer &gt;= 1, default 1), {@code
 * local-permits} (integer &gt;= 1, default {@code ceil(permits / replicas)}), {@code fail-mode}
 * ({@code local}, {@code allow} or {@code reject}, default local), {@code store-timeout} (positive,
 * at most 1m, default 50ms), {@code store-retry-interval} (1ms to 1h, default 1s), {@code batching}
 * (true or false, default true). Every value is checked when the properties are parsed; a bad one
 * is an {@link IllegalArgumentException} naming the key, the value and the expected form. When the
 * registry is built, {@code permits} and {@code local-permits} above one per nanosecond of the
 * period (Bucket4j's fastest refill) are an {@link IllegalStateException} naming the key.
 */
public final class DistributedLimiterProvider implements LimiterProvider {
  private static final List<String> SETTINGS = List.of(
      "permits", "period", "key", "replicas", "local-permits", "fail-mode", "store-timeout",
      "store-retry-interval", "batching");

  private final ProxyManager<String> store;

  private DistributedLimiterProvider(ProxyManager<String> store) {
    this.store = store;
  }

  /**
   * A provider whose limiters use {@code store}.
   *
   * @param store the proxy manager of the shared store, with string keys
   * @return the provider
   * @throws NullPointerException if {@code store} is null
   */
  public static DistributedLimiterProvider of(ProxyManager<String> store) {
    return new DistributedLimiterProvider(Check.notNull(store, "store"));
  }

  /** {@code distributed}: the keys are {@code rate-limiter.distributed.<setting>}. */
  @Override
  public String name() {
    return "distributed";
  }

  @Override
  public List<String> settings() {
    return SETTINGS;
  }

  @Override
  public Object parse(String setting, String key, String raw) {
    switch (setting) {
      case "permits":
      case "replicas":
      case "local-permits":
        return positiveInteger(key, raw);
      case "period":
        return Check.positiveDuration(key, raw);
      case "key":
        if (raw.isBlank()) {
          throw new IllegalArgumentException(Check.expected(key, "a key that is not blank", raw));
        }
        return raw.trim();
      case "fail-mode":
        try {
          return FailMode.valueOf(raw.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(Check.expected(key, "local, allow or reject", raw));
        }
      case "store-timeout":
        return within(key, raw, Duration.ofNanos(1), DistributedLimiter.MAX_STORE_TIMEOUT,
            "a duration between 1ns and 1m such as 50ms");
      case "store-retry-interval":
        return within(key, raw, Duration.ofMillis(1), Duration.ofHours(1),
            "a duration between 1ms and 1h such as 1s");
      default:
        String t = raw.trim().toLowerCase(Locale.ROOT);
        if (!t.equals("true") && !t.equals("false")) {
          throw new IllegalArgumentException(Check.expected(key, "true or false", raw));
        }
        return Boolean.valueOf(t);
    }
  }

  private static int positiveInteger(String key, String raw) {
    String t = raw.trim();
    // Ten digits at most, so that the value fits a long before its range is checked.
    if (!t.matches("\\+?\\d{1,10}")
        || Long.parseLong(t) < 1 || Long.parseLong(t) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(Check.expected(key, "an integer >= 1", raw));
    }
    return Integer.parseInt(t.startsWith("+") ? t.substring(1) : t);
  }

  private static Duration within(String key, String raw, Duration min, Duration max, String form) {
    Duration d = Check.parseDuration(key, raw, form);
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new IllegalArgumentException(Check.expected(key, form, raw));
    }
    return d;
  }

  @Override
  public ExternalLimiter limiter(
      String policy, Map<String, Object> values, Map<String, String> keys, TimeSource timeSource) {
    Check.requireState(values.containsKey("permits"),
        "Policy '%s': a distributed rate limiter needs rate-limiter.distributed.permits (set: %s)",
        policy, keys.values());
    int permits = (Integer) values.get("permits");
    // As for every duration key: above 36,500 days taken as 36,500 days.
    Duration period = Check.capped((Duration) values.getOrDefault("period", Duration.ofSeconds(1)));
    requireRate(permits, period, keys.get("permits"));
    if (values.containsKey("local-permits")) {
      requireRate((Integer) values.get("local-permits"), period, keys.get("local-permits"));
    }
    String key = (String) values.getOrDefault("key", "riprap:" + policy);
    DistributedLimiter.Builder<String> b = DistributedLimiter.builder(store, key)
        .limit(permits, period)
        .replicas((Integer) values.getOrDefault("replicas", 1))
        .failMode((FailMode) values.getOrDefault("fail-mode", FailMode.LOCAL))
        .storeTimeout(
            (Duration) values.getOrDefault("store-timeout", DistributedLimiter.DEFAULT_STORE_TIMEOUT))
        .storeRetryInterval((Duration) values.getOrDefault(
            "store-retry-interval", DistributedLimiter.DEFAULT_STORE_RETRY_INTERVAL))
        .optimization(Boolean.FALSE.equals(values.get("batching")) ? null : Optimizations.batching())
        .timeSource(timeSource);
    if (values.containsKey("local-permits")) {
      b.localLimit((Integer) values.get("local-permits"), period);
    }
    return b.build();
  }

  /** Bucket4j refills at most one token a nanosecond: a faster quota names its key here. */
  private static void requireRate(int permits, Duration period, String key) {
    if (permits > period.toNanos()) {
      throw new IllegalStateException(Check.expected(key,
          "at most one per nanosecond of the period (" + Durations.format(period) + ": at most "
              + period.toNanos() + ")", String.valueOf(permits)));
    }
  }

  @Override
  public String toString() {
    return "DistributedLimiterProvider[" + store + "]";
  }
}
