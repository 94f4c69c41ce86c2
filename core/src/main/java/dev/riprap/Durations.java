package dev.riprap;

import java.math.BigInteger;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and formats durations the way Riprap's configuration writes them: {@code 250ms}, {@code
 * 2s}, {@code 1m}, {@code 1h}, {@code 1d}, {@code 500us}, {@code 10ns}, or ISO-8601 ({@code PT2S}).
 */
public final class Durations {
  private static final Pattern SHORT =
      Pattern.compile("(\\d+)\\s*(ns|us|µs|ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

  /** The expected form, as named in error messages. */
  public static final String EXPECTED_FORM = "a duration such as 250ms, 2s or PT2S";

  private static final BigInteger NANOS_PER_SECOND = BigInteger.valueOf(1_000_000_000L);
  private static final Map<String, BigInteger> NANOS_PER =
      Map.of(
          "ns", BigInteger.ONE,
          "us", BigInteger.valueOf(1_000L),
          "µs", BigInteger.valueOf(1_000L),
          "ms", BigInteger.valueOf(1_000_000L),
          "s", NANOS_PER_SECOND,
          "m", BigInteger.valueOf(60_000_000_000L),
          "h", BigInteger.valueOf(3_600_000_000_000L),
          "d", BigInteger.valueOf(86_400_000_000_000L));
  private static final long[] SECONDS_PER = {86_400, 3_600, 60, 1};
  private static final String[] SECONDS_UNITS = {"d", "h", "m", "s"};
  private static final long[] NANOS_PER_UNIT = {1_000_000L, 1_000L, 1L};
  private static final String[] NANO_UNITS = {"ms", "us", "ns"};

  private Durations() {}

  /**
   * Parses a duration. Any length {@link Duration} holds is accepted (up to about 292 billion
   * years); what Riprap then does with a very long one is said where it is used (a timeout or wait
   * longer than 36,500 days is treated as 36,500 days).
   *
   * @param text the text, for example {@code "250ms"} or {@code "PT0.25S"}
   * @return the duration
   * @throws IllegalArgumentException if the text is neither form, naming the text and the expected
   *     form; or if the number is too large for a {@link Duration} (then its cause is an {@link
   *     ArithmeticException})
   */
  public static Duration parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("duration is null (expected " + EXPECTED_FORM + ")");
    }
    String t = text.trim();
    Matcher m = SHORT.matcher(t);
    if (m.matches()) {
      BigInteger nanos =
          new BigInteger(m.group(1)).multiply(NANOS_PER.get(m.group(2).toLowerCase(Locale.ROOT)));
      BigInteger[] secondsAndNanos = nanos.divideAndRemainder(NANOS_PER_SECOND);
      if (secondsAndNanos[0].bitLength() >= Long.SIZE) {
        throw tooLong(text, new ArithmeticException("more than Long.MAX_VALUE seconds"));
      }
      return Duration.ofSeconds(secondsAndNanos[0].longValue(), secondsAndNanos[1].longValue());
    }
    try {
      return Duration.parse(t);
    } catch (DateTimeParseException e) {
      // java.time reports a number too large for a Duration as a parse error caused by an
      // ArithmeticException or NumberFormatException; any other text has no cause.
      if (e.getCause() != null) {
        throw tooLong(text, new ArithmeticException(e.getMessage()));
      }
      throw new IllegalArgumentException("'" + text + "' is not " + EXPECTED_FORM, e);
    }
  }

  private static IllegalArgumentException tooLong(String text, ArithmeticException cause) {
    return new IllegalArgumentException(
        "'" + text + "' is too long: a duration can be at most 292 billion years", cause);
  }

  /**
   * Formats a duration in the short form, using the largest unit that is exact: {@code 2s}, {@code
   * 250ms}, {@code 1m}, {@code 200000d}.
   *
   * @param d the duration
   * @return the short form; ISO-8601 for a duration too long for whole nanoseconds that is not a
   *     whole number of seconds
   */
  public static String format(Duration d) {
    if (d.isNegative()) {
      return d.getSeconds() == Long.MIN_VALUE ? d.toString() : "-" + format(d.negated());
    }
    if (d.isZero()) {
      return "0s";
    }
    if (d.getNano() == 0) {
      long seconds = d.getSeconds();
      for (int i = 0; i < SECONDS_UNITS.length; i++) {
        if (seconds % SECONDS_PER[i] == 0) {
          return (seconds / SECONDS_PER[i]) + SECONDS_UNITS[i];
        }
      }
    }
    long nanos;
    try {
      nanos = d.toNanos();
    } catch (ArithmeticException e) {
      return d.toString();
    }
    for (int i = 0; i < NANO_UNITS.length; i++) {
      if (nanos % NANOS_PER_UNIT[i] == 0) {
        return (nanos / NANOS_PER_UNIT[i]) + NANO_UNITS[i];
      }
    }
    return nanos + "ns";
  }
}
