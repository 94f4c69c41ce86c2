package dev.riprap.http;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses an HTTP-date (RFC 9110 section 5.6.7) in each of the three forms a recipient must accept:
 *
 * <ul>
 *   <li>IMF-fixdate, the one senders use: {@code Sun, 06 Nov 1994 08:49:37 GMT} (a one-digit day
 *       is accepted too, as {@code DateTimeFormatter.RFC_1123_DATE_TIME} writes it);
 *   <li>the obsolete RFC 850 form, with a two-digit year: {@code Sunday, 06-Nov-94 08:49:37 GMT};
 *   <li>the obsolete asctime form, with a space-padded day: {@code Sun Nov  6 08:49:37 1994}.
 * </ul>
 *
 * Names are matched case-blind and the day name is not checked against the date (the date is what
 * the sender means; a wrong weekday is a typo, not a different time). A second of 60 (a leap
 * second, which the grammar allows) is read as the next second. Anything else, an impossible date
 * included, is not a date: the result is empty, never an exception.
 *
 * <p>Package-private: {@link RetryAfter} uses it now, and a cache reading {@code Date}, {@code
 * Expires} and {@code Last-Modified} can use it later.
 */
final class HttpDate {
  private static final List<String> MONTHS =
      List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec");
  private static final String DAY = "(?:mon|tue|wed|thu|fri|sat|sun)";
  private static final String LONG_DAY =
      "(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)";
  private static final String MONTH = "(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)";
  private static final String TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
  private static final Pattern IMF_FIXDATE = Pattern.compile(
      DAY + ", (\\d{1,2}) " + MONTH + " (\\d{4}) " + TIME + " GMT", Pattern.CASE_INSENSITIVE);
  private static final Pattern RFC_850 = Pattern.compile(
      LONG_DAY + ", (\\d{2})-" + MONTH + "-(\\d{2}) " + TIME + " GMT", Pattern.CASE_INSENSITIVE);
  private static final Pattern ASCTIME = Pattern.compile(
      DAY + " " + MONTH + " ([ \\d]\\d) " + TIME + " (\\d{4})", Pattern.CASE_INSENSITIVE);

  private HttpDate() {}

  /**
   * The instant {@code text} names, or empty when it is none of the three forms or no real date.
   *
   * @param text the field value, without surrounding whitespace
   * @param now the current time, which places an RFC 850 two-digit year in its century
   */
  static Optional<Instant> parse(String text, Instant now) {
    Matcher m = IMF_FIXDATE.matcher(text);
    if (m.matches()) {
      return at(Integer.parseInt(m.group(3)), m.group(2), m.group(1), m, 4);
    }
    m = RFC_850.matcher(text);
    if (m.matches()) {
      Optional<Instant> at = at(centuryOf(now) + Integer.parseInt(m.group(3)), m.group(2),
          m.group(1), m, 4);
      // RFC 9110: a two-digit year that appears more than 50 years in the future is the most
      // recent past year with those two digits.
      if (at.isPresent()
          && at.get().isAfter(now.atOffset(ZoneOffset.UTC).plusYears(50).toInstant())) {
        return Optional.of(at.get().atOffset(ZoneOffset.UTC).minusYears(100).toInstant());
      }
      return at;
    }
    m = ASCTIME.matcher(text);
    if (m.matches()) {
      return at(Integer.parseInt(m.group(6)), m.group(1), m.group(2).trim(), m, 3);
    }
    return Optional.empty();
  }

  private static int centuryOf(Instant now) {
    return now.atOffset(ZoneOffset.UTC).getYear() / 100 * 100;
  }

  /** The instant of a matched date whose hour, minute and second are groups {@code time..+2}. */
  private static Optional<Instant> at(int year, String month, String day, Matcher m, int time) {
    int second = Integer.parseInt(m.group(time + 2));
    boolean leap = second == 60;
    try {
      LocalDateTime t = LocalDateTime.of(year, MONTHS.indexOf(month.toLowerCase(Locale.ROOT)) + 1,
          Integer.parseInt(day), Integer.parseInt(m.group(time)),
          Integer.parseInt(m.group(time + 1)), leap ? 59 : second);
      return Optional.of(t.toInstant(ZoneOffset.UTC).plusSeconds(leap ? 1 : 0));
    } catch (DateTimeException e) {
      return Optional.empty(); // 31 Feb, hour 25 and the like: no date at all
    }
  }
}
