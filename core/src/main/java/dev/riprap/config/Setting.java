package dev.riprap.config;

import dev.riprap.Durations;
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
      "circuit-breaker.sliding-window-size", Kind.INTEGER_AT_LEAST_1, Strategy.CIRCUIT_BREAKER),
  CB_MINIMUM_NUMBER_OF_CALLS(
      "circuit-breaker.minimum-number-of-calls",
      Kind.INTEGER_AT_LEAST_1,
      Strategy.CIRCUIT_BREAKER),
  CB_WAIT_DURATION_IN_OPEN_STATE(
      "circuit-breaker.wait-duration-in-open-state",
      Kind.POSITIVE_DURATION,
      Strategy.CIRCUIT_BREAKER),
  CB_PERMITTED_CALLS_IN_HALF_OPEN_STATE(
      "circuit-breaker.permitted-number-of-calls-in-half-open-state",
      Kind.INTEGER_AT_LEAST_1,
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

  /** The forms a value can take; {@link #parse} throws with the text of {@link #expected}. */
  enum Kind {
    POSITIVE_DURATION("a positive duration such as 250ms, 2s, 1m or ISO-8601 like PT2S"),
    NON_NEGATIVE_DURATION("a duration of zero or more such as 0s, 250ms or ISO-8601 like PT2S"),
    /** RetryBudget accepts windows from 1 second to 1 hour. */
    BUDGET_WINDOW("a duration between 1s and 1h"),
    INTEGER_AT_LEAST_0("an integer >= 0"),
    INTEGER_AT_LEAST_1("an integer >= 1"),
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
     * Parses and range-checks a trimmed value.
     *
     * @return a {@link Duration}, {@link Integer}, {@link Double}, {@link Boolean} or {@link
     *     SlidingWindowType}
     * @throws IllegalArgumentException with the expected form as the message (the caller adds the
     *     key and the value)
     */
    Object parse(String text) {
      switch (this) {
        case POSITIVE_DURATION:
          {
            Duration d = duration(text);
            require(!d.isNegative() && !d.isZero());
            return d;
          }
        case NON_NEGATIVE_DURATION:
          {
            Duration d = duration(text);
            require(!d.isNegative());
            return d;
          }
        case BUDGET_WINDOW:
          {
            Duration d = duration(text);
            require(d.compareTo(Duration.ofSeconds(1)) >= 0 && d.compareTo(Duration.ofHours(1)) <= 0);
            return d;
          }
        case INTEGER_AT_LEAST_0:
          return integerAtLeast(text, 0, Integer.MAX_VALUE);
        case INTEGER_AT_LEAST_1:
          return integerAtLeast(text, 1, Integer.MAX_VALUE);
        case PACED_RATE:
          return integerAtLeast(text, 1, 1_000_000);
        case PERCENTAGE:
          {
            double v = number(text);
            require(v > 0 && v <= 100);
            return v;
          }
        case FRACTION:
          {
            double v = number(text);
            require(v >= 0 && v <= 1);
            return v;
          }
        case NUMBER_AT_LEAST_1:
          {
            double v = number(text);
            require(v >= 1);
            return v;
          }
        case BUDGET_RATIO:
          {
            double v = number(text);
            require(v >= 0 && v <= 1000);
            return v;
          }
        case BOOLEAN:
          {
            String t = text.toLowerCase(Locale.ROOT);
            require(t.equals("true") || t.equals("false"));
            return Boolean.valueOf(t);
          }
        default:
          {
            String t = text.toLowerCase(Locale.ROOT);
            if (t.equals("count-based")) {
              return SlidingWindowType.COUNT_BASED;
            }
            require(t.equals("time-based"));
            return SlidingWindowType.TIME_BASED;
          }
      }
    }

    private void require(boolean ok) {
      if (!ok) {
        throw new IllegalArgumentException(expected);
      }
    }

    /** An unparseable duration is named with the general form, whatever the range. */
    private static Duration duration(String text) {
      try {
        return Durations.parse(text);
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw new IllegalArgumentException(Durations.EXPECTED_FORM, e);
      }
    }

    private int integerAtLeast(String text, int min, int max) {
      require(INTEGER.matcher(text).matches());
      long v = Long.parseLong(text);
      require(v >= min && v <= max);
      return (int) v;
    }

    private double number(String text) {
      require(NUMBER.matcher(text).matches());
      return Double.parseDouble(text);
    }
  }
}
