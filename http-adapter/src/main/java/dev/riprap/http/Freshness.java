package dev.riprap.http;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** A stored response's age at arrival and its freshness lifetime (RFC 9111 section 4.2). */
final class Freshness {
  private Freshness() {}

  /**
   * The corrected initial age (RFC 9111 section 4.2.3): the larger of the apparent age (receipt
   * minus {@code Date}) and {@code Age} plus the response delay. An {@code Age} or {@code Date}
   * that does not parse is ignored.
   */
  static long initialAge(HttpHeaders headers, Instant receivedAt, long delayNanos) {
    // Age is a single value; of a list ("7200, 0") the first member counts, as of several lines.
    String first = headers.firstValue("Age").orElse("").split(",", -1)[0].trim();
    long age = CacheControl.deltaSeconds(first).orElse(0);
    long corrected = HttpCache.saturatedAdd(age, Math.max(0, delayNanos) / 1_000_000_000L);
    long apparent = headers.firstValue("Date")
        .flatMap(d -> HttpDate.parse(d.trim(), receivedAt))
        .map(d -> Math.max(0, Duration.between(d, receivedAt).getSeconds())).orElse(0L);
    return Math.max(apparent, corrected);
  }

  /**
   * The freshness lifetime in seconds (RFC 9111 section 4.2.1): s-maxage (shared), else max-age,
   * else Expires minus Date (the time received when Date is absent), else the heuristic when it
   * applies ({@code heuristic}): 10% of Date minus Last-Modified; 0 when none says.
   *
   * @param expires the {@code Expires} value that counts: empty when absent or when a targeted
   *     field (RFC 9213) decides instead
   */
  static long lifetime(HttpHeaders headers, CacheControl cc, Optional<String> expires,
      Instant receivedAt, boolean shared, boolean heuristic) {
    if (shared && cc.seconds("s-maxage").isPresent()) {
      return cc.seconds("s-maxage").getAsLong();
    }
    if (cc.seconds("max-age").isPresent()) {
      return cc.seconds("max-age").getAsLong();
    }
    if (cc.has("max-age")) {
      return 0; // a max-age that is no count of seconds: stale at once (9111 §4.2.1)
    }
    Instant date = headers.firstValue("Date")
        .flatMap(d -> HttpDate.parse(d.trim(), receivedAt)).orElse(receivedAt);
    if (expires.isPresent()) {
      // An Expires that is no date ("0" included) means already expired (9111 §5.3).
      Optional<Instant> at = HttpDate.parse(expires.get().trim(), receivedAt);
      return at.map(a -> Math.max(0, Duration.between(date, a).getSeconds())).orElse(0L);
    }
    if (!heuristic) {
      return 0;
    }
    return headers.firstValue("Last-Modified")
        .flatMap(lm -> HttpDate.parse(lm.trim(), receivedAt))
        .map(lm -> Math.max(0, Duration.between(lm, date).getSeconds()) / 10).orElse(0L);
  }
}
