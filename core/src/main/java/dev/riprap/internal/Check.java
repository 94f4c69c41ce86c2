package dev.riprap.internal;

import dev.riprap.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * The checks of every Riprap builder and parser, with one message template per kind of mistake, so
 * that a value is judged and reported the same way whether it came from code, properties, an HTTP
 * policy or an annotation. Internal: exported only to Riprap's own modules.
 *
 * <p>The templates ({@code name} is the argument in code, the full key in properties, the
 * annotation attribute with its method for annotations):
 *
 * <ul>
 *   <li>a value passed in code: {@code <name> must be <expected>, was <value>}, as {@link
 *       IllegalArgumentException} (for example {@code attemptTimeout must be positive, was -1s});
 *   <li>a text that is parsed (a property value, an annotation attribute): {@code <name>: expected
 *       <expected>, was '<text>'}, as {@link IllegalArgumentException};
 *   <li>a setting given twice to one builder: {@code <name> was already set to <value>}, as {@link
 *       IllegalStateException};
 *   <li>settings that contradict each other: {@link #requireState}, as {@link
 *       IllegalStateException} naming both values.
 * </ul>
 *
 * <p>Durations are shown in Riprap's short form ({@link Durations#format}); other values as {@link
 * String#valueOf}.
 */
public final class Check {
  /**
   * The longest duration Riprap hands to a timer or to resilience4j, 36,500 days (100 years): a
   * longer timeout, wait or open period is accepted and treated as this. Such a wait never ends in
   * practice, and the cap keeps nanosecond arithmetic exact: resilience4j adds and multiplies
   * durations in {@code long} nanoseconds without checking (its rate limiter adds the refresh
   * period to the longest wait; its breaker turns the slow-call threshold into nanoseconds), and
   * {@code Long.MAX_VALUE} nanoseconds is only 292 years, so two capped values still add up
   * without overflow.
   */
  public static final Duration LONGEST = Duration.ofDays(36_500);

  /**
   * The largest circuit-breaker window (calls, or seconds for a time-based window) and the largest
   * number of calls a half-open breaker lets through. resilience4j 2.4 allocates one object per
   * slot, about 45 bytes, when the breaker is made and at every transition to CLOSED or HALF_OPEN
   * ({@code FixedSizeSlidingWindowMetrics}, {@code SlidingTimeWindowMetrics}): 100,000 slots are
   * about 4.5 MB per breaker (and the HTTP client keeps one breaker per host), while {@code
   * Integer.MAX_VALUE} slots fail with {@code OutOfMemoryError}. A window of 100,000 calls or 27
   * hours is past any use: a breaker that slow to react protects nothing.
   */
  public static final int MAX_BREAKER_SLOTS = 100_000;

  /** The expected form of a positive duration, as written in messages. */
  public static final String POSITIVE_DURATION = "a positive duration such as 250ms, 2s or PT2S";

  /** The expected form of a duration of zero or more, as written in messages. */
  public static final String NON_NEGATIVE_DURATION =
      "a duration of zero or more such as 0s, 250ms or PT2S";

  /**
   * The expected form of a duration resilience4j counts in whole milliseconds (backoff waits, the
   * breaker's open period), as written in messages.
   */
  public static final String MILLIS_DURATION =
      "a duration of at least 1ms such as 250ms, 2s or PT2S";

  /** What a text too long for {@link Duration} is expected to be, as written in messages. */
  static final String REPRESENTABLE_DURATION = "a duration of at most 292 billion years";

  private static final Duration ONE_MILLI = Duration.ofMillis(1);

  /** The whole seconds in {@code Long.MAX_VALUE} nanoseconds. */
  private static final long MAX_SECONDS = Long.MAX_VALUE / 1_000_000_000L;

  private Check() {}

  // ---------------------------------------------------------------- templates

