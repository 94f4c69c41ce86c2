package dev.riprap.config;

import static dev.riprap.config.Setting.ATTEMPT_TIMEOUT;
import static dev.riprap.config.Setting.BH_MAX_CONCURRENT_CALLS;
import static dev.riprap.config.Setting.BH_MAX_WAIT_DURATION;
import static dev.riprap.config.Setting.CB_AWAIT_PROBE;
import static dev.riprap.config.Setting.CB_FAILURE_RATE_THRESHOLD;
import static dev.riprap.config.Setting.CB_MINIMUM_NUMBER_OF_CALLS;
import static dev.riprap.config.Setting.CB_PERMITTED_CALLS_IN_HALF_OPEN_STATE;
import static dev.riprap.config.Setting.CB_SLIDING_WINDOW_SIZE;
import static dev.riprap.config.Setting.CB_SLIDING_WINDOW_TYPE;
import static dev.riprap.config.Setting.CB_SLOW_CALL_DURATION_THRESHOLD;
import static dev.riprap.config.Setting.CB_SLOW_CALL_RATE_THRESHOLD;
import static dev.riprap.config.Setting.CB_WAIT_DURATION_IN_OPEN_STATE;
import static dev.riprap.config.Setting.RB_MIN_RETRIES_PER_SECOND;
import static dev.riprap.config.Setting.RB_RATIO;
import static dev.riprap.config.Setting.RB_WINDOW;
import static dev.riprap.config.Setting.RETRY_JITTER;
import static dev.riprap.config.Setting.RETRY_MAX_ATTEMPTS;
import static dev.riprap.config.Setting.RETRY_MAX_WAIT_DURATION;
import static dev.riprap.config.Setting.RETRY_MULTIPLIER;
import static dev.riprap.config.Setting.RETRY_WAIT_DURATION;
import static dev.riprap.config.Setting.RL_LIMIT_FOR_PERIOD;
import static dev.riprap.config.Setting.RL_LIMIT_REFRESH_PERIOD;
import static dev.riprap.config.Setting.RL_PACED_RATE;
import static dev.riprap.config.Setting.RL_TIMEOUT_DURATION;
import static dev.riprap.config.Setting.TOTAL_TIMEOUT;

