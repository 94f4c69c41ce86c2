package dev.riprap;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * A paced rate as a resilience4j limiter config: {@code permitsPerSecond} calls a second spread
 * evenly, one every {@code 1 s / permitsPerSecond} (as uber-go/ratelimit paces), so a burst is
 * smoothed rather than let through. Used by {@link Policy.Builder#pacedRate} and the HTTP client's
 * per-host rate limit.
 */
public final class PacedRate {
  private PacedRate() {}

  /**
   * The limiter config of a paced rate.
   *
   * @param permitsPerSecond calls per second, 1 to 1,000,000
   * @param maxWait the longest a call waits for its slot before it is rejected, zero or more
   * @return a config of one permit per {@code 1 s / permitsPerSecond}
   * @throws IllegalArgumentException if a value is out of range, naming it
   * @throws NullPointerException if {@code maxWait} is null
   */
  public static RateLimiterConfig config(int permitsPerSecond, Duration maxWait) {
    if (permitsPerSecond < 1 || permitsPerSecond > 1_000_000) {
      throw new IllegalArgumentException(
          "permitsPerSecond must be in [1, 1000000], was " + permitsPerSecond);
    }
    Objects.requireNonNull(maxWait, "maxWait");
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException(
          "maxWait must not be negative, was " + Durations.format(maxWait));
    }
    return RateLimiterConfig.custom()
        .limitForPeriod(1)
        .limitRefreshPeriod(Duration.ofNanos(1_000_000_000L / permitsPerSecond))
        .timeoutDuration(maxWait)
        .build();
  }
}