  /**
   * The message for a bad value passed in code.
   *
   * @param name the argument's name
   * @param expected what the value must be, such as {@code "positive"} or {@code ">= 1"}
   * @param value the value
   * @return {@code <name> must be <expected>, was <value>}
   */
  public static String mustBe(String name, String expected, Object value) {
    return name + " must be " + expected + ", was " + show(value);
  }

  /**
   * The message for a bad text (a property value, an annotation attribute).
   *
   * @param name the full key, or the annotation attribute with its method
   * @param expected what the text must be, such as {@link #POSITIVE_DURATION}
   * @param text the text as written
   * @return {@code <name>: expected <expected>, was '<text>'}
   */
  public static String expected(String name, String expected, String text) {
    return name + ": expected " + expected + ", was '" + text + "'";
  }

  /**
   * A value as messages show it: a duration in the short form, anything else as {@link
   * String#valueOf}.
   *
   * @param value the value, possibly null
   * @return its text
   */
  public static String show(Object value) {
    return value instanceof Duration ? Durations.format((Duration) value) : String.valueOf(value);
  }

  // ---------------------------------------------------------------- arguments

  /**
   * Requires {@code ok}, else throws {@code <name> must be <expected>, was <value>}.
   *
   * @param ok whether the value is acceptable
   * @param name the argument's name
   * @param expected what the value must be
   * @param value the value
   * @throws IllegalArgumentException if not {@code ok}
   */
  public static void requireArgument(boolean ok, String name, String expected, Object value) {
    if (!ok) {
      throw new IllegalArgumentException(mustBe(name, expected, value));
    }
  }

  /**
   * Requires a value to be there.
   *
   * @param value the value
   * @param name the argument's name, the message of the exception
   * @param <T> its type
   * @return {@code value}
   * @throws NullPointerException if {@code value} is null
   */
  public static <T> T notNull(T value, String name) {
    return Objects.requireNonNull(value, name);
  }

