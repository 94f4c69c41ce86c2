package dev.riprap.http;

import dev.riprap.internal.Check;
import java.time.Duration;

/**
 * Settings of the client's stale-if-error cache (the idea of RFC 5861): the last good response to
 * each GET URI is kept, and served instead of a failure when the host fails or the client rejects
 * the request. A served copy carries the header {@code Riprap-Stale: true} and an {@code Age} header
 * (seconds since it was received), so the caller can tell it from a fresh answer.
 *
 * <p>Only 2xx responses to GET requests without an {@code Authorization} header and without {@code
 * Cache-Control: no-store} are kept, and only while their body fits {@link #maxEntryBytes()}. The
 * cache holds at most {@link #maxEntries()} responses and {@link #maxTotalBytes()} of bodies,
 * dropping the least recently used; a copy older than {@link #maxAge()} is never served.
 *
 * @param maxEntries the most responses kept, at least 1
 * @param maxEntryBytes the largest body kept, at least 1 byte
 * @param maxTotalBytes the most body bytes kept in all, at least {@code maxEntryBytes}
 * @param maxAge the oldest copy that may be served, positive; above 36,500 days kept as 36,500 days
 */
public record StaleIfError(int maxEntries, long maxEntryBytes, long maxTotalBytes, Duration maxAge) {
  /**
   * Validates the settings.
   *
   * @param maxEntries the most responses kept, at least 1
   * @param maxEntryBytes the largest body kept, at least 1
   * @param maxTotalBytes the most body bytes kept in all, at least {@code maxEntryBytes}
   * @param maxAge the oldest copy that may be served, positive; above 36,500 days kept as 36,500
   *     days
   *
   * @throws IllegalArgumentException if a value is out of range; the message names it
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
  }

  /**
   * 1,000 responses, bodies up to 256 KiB each and 16 MiB in all, served up to 5 minutes old.
   *
   * @return the default settings
   */
  public static StaleIfError defaults() {
    return new StaleIfError(1_000, 256 * 1024, 16 * 1024 * 1024, Duration.ofMinutes(5));
  }
}
