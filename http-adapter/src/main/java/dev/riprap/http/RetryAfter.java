package dev.riprap.http;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Parses {@code Retry-After} (RFC 9110 section 10.2.3): delta-seconds, or an HTTP-date in any of
 * its three forms ({@link HttpDate}).
 */
final class RetryAfter {
  /** The longest wait a header can ask for; any longer count of seconds saturates to it. */
  static final Duration LONGEST = Duration.ofSeconds(Long.MAX_VALUE);

  private RetryAfter() {}

  /**
   * The wait the header asks for, measured from {@code now}; empty when the header is absent or
   * unparseable (the caller then falls back to the backoff). A date in the past means "now".
   */
  static Optional<Duration> parse(HttpHeaders headers, Instant now) {
    return headers.firstValue("Retry-After").flatMap(v -> parse(v, now));
  }

  /**
   * The wait {@code value} asks for: delta-seconds (digits only; more seconds than a {@code long}
   * holds saturate to {@link #LONGEST}, the caller's cap then applies), or an HTTP-date (the time
   * from {@code now} to it, zero if it is past). Empty for anything else: a sign, a fraction, a
   * unit, a malformed date.
   */
  static Optional<Duration> parse(String value, Instant now) {
    String v = value.trim();
    if (v.isEmpty()) {
      return Optional.empty();
    }
    if (isDigits(v)) {
      return Optional.of(seconds(v));
    }
    return HttpDate.parse(v, now).map(at -> {
      Duration d = Duration.between(now, at);
      return d.isNegative() ? Duration.ZERO : d;
    });
  }

  private static Duration seconds(String digits) {
    long s = 0;
    for (int i = 0; i < digits.length(); i++) {
      int d = digits.charAt(i) - '0';
      if (s > (Long.MAX_VALUE - d) / 10) {
        return LONGEST;
      }
      s = s * 10 + d;
    }
    return Duration.ofSeconds(s);
  }

  private static boolean isDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }
}
