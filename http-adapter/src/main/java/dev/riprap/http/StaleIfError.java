package dev.riprap.http;

import dev.riprap.internal.Check;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Settings of the client's stale-if-error cache (the idea of RFC 5861): the last good response to
 * each GET URI is kept, and served instead of a failure when the host fails or the client rejects
 * the request. A served copy carries the header {@code Riprap-Stale: true} and an {@code Age} header
 * (its age in seconds: the {@code Age} it arrived with plus the time it was kept), so the caller can
 * tell it from a fresh answer.
 *
 * <p>One client serves many end users, so the cache follows the rules of a <b>shared</b> cache
 * (RFC 9111): a copy is kept only when any caller may be given it. Kept: a 2xx answer (206 aside)
 * to a GET. Not kept: a request or response with {@code Cache-Control: no-store}; a response with
 * {@code private} or {@code no-cache} (when they list field names, only those fields are dropped
 * from the copy); a response with {@code Vary: *} or {@code Set-Cookie}; the answer to a request
 * carrying credentials (a header named in {@link #credentialHeaders()}: {@code Authorization},
 * {@code Cookie} and those you add, or added by the delegate client's cookie handler; with an
 * authenticator on the delegate, every request), unless the response says it may be shared
 * ({@code public}, {@code s-maxage} or {@code must-revalidate}, RFC 9111 section 3.5). A copy is served only to a
 * request that sends the same values of the headers its {@code Vary} names, and never past its
 * freshness when its response forbids serving it stale ({@code must-revalidate}, {@code
 * proxy-revalidate}, {@code s-maxage}).
 *
 * <p>An entry's size is its body plus its stored header fields (names and values). The cache holds
 * entries up to {@link #maxEntryBytes()} each, read as at most {@code Integer.MAX_VALUE - 8}
 * bytes, the largest array (a larger one is never stored, and is streamed to the caller
 * untouched), at most {@link #maxEntries()} of them and {@link #maxTotalBytes()} in all,
 * dropping the least recently used; a copy kept longer than {@link #maxAge()} is never served.
 *
 * @param maxEntries the most responses kept, at least 1
 * @param maxEntryBytes the largest entry kept (body and header fields), at least 1 byte
 * @param maxTotalBytes the most bytes kept in all, at least {@code maxEntryBytes}
 * @param maxAge the oldest copy that may be served, positive; above 36,500 days kept as 36,500 days
 * @param credentialHeaders the request header names that mark a request as carrying a caller's
 *     credentials, lower-case, always including {@code authorization} and {@code cookie}
 */
public record StaleIfError(
    int maxEntries, long maxEntryBytes, long maxTotalBytes, Duration maxAge,
    Set<String> credentialHeaders) {
  /** The credentials every request may carry: RFC 9111 names the first, browsers send the second. */
  private static final Set<String> ALWAYS = Set.of("authorization", "cookie");

  /**
   * Validates the settings.
   *
   * @param maxEntries the most responses kept, at least 1
   * @param maxEntryBytes the largest entry kept (body and header fields), at least 1
   * @param maxTotalBytes the most bytes kept in all, at least {@code maxEntryBytes}
   * @param maxAge the oldest copy that may be served, positive; above 36,500 days kept as 36,500
   *     days
   * @param credentialHeaders header names that mark a request as carrying credentials, besides
   *     {@code Authorization} and {@code Cookie} (always included); compared case-blind
   * @throws IllegalArgumentException if a value is out of range or a header name is not a valid
   *     field name; the message names it
   * @throws NullPointerException if {@code maxAge}, {@code credentialHeaders} or one of its names
   *     is null
   */
  public StaleIfError {
    Check.atLeast(maxEntries, 1, "maxEntries");
    Check.requireArgument(maxEntryBytes >= 1, "maxEntryBytes", ">= 1", maxEntryBytes);
    Check.requireArgument(
        maxTotalBytes >= maxEntryBytes,
        "maxTotalBytes",
        ">= maxEntryBytes (" + maxEntryBytes + ")",
        maxTotalBytes);
    // Served copies are compared with their age in nanoseconds: a longer maxAge is "any age".
    maxAge = Check.capped(Check.positive(maxAge, "maxAge"));
    credentialHeaders = headerNames(credentialHeaders);
  }

  /**
   * Settings with only {@code Authorization} and {@code Cookie} as credentials.
   *
   * @param maxEntries the most responses kept, at least 1
   * @param maxEntryBytes the largest entry kept (body and header fields), at least 1
   * @param maxTotalBytes the most bytes kept in all, at least {@code maxEntryBytes}
   * @param maxAge the oldest copy that may be served, positive; above 36,500 days kept as 36,500
   *     days
   * @throws IllegalArgumentException if a value is out of range; the message names it
   */
  public StaleIfError(int maxEntries, long maxEntryBytes, long maxTotalBytes, Duration maxAge) {
    this(maxEntries, maxEntryBytes, maxTotalBytes, maxAge, Set.of());
  }

  /**
   * 1,000 responses, entries up to 256 KiB each and 16 MiB in all, served up to 5 minutes old;
   * {@code Authorization} and {@code Cookie} are credentials.
   *
   * @return the default settings
   */
  public static StaleIfError defaults() {
    return new StaleIfError(1_000, 256 * 1024, 16 * 1024 * 1024, Duration.ofMinutes(5));
  }

  /**
   * These settings with more request headers treated as credentials, for APIs that identify the
   * caller by a header of their own: {@code defaults().withCredentialHeaders("X-Api-Key")}. The
   * answer to a request carrying one is kept only if the response says it may be shared.
   *
   * @param names header names, compared case-blind
   * @return new settings with these names added to {@link #credentialHeaders()}
   * @throws IllegalArgumentException if a name is not a valid header field name
   * @throws NullPointerException if {@code names} or one of them is null
   */
  public StaleIfError withCredentialHeaders(String... names) {
    Set<String> all = new TreeSet<>(credentialHeaders);
    for (String n : Objects.requireNonNull(names, "names")) {
      all.add(Objects.requireNonNull(n, "credentialHeaders name"));
    }
    return new StaleIfError(maxEntries, maxEntryBytes, maxTotalBytes, maxAge, all);
  }

  /** Whether the request sends any header in {@link #credentialHeaders()}. */
  boolean carriesCredentials(java.net.http.HttpHeaders request) {
    for (String name : credentialHeaders) {
      if (request.firstValue(name).isPresent()) {
        return true;
      }
    }
    return false;
  }

  private static Set<String> headerNames(Set<String> names) {
    Objects.requireNonNull(names, "credentialHeaders");
    return CacheSettings.headerNames("credentialHeaders", ALWAYS, names.toArray(new String[0]));
  }
}