import dev.riprap.Durations;
import dev.riprap.Policy;
import dev.riprap.RetryBudget;
import dev.riprap.RetrySettings;
import dev.riprap.TimeSource;
import dev.riprap.config.RiprapProperties.Value;
import dev.riprap.config.Setting.Strategy;
import dev.riprap.internal.Check;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The settings of one policy: its own keys over the defaults, key by key. Turns them into
 * resilience4j configs and {@link Policy.Builder} calls. Each value was range-checked when parsed
 * ({@link Setting.Kind}), so resilience4j refuses none; a duration longer than {@link Check#LONGEST}
 * is capped before it reaches resilience4j.
 */
final class Resolved {
  private final Map<Setting, Value> general;
  private final Map<Setting, Value> own;
  private final Map<String, Value> generalExtra;
  private final Map<String, Value> ownExtra;
  private final Extras extras;
  private final String policy;

  /**
   * @param extras the limiter providers' values of every scope
   * @param ownPrefix the key prefix of the policy's own scope
   * @param policy the policy's name
   */
  Resolved(Map<Setting, Value> general, Map<Setting, Value> own, Extras extras, String ownPrefix,
      String policy) {
    this.general = general;
    this.own = own;
    this.extras = extras;
    this.generalExtra = extras.scope(RiprapProperties.DEFAULTS);
    this.ownExtra = RiprapProperties.DEFAULTS.equals(ownPrefix) ? Map.of() : extras.scope(ownPrefix);
    this.policy = policy;
  }

  /**
   * The value in effect: the policy's own, else the default's, except that a policy choosing a
   * paced rate drops the defaults' limit per period and the other way round (the two exclude each
   * other, and the policy's choice is the more specific one).
   */
  Value get(Setting s) {
    Value v = own.get(s);
    if (v != null) {
      return v;
    }
    switch (s) {
      case RL_LIMIT_FOR_PERIOD:
      case RL_LIMIT_REFRESH_PERIOD:
        if (own.containsKey(RL_PACED_RATE) || !ownExtra.isEmpty()) {
          return null;
        }
        break;
      case RL_PACED_RATE:
        if (own.containsKey(RL_LIMIT_FOR_PERIOD) || own.containsKey(RL_LIMIT_REFRESH_PERIOD)
            || !ownExtra.isEmpty()) {
          return null;
        }
        break;
      default:
        break;
    }
    return general.get(s);
  }

  @SuppressWarnings("unchecked")
  private <T> T value(Setting s, T fallback) {
    Value v = get(s);
    return v == null ? fallback : (T) v.parsed;
  }

  /**
   * Whether a strategy is on. The most specific scope that says anything decides: its {@code
   * enabled} key if present, else the presence of any of the strategy's keys (which turns it on).
   */
  boolean enabled(Strategy strategy) {
    Boolean stated = statedIn(own, strategy);
    if (stated == null && strategy == Strategy.RATE_LIMITER && !ownExtra.isEmpty()) {
      stated = Boolean.TRUE;
    }
    if (stated == null) {
      stated = statedIn(general, strategy);
    }
    if (stated == null && strategy == Strategy.RATE_LIMITER && !generalExtra.isEmpty()) {
      stated = Boolean.TRUE;
    }
    return stated != null && stated;
  }

  /**
   * The limiter provider's values in effect, keyed {@code <provider>.<setting>}: the policy's own
   * over the defaults' of the same provider; none from the defaults when the policy chose a paced
   * rate or a limit per period of its own.
   */
  private Map<String, Value> externalValues() {
    if (ownExtra.isEmpty()) {
      boolean ownChoice = own.containsKey(RL_PACED_RATE) || own.containsKey(RL_LIMIT_FOR_PERIOD)
          || own.containsKey(RL_LIMIT_REFRESH_PERIOD);
      return ownChoice ? Map.of() : generalExtra;
    }
    String provider = providerOf(ownExtra.keySet().iterator().next());
    Map<String, Value> merged = new java.util.TreeMap<>();
    generalExtra.forEach((k, v) -> {
      if (providerOf(k).equals(provider)) {
        merged.put(k, v);
      }
    });
    merged.putAll(ownExtra);
    return merged;
  }

  private static String providerOf(String key) {
    return key.substring(0, key.indexOf('.'));
  }

  private static Boolean statedIn(Map<Setting, Value> scope, Strategy strategy) {
    Value enabled = scope.get(strategy.enabledSetting());
    if (enabled != null) {
      return (Boolean) enabled.parsed;
    }
    for (Setting s : scope.keySet()) {
      if (s.strategy == strategy) {
        return Boolean.TRUE;
      }
    }
    return null;
  }

  void applyTo(Policy.Builder builder, TimeSource timeSource, RetryBudget defaultBudget) {
    Value attempt = get(ATTEMPT_TIMEOUT);
    if (attempt != null) {
      builder.attemptTimeout((Duration) attempt.parsed);
    }
    Value total = get(TOTAL_TIMEOUT);
    if (total != null) {
      builder.totalTimeout((Duration) total.parsed);
    }
    if (enabled(Strategy.RETRY)) {
      builder.retry(retrySettings());
    }
    if (enabled(Strategy.CIRCUIT_BREAKER)) {
      builder.circuitBreaker(breakerConfig());
      set(CB_AWAIT_PROBE, v -> builder.awaitProbe((Duration) v));
    }
    if (enabled(Strategy.RATE_LIMITER)) {
      applyRateLimiter(builder, timeSource);
    }
    if (enabled(Strategy.BULKHEAD)) {
      builder.bulkhead(bulkheadConfig());
    }
    if (enabled(Strategy.RETRY_BUDGET)) {
      builder.retryBudget(
          defaultBudget != null && !ownsBudget() ? defaultBudget : newBudget(timeSource));
    }
  }

  /**
   * A policy has a budget of its own when it sets a budget value itself, or when the defaults
   * declare no budget to share.
   */
  private boolean ownsBudget() {
    return own.containsKey(RB_RATIO)
        || own.containsKey(RB_MIN_RETRIES_PER_SECOND)
        || own.containsKey(RB_WINDOW)
        || !Boolean.TRUE.equals(statedIn(general, Strategy.RETRY_BUDGET));
  }

  RetryBudget newBudget(TimeSource timeSource) {
    RetryBudget.Builder b = RetryBudget.builder().timeSource(timeSource);
    set(RB_RATIO, v -> b.ratio((Double) v));
    set(RB_MIN_RETRIES_PER_SECOND, v -> b.minRetriesPerSecond((Integer) v));
    set(RB_WINDOW, v -> b.window((Duration) v));
    return b.build();
  }

  private RetrySettings retrySettings() {
    int maxAttempts = value(RETRY_MAX_ATTEMPTS, RiprapProperties.DEFAULT_MAX_ATTEMPTS);
    Value waitValue = get(RETRY_WAIT_DURATION);
    Duration wait = value(RETRY_WAIT_DURATION, RiprapProperties.DEFAULT_WAIT);
    Value maxWaitValue = get(RETRY_MAX_WAIT_DURATION);
    // An explicit first wait above the default cap raises the cap rather than conflicting with it.
    Duration maxWait =
        maxWaitValue != null
            ? (Duration) maxWaitValue.parsed
            : max(RiprapProperties.DEFAULT_MAX_WAIT, wait);
    Check.requireState(
        maxWait.compareTo(wait) >= 0,
        "%s must be at least %s",
        maxWaitValue == null ? null : maxWaitValue.describe(),
        waitValue != null
            ? waitValue.describe()
            : "the default retry.wait-duration (" + Durations.format(wait) + ")");
    double multiplier = value(RETRY_MULTIPLIER, RiprapProperties.DEFAULT_MULTIPLIER);
    double jitter = value(RETRY_JITTER, RiprapProperties.DEFAULT_JITTER);
    // Every value was range-checked when parsed; a very long wait is capped by the settings.
    return RetrySettings.builder(maxAttempts)
        .backoff(wait, maxWait)
        .multiplier(multiplier)
        .jitter(jitter)
        .build();
  }

  private CircuitBreakerConfig breakerConfig() {
    CircuitBreakerConfig.Builder b = CircuitBreakerConfig.custom();
    set(CB_FAILURE_RATE_THRESHOLD, v -> b.failureRateThreshold(((Double) v).floatValue()));
    set(CB_SLOW_CALL_RATE_THRESHOLD, v -> b.slowCallRateThreshold(((Double) v).floatValue()));
    set(
        CB_SLOW_CALL_DURATION_THRESHOLD,
        v -> b.slowCallDurationThreshold(Check.capped((Duration) v)));
    set(CB_SLIDING_WINDOW_TYPE, v -> b.slidingWindowType((SlidingWindowType) v));
    set(CB_SLIDING_WINDOW_SIZE, v -> b.slidingWindowSize((Integer) v));
    set(CB_MINIMUM_NUMBER_OF_CALLS, v -> b.minimumNumberOfCalls((Integer) v));
    set(
        CB_WAIT_DURATION_IN_OPEN_STATE,
        v -> b.waitDurationInOpenState(Check.capped((Duration) v)));
    set(
        CB_PERMITTED_CALLS_IN_HALF_OPEN_STATE,
        v -> b.permittedNumberOfCallsInHalfOpenState((Integer) v));
    return b.build();
  }

  private void applyRateLimiter(Policy.Builder builder, TimeSource timeSource) {
    Map<String, Value> external = externalValues();
    if (!external.isEmpty()) {
      String provider = providerOf(external.keySet().iterator().next());
      Map<String, Object> values = new java.util.LinkedHashMap<>();
      Map<String, String> keys = new java.util.LinkedHashMap<>();
      external.forEach((k, v) -> {
        values.put(k.substring(provider.length() + 1), v.parsed);
        keys.put(k.substring(provider.length() + 1), v.key);
      });
      builder.rateLimiter(extras.provider(provider).limiter(policy, values, keys, timeSource));
      return;
    }
    Duration timeout = Check.capped(value(RL_TIMEOUT_DURATION, Duration.ZERO));
    Value paced = get(RL_PACED_RATE);
    if (paced != null) {
      builder.pacedRate((Integer) paced.parsed, timeout);
      return;
    }
    RateLimiterConfig.Builder b = RateLimiterConfig.custom();
    b.limitForPeriod(RiprapProperties.DEFAULT_LIMIT_FOR_PERIOD);
    b.limitRefreshPeriod(RiprapProperties.DEFAULT_LIMIT_REFRESH_PERIOD);
    set(RL_LIMIT_FOR_PERIOD, v -> b.limitForPeriod((Integer) v));
    set(RL_LIMIT_REFRESH_PERIOD, v -> b.limitRefreshPeriod(Check.capped((Duration) v)));
    b.timeoutDuration(timeout);
    builder.rateLimiter(b.build());
  }

  private BulkheadConfig bulkheadConfig() {
    BulkheadConfig.Builder b = BulkheadConfig.custom();
    b.maxConcurrentCalls(RiprapProperties.DEFAULT_MAX_CONCURRENT_CALLS);
    b.maxWaitDuration(Duration.ZERO);
    set(BH_MAX_CONCURRENT_CALLS, v -> b.maxConcurrentCalls((Integer) v));
    set(BH_MAX_WAIT_DURATION, v -> b.maxWaitDuration(Check.capped((Duration) v)));
    return b.build();
  }

  /** The keys behind the policy's cross-field checks, for the message of a failed build. */
  String timingKeys() {
    List<String> keys = new ArrayList<>();
    List<Setting> relevant = new ArrayList<>(List.of(ATTEMPT_TIMEOUT, TOTAL_TIMEOUT));
    if (enabled(Strategy.CIRCUIT_BREAKER)) {
      relevant.add(CB_SLIDING_WINDOW_TYPE);
      relevant.add(CB_SLIDING_WINDOW_SIZE);
    }
    for (Setting s : relevant) {
      Value v = get(s);
      if (v != null) {
        keys.add(v.toString());
      }
    }
    return keys.isEmpty() ? "" : "from " + String.join(", ", keys);
  }

  /**
   * Passes the value of {@code s}, if any, to {@code setter}. Values were range-checked when
   * parsed, to the limits resilience4j and {@link Policy.Builder} accept, so none is refused here.
   */
  private void set(Setting s, Consumer<Object> setter) {
    Value v = get(s);
    if (v != null) {
      setter.accept(v.parsed);
    }
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
