package dev.riprap.config;

import dev.riprap.internal.Check;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One configurable setting: the key suffix after {@code riprap.defaults.} or {@code
 * riprap.policies.<name>.}, the form its value must take and the strategy it belongs to.
 */
enum Setting {
  ATTEMPT_TIMEOUT("attempt-timeout", Kind.POSITIVE_DURATION, null),
  TOTAL_TIMEOUT("total-timeout", Kind.POSITIVE_DURATION, null),

  RETRY_MAX_ATTEMPTS("retry.max-attempts", Kind.INTEGER_AT_LEAST_1, Strategy.RETRY),
  RETRY_WAIT_DURATION("retry.wait-duration", Kind.POSITIVE_DURATION, Strategy.RETRY),
  RETRY_MAX_WAIT_DURATION("retry.max-wait-duration", Kind.POSITIVE_DURATION, Strategy.RETRY),
  RETRY_MULTIPLIER("retry.multiplier", Kind.NUMBER_AT_LEAST_1, Strategy.RETRY),
  RETRY_JITTER("retry.jitter", Kind.FRACTION, Strategy.RETRY),
  RETRY_ENABLED("retry.enabled", Kind.BOOLEAN, Strategy.RETRY),

  CB_FAILURE_RATE_THRESHOLD(
      "circuit-breaker.failure-rate-threshold", Kind.PERCENTAGE, Strategy.CIRCUIT_BREAKER),
  CB_SLOW_CALL_RATE_THRESHOLD(
      "circuit-breaker.slow-call-rate-threshold", Kind.PERCENTAGE, Strategy.CIRCUIT_BREAKER),
  CB_SLOW_CALL_DURATION_THRESHOLD(
      "circuit-breaker.slow-call-duration-threshold",
      Kind.POSITIVE_DURATION,
      Strategy.CIRCUIT_BREAKER),
  CB_SLIDING_WINDOW_TYPE(
      "circuit-breaker.sliding-window-type", Kind.WINDOW_TYPE, Strategy.CIRCUIT_BREAKER),
  CB_SLIDING_WINDOW_SIZE(
      "circuit-breaker.sliding-window-size", Kind.BREAKER_SLOTS, Strategy.CIRCUIT_BREAKER),
  CB_MINIMUM_NUMBER_OF_CALLS(
      "circuit-breaker.minimum-number-of-calls",
      Kind.INTEGER_AT_LEAST_1,
      Strategy.CIRCUIT_BREAKER),
  CB_WAIT_DURATION_IN_OPEN_STATE(
      "circuit-breaker.wait-duration-in-open-state",
      Kind.MILLIS_DURATION,
      Strategy.CIRCUIT_BREAKER),
  CB_PERMITTED_CALLS_IN_HALF_OPEN_STATE(
      "circuit-breaker.permitted-number-of-calls-in-half-open-state",
      Kind.BREAKER_SLOTS,
      Strategy.CIRCUIT_BREAKER),
  CB_AWAIT_PROBE("circuit-breaker.await-probe", Kind.POSITIVE_DURATION, Strategy.CIRCUIT_BREAKER),
  CB_ENABLED("circuit-breaker.enabled", Kind.BOOLEAN, Strategy.CIRCUIT_BREAKER),

  RL_LIMIT_FOR_PERIOD(
      "rate-limiter.limit-for-period", Kind.INTEGER_AT_LEAST_1, Strategy.RATE_LIMITER),
  RL_LIMIT_REFRESH_PERIOD(
      "rate-limiter.limit-refresh-period", Kind.POSITIVE_DURATION, Strategy.RATE_LIMITER),
  RL_TIMEOUT_DURATION(
      "rate-limiter.timeout-duration", Kind.NON_NEGATIVE_DURATION, Strategy.RATE_LIMITER),
  RL_PACED_RATE("rate-limiter.paced-rate", Kind.PACED_RATE, Strategy.RATE_LIMITER),
  RL_ENABLED("rate-limiter.enabled", Kind.BOOLEAN, Strategy.RATE_LIMITER),

  BH_MAX_CONCURRENT_CALLS(
      "bulkhead.max-concurrent-calls", Kind.INTEGER_AT_LEAST_1, Strategy.BULKHEAD),
  BH_MAX_WAIT_DURATION("bulkhead.max-wait-duration", Kind.NON_NEGATIVE_DURATION, Strategy.BULKHEAD),
  BH_ENABLED("bulkhead.enabled", Kind.BOOLEAN, Strategy.BULKHEAD),

  RB_RATIO("retry-budget.ratio", Kind.BUDGET_RATIO, Strategy.RETRY_BUDGET),
  RB_MIN_RETRIES_PER_SECOND(
      "retry-budget.min-retries-per-second", Kind.INTEGER_AT_LEAST_0, Strategy.RETRY_BUDGET),
  RB_WINDOW("retry-budget.window", Kind.BUDGET_WINDOW, Strategy.RETRY_BUDGET),
  RB_ENABLED("retry-budget.enabled", Kind.BOOLEAN, Strategy.RETRY_BUDGET);

  /** The strategies that can be switched on and off with {@code <strategy>.enabled}. */
  enum Strategy {
    RETRY,
    CIRCUIT_BREAKER,
    RATE_LIMITER,
    BULKHEAD,
    RETRY_BUDGET;

    Setting enabledSetting() {
      switch (this) {
        case RETRY:
          return RETRY_ENABLED;
        case CIRCUIT_BREAKER:
          return CB_ENABLED;
        case RATE_LIMITER:
          return RL_ENABLED;
        case BULKHEAD:
          return BH_ENABLED;
        default:
          return RB_ENABLED;
      }
    }
  }

  final String suffix;
  final Kind kind;
  final Strategy strategy;

