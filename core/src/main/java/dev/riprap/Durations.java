package dev.riprap;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
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
  public static final String EXPECTED_FORM =
      "a duration such as 250ms, 2s, 1m or ISO-8601 like PT2S";

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @param text the text, for example {@code "250ms"} or {@code "PT0.25S"}
   * @return the duration
   * @throws IllegalArgumentException if the text is neither form, naming the text and the expected
   *     form
   */
  public static Duration parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("duration is null (expected " + EXPECTED_FORM + ")");
    }
    String t = text.trim();
    Matcher m = SHORT.matcher(t);
    if (m.matches()) {
      long n;
      try {
        n = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "'" + text + "' is too large (expected " + EXPECTED_FORM + ")", e);
      }
      switch (m.group(2).toLowerCase(Locale.ROOT)) {
        case "ns":
          return Duration.ofNanos(n);
        case "us":
        case "µs":
          return Duration.ofNanos(Math.multiplyExact(n, 1000L));
        case "ms":
          return Duration.ofMillis(n);
        case "s":
          return Duration.ofSeconds(n);
        case "m":
          return Duration.ofMinutes(n);
        case "h":
          return Duration.ofHours(n);
        default:
          return Duration.ofDays(n);
      }
    }
    try {
      return Duration.parse(t);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + text + "' is not " + EXPECTED_FORM, e);
    }
  }

  /**
   * Formats a duration in the short form, using the largest unit that is exact: {@code 2s}, {@code
   * 250ms}, {@code 1m}.
   *
   * @param d the duration
   * @return the short form
   */
  public static String format(Duration d) {
    long nanos;
    try {
      nanos = d.toNanos();
    } catch (ArithmeticException e) {
      return d.toString();
    }
    if (nanos == 0) {
      return "0s";
    }
    long[] sizes = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L,
      1_000_000L, 1_000L, 1L};
    String[] units = {"d", "h", "m", "s", "ms", "us", "ns"};
    for (int i = 0; i < sizes.length; i++) {
      if (nanos % sizes[i] == 0) {
        return (nanos / sizes[i]) + units[i];
      }
    }
    return nanos + "ns";
  }
}