  /**
   * Requires a text that is not blank.
   *
   * @param value the text
   * @param name the argument's name
   * @return {@code value}
   * @throws NullPointerException if {@code value} is null
   * @throws IllegalArgumentException {@code <name> must not be blank, was '<value>'}
   */
  public static String notBlank(String value, String name) {
    notNull(value, name);
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank, was '" + value + "'");
    }
    return value;
  }

  /**
   * Requires {@code value >= min}.
   *
   * @param value the value
   * @param min the least value accepted
   * @param name the argument's name
   * @return {@code value}
   * @throws IllegalArgumentException {@code <name> must be >= <min>, was <value>}
   */
  public static int atLeast(int value, int min, String name) {
    requireArgument(value >= min, name, ">= " + min, value);
    return value;
  }

  /**
   * Requires {@code min <= value <= max}.
   *
   * @param value the value
   * @param min the least value accepted
   * @param max the greatest value accepted
   * @param name the argument's name
   * @return {@code value}
   * @throws IllegalArgumentException {@code <name> must be in [<min>, <max>], was <value>}
   */
  public static int inRange(int value, int min, int max, String name) {
    requireArgument(value >= min && value <= max, name, "in [" + min + ", " + max + "]", value);
    return value;
  }

  /**
   * Requires {@code min <= value <= max}; NaN is refused.
   *
   * @param value the value
   * @param min the least value accepted
   * @param max the greatest value accepted
   * @param name the argument's name
   * @return {@code value}
   * @throws IllegalArgumentException {@code <name> must be in [<min>, <max>], was <value>}
   */
  public static double inRange(double value, double min, double max, String name) {
    requireArgument(
        value >= min && value <= max, name, "in [" + plain(min) + ", " + plain(max) + "]", value);
    return value;
  }

  /** A bound as a person writes it: {@code 1000}, not {@code 1000.0}. */
  private static String plain(double bound) {
    return bound == Math.rint(bound) && Math.abs(bound) < 1e15
        ? Long.toString((long) bound)
        : Double.toString(bound);
  }

  /**
   * Requires a positive duration.
   *
   * @param d the duration
   * @param name the argument's name
   * @return {@code d}
   * @throws NullPointerException if {@code d} is null
   * @throws IllegalArgumentException {@code <name> must be positive, was <d>}
   */
  public static Duration positive(Duration d, String name) {
    notNull(d, name);
    requireArgument(!d.isNegative() && !d.isZero(), name, "positive", d);
    return d;
  }

  /**
   * Requires a duration of zero or more.
   *
   * @param d the duration
   * @param name the argument's name
   * @return {@code d}
   * @throws NullPointerException if {@code d} is null
   * @throws IllegalArgumentException {@code <name> must not be negative, was <d>}
   */
  public static Duration notNegative(Duration d, String name) {
    notNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, was " + show(d));
    }
    return d;
  }

  /**
   * Requires a duration of at least {@code min}.
   *
   * @param d the duration
   * @param min the shortest duration accepted
   * @param name the argument's name
   * @return {@code d}
   * @throws NullPointerException if {@code d} is null
   * @throws IllegalArgumentException {@code <name> must be at least <min>, was <d>}
   */
  public static Duration atLeast(Duration d, Duration min, String name) {
    notNull(d, name);
    requireArgument(d.compareTo(min) >= 0, name, "at least " + show(min), d);
    return d;
  }

  /**
   * Requires a duration of at least one millisecond, the unit resilience4j counts backoff waits and
   * open periods in.
   *
   * @param d the duration
   * @param name the argument's name
   * @return {@code d}
   * @throws NullPointerException if {@code d} is null
   * @throws IllegalArgumentException {@code <name> must be at least 1ms, was <d>}
   */
  public static Duration atLeastOneMilli(Duration d, String name) {
    return atLeast(d, ONE_MILLI, name);
  }

  /**
   * Requires a duration of at least another argument's: the longest backoff wait against the
   * first, say.
   *
   * @param d the duration
   * @param name its argument's name
   * @param other the other argument's value
   * @param otherName the other argument's name
   * @return {@code d}
   * @throws NullPointerException if {@code d} is null
   * @throws IllegalArgumentException {@code <name> must be at least <otherName> (<other>), was <d>}
   */
  public static Duration notBelow(Duration d, String name, Duration other, String otherName) {
    notNull(d, name);
    requireArgument(
        d.compareTo(other) >= 0, name, "at least " + otherName + " (" + show(other) + ")", d);
    return d;
  }

  /**
   * Requires {@code min <= d <= max}.
   *
   * @param d the duration
   * @param min the shortest duration accepted
   * @param max the longest duration accepted
   * @param name the argument's name
   * @return {@code d}
   * @throws NullPointerException if {@code d} is null
   * @throws IllegalArgumentException {@code <name> must be between <min> and <max>, was <d>}
   */
  public static Duration between(Duration d, Duration min, Duration max, String name) {
    notNull(d, name);
    requireArgument(
        d.compareTo(min) >= 0 && d.compareTo(max) <= 0,
        name,
        "between " + show(min) + " and " + show(max),
        d);
    return d;
  }

  // ---------------------------------------------------------------- state

  /**
   * Requires that a setting was not given to this builder yet (Caffeine's "was already set").
   *
   * @param alreadySet whether it was
   * @param name the setting's name
   * @param current its current value, for the message
   * @throws IllegalStateException {@code <name> was already set to <current>}
   */
  public static void requireUnset(boolean alreadySet, String name, Object current) {
    if (alreadySet) {
      throw new IllegalStateException(name + " was already set to " + show(current));
    }
  }

  /**
   * Requires {@code ok}, else throws an {@link IllegalStateException} with the formatted message;
   * for settings that contradict each other, naming both values.
   *
   * @param ok whether the settings agree
   * @param template a {@link String#format} template
   * @param args its arguments; durations among them are shown in the short form
   * @throws IllegalStateException if not {@code ok}
   */
  public static void requireState(boolean ok, String template, Object... args) {
    if (!ok) {
      Object[] shown = new Object[args.length];
      for (int i = 0; i < args.length; i++) {
        shown[i] = show(args[i]);
      }
      throw new IllegalStateException(String.format(template, shown));
    }
  }

  // ---------------------------------------------------------------- texts

  /**
   * Parses a duration written in a property or an annotation.
   *
   * @param name the key, or the annotation attribute with its method
   * @param text the text as written
   * @param expected what the text must be, such as {@link #POSITIVE_DURATION}: named when the text
   *     is not a duration at all
   * @return the duration, of any length {@link Duration} holds
   * @throws IllegalArgumentException {@code <name>: expected <expected>, was '<text>'}, or {@code
   *     expected a duration of at most 292 billion years} for a number too large for {@link
   *     Duration}
   */
  public static Duration parseDuration(String name, String text, String expected) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      String why = e.getCause() instanceof ArithmeticException ? REPRESENTABLE_DURATION : expected;
      throw new IllegalArgumentException(expected(name, why, String.valueOf(text)), e);
    }
  }

  /**
   * Parses a positive duration written in a property or an annotation.
   *
   * @param name the key, or the annotation attribute with its method
   * @param text the text as written
   * @return the duration
   * @throws IllegalArgumentException {@code <name>: expected a positive duration such as 250ms, 2s
   *     or PT2S, was '<text>'}
   */
  public static Duration positiveDuration(String name, String text) {
    return parseDuration(name, text, POSITIVE_DURATION, Duration.ofNanos(1));
  }

  /**
   * Parses a duration of zero or more written in a property or an annotation.
   *
   * @param name the key, or the annotation attribute with its method
   * @param text the text as written
   * @return the duration
   * @throws IllegalArgumentException {@code <name>: expected a duration of zero or more such as
   *     0s, 250ms or PT2S, was '<text>'}
   */
  public static Duration nonNegativeDuration(String name, String text) {
    return parseDuration(name, text, NON_NEGATIVE_DURATION, Duration.ZERO);
  }

  /**
   * Parses a duration of at least one millisecond written in a property or an annotation: a
   * backoff wait or a breaker's open period, which resilience4j counts in whole milliseconds.
   *
   * @param name the key, or the annotation attribute with its method
   * @param text the text as written
   * @return the duration
   * @throws IllegalArgumentException {@code <name>: expected a duration of at least 1ms such as
   *     250ms, 2s or PT2S, was '<text>'}
   */
  public static Duration millisDuration(String name, String text) {
    return parseDuration(name, text, MILLIS_DURATION, ONE_MILLI);
  }

  private static Duration parseDuration(String name, String text, String expected, Duration min) {
    Duration d = parseDuration(name, text, expected);
    if (d.compareTo(min) < 0) {
      throw new IllegalArgumentException(expected(name, expected, text));
    }
    return d;
  }

  // ---------------------------------------------------------------- saturation

  /**
   * The duration, or {@link #LONGEST} if it is longer: for a timeout or a wait where a huge value
   * means "a very long time".
   *
   * @param d the duration
   * @return {@code d} or {@link #LONGEST}
   */
  public static Duration capped(Duration d) {
    return d.compareTo(LONGEST) > 0 ? LONGEST : d;
  }

  /**
   * The duration in nanoseconds, saturated: {@code Long.MAX_VALUE} for anything longer than 292
   * years, {@code Long.MIN_VALUE} for anything that far negative.
   *
   * @param d the duration
   * @return its nanoseconds, saturated
   */
  public static long saturatedNanos(Duration d) {
    // The JDK's conversion saturates instead of throwing (Duration.toNanos() throws).
    return java.util.concurrent.TimeUnit.NANOSECONDS.convert(d);
  }

}