  Setting(String suffix, Kind kind, Strategy strategy) {
    this.suffix = suffix;
    this.kind = kind;
    this.strategy = strategy;
  }

  /**
   * The setting whose key suffix is {@code suffix}.
   *
   * @return the setting, or {@code null} if there is none
   */
  static Setting forSuffix(String suffix) {
    for (Setting s : values()) {
      if (s.suffix.equals(suffix)) {
        return s;
      }
    }
    return null;
  }

  /**
   * The forms a value can take. {@link #parse} range-checks too and reports a bad value with {@link
   * Check#expected}: the key, {@link #expected} and the text.
   */
  enum Kind {
    POSITIVE_DURATION(Check.POSITIVE_DURATION),
    NON_NEGATIVE_DURATION(Check.NON_NEGATIVE_DURATION),
    /** resilience4j counts backoff waits and the breaker's open period in whole milliseconds. */
    MILLIS_DURATION(Check.MILLIS_DURATION),
    /** RetryBudget accepts windows from 1 second to 1 hour. */
    BUDGET_WINDOW("a duration between 1s and 1h"),
    INTEGER_AT_LEAST_0("an integer >= 0"),
    INTEGER_AT_LEAST_1("an integer >= 1"),
    /** resilience4j allocates one object per slot: see {@link Check#MAX_BREAKER_SLOTS}. */
    BREAKER_SLOTS("an integer in [1, " + Check.MAX_BREAKER_SLOTS + "]"),
    /** Policy.Builder#pacedRate accepts 1 to 1,000,000 calls per second. */
    PACED_RATE("an integer in [1, 1000000]"),
    /** resilience4j rejects a threshold of 0: a breaker that opens on no failure is meaningless. */
    PERCENTAGE("a number in (0, 100]"),
    FRACTION("a number in [0, 1]"),
    NUMBER_AT_LEAST_1("a number >= 1"),
    /** RetryBudget accepts ratios from 0 to 1000. */
    BUDGET_RATIO("a number in [0, 1000]"),
    BOOLEAN("true or false"),
    WINDOW_TYPE("count-based or time-based");

    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d{1,10}");
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)");

    /** What the value should look like, as named in error messages. */
    final String expected;

    Kind(String expected) {
      this.expected = expected;
    }

    /**
     * Parses and range-checks a value. Durations keep their full length here, so that messages
     * show them as written; a very long one is capped with {@link Check#capped} where it reaches
     * resilience4j ({@link Resolved}) or a timer ({@link dev.riprap.Policy.Builder#build()}).
     *
     * @param key the full key, for the message
     * @param raw the value as written
     * @return a {@link Duration}, {@link Integer}, {@link Double}, {@link Boolean} or {@link
     *     SlidingWindowType}
     * @throws IllegalArgumentException {@code <key>: expected <form>, was '<raw>'}
     */
    Object parse(String key, String raw) {
      String text = raw.trim();
      switch (this) {
        case POSITIVE_DURATION:
          return Check.positiveDuration(key, raw);
        case NON_NEGATIVE_DURATION:
          return Check.nonNegativeDuration(key, raw);
        case MILLIS_DURATION:
          return Check.millisDuration(key, raw);
        case BUDGET_WINDOW:
          {
            Duration d = Check.parseDuration(key, raw, expected);
            require(
                d.compareTo(Duration.ofSeconds(1)) >= 0 && d.compareTo(Duration.ofHours(1)) <= 0,
                key,
                raw);
            return d;
          }
        case INTEGER_AT_LEAST_0:
          return integer(key, raw, 0, Integer.MAX_VALUE);
        case INTEGER_AT_LEAST_1:
          return integer(key, raw, 1, Integer.MAX_VALUE);
        case BREAKER_SLOTS:
          return integer(key, raw, 1, Check.MAX_BREAKER_SLOTS);
        case PACED_RATE:
          return integer(key, raw, 1, 1_000_000);
        case PERCENTAGE:
          {
            double v = number(key, raw);
            require(v > 0 && v <= 100, key, raw);
            return v;
          }
        case FRACTION:
          {
            double v = number(key, raw);
            require(v >= 0 && v <= 1, key, raw);
            return v;
          }
        case NUMBER_AT_LEAST_1:
          {
            double v = number(key, raw);
            require(v >= 1, key, raw);
            return v;
          }
        case BUDGET_RATIO:
          {
            double v = number(key, raw);
            require(v >= 0 && v <= 1000, key, raw);
            return v;
          }
        case BOOLEAN:
          {
            String t = text.toLowerCase(Locale.ROOT);
            require(t.equals("true") || t.equals("false"), key, raw);
            return Boolean.valueOf(t);
          }
        default:
          {
            String t = text.toLowerCase(Locale.ROOT);
            if (t.equals("count-based")) {
              return SlidingWindowType.COUNT_BASED;
            }
            require(t.equals("time-based"), key, raw);
            return SlidingWindowType.TIME_BASED;
          }
      }
    }

    private void require(boolean ok, String key, String raw) {
      if (!ok) {
        throw new IllegalArgumentException(Check.expected(key, expected, raw));
      }
    }

    /** Ten digits at most, so that any value fits a long before its range is checked. */
    private int integer(String key, String raw, int min, int max) {
      String text = raw.trim();
      require(INTEGER.matcher(text).matches(), key, raw);
      long v = Long.parseLong(text);
      require(v >= min && v <= max, key, raw);
      return (int) v;
    }

    /** A finite number: hundreds of digits would parse as infinity. */
    private double number(String key, String raw) {
      String text = raw.trim();
      require(NUMBER.matcher(text).matches(), key, raw);
      double v = Double.parseDouble(text);
      require(Double.isFinite(v), key, raw);
      return v;
    }
  }
}
