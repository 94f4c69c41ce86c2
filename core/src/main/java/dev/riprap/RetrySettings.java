package dev.riprap;

import dev.riprap.internal.Check;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Riprap's own retry settings: how many attempts, which failures (and results) are retried, and
 * the exponential backoff with jitter between attempts, to the nanosecond. The policy computes each
 * wait from these numbers without allocating anything ({@code retry(RetryConfig)} stays for
 * resilience4j configs, whose interval functions work in milliseconds and box every wait).
 *
 * <pre>{@code
 * RetrySettings retry = RetrySettings.builder(4)
 *     .backoff(Duration.ofMillis(50), Duration.ofSeconds(2))   // 50 ms, 100 ms, 200 ms, ... <= 2 s
 *     .jitter(0.2)                                             // each wait randomized by +-20%
 *     .retryOn(e -> e instanceof IOException)
 *     .build();
 * Policy policy = Policy.builder("inventory").retry(retry).build();
 * }</pre>
 *
 * <p>The wait after failed attempt {@code n} is {@code initial × multiplier^(n-1)}, at most {@code
 * max} ({@link #backoff(int)}), then randomized by ± {@code jitter} of itself and capped at {@code
 * max} again, so clients that failed together do not retry together. An {@link Error} is never
 * retried, whatever {@link Builder#retryOn} says. Immutable and thread-safe.
 */
public final class RetrySettings {
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final long initialNanos;
  private final long maxNanos;
  private final double multiplier;
  private final double jitter;
  private final Predicate<? super Throwable> retryOn;
  private final Predicate<Object> retryOnResult;

  private RetrySettings(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.initialBackoff = b.initial;
    this.maxBackoff = b.max;
    this.initialNanos = Check.saturatedNanos(b.initial);
    this.maxNanos = Check.saturatedNanos(b.max);
    this.multiplier = b.multiplier;
    this.jitter = b.jitter;
    this.retryOn = b.retryOn;
    this.retryOnResult = b.retryOnResult;
  }

  /**
   * Starts settings of {@code maxAttempts} attempts in all, with the defaults: a backoff from 100
   * ms doubling up to 10 s, jitter ±50%, every exception retried, no result retried.
   *
   * @param maxAttempts attempts in all, including the first, at least 1
   * @return a new builder
   * @throws IllegalArgumentException if {@code maxAttempts} is below 1
   */
  public static Builder builder(int maxAttempts) {
    return new Builder(Check.atLeast(maxAttempts, 1, "maxAttempts"));
  }

  /**
   * The attempts in all, including the first.
   *
   * @return at least 1
   */
  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * The wait after the first failed attempt, before jitter.
   *
   * @return the first wait
   */
  public Duration initialBackoff() {
    return initialBackoff;
  }

  /**
   * The longest wait, jitter included.
   *
   * @return the longest wait
   */
  public Duration maxBackoff() {
    return maxBackoff;
  }

  /**
   * The factor each wait grows by.
   *
   * @return 1 or more
   */
  public double multiplier() {
    return multiplier;
  }

  /**
   * How much each wait is randomized, as a fraction of it.
   *
   * @return in [0, 1]
   */
  public double jitter() {
    return jitter;
  }

  /**
   * The wait after failed attempt {@code attempt} before jitter: {@code initial ×
   * multiplier^(attempt-1)}, at most the maximum.
   *
   * @param attempt the attempt that failed, 1 for the first
   * @return the wait before jitter
   * @throws IllegalArgumentException if {@code attempt} is below 1
   */
  public Duration backoff(int attempt) {
    return Duration.ofNanos(baseNanos(Check.atLeast(attempt, 1, "attempt")));
  }

  private long baseNanos(int attempt) {
    double base = initialNanos * Math.pow(multiplier, attempt - 1);
    return base >= maxNanos ? maxNanos : (long) base;
  }

  /** The wait after failed attempt {@code attempt}, jitter applied; nothing allocated. */
  long delayNanos(int attempt) {
    long base = baseNanos(attempt);
    if (jitter == 0) {
      return base;
    }
    double r = ThreadLocalRandom.current().nextDouble(-jitter, jitter);
    double jittered = base * (1 + r);
    return jittered >= maxNanos ? maxNanos : (long) Math.max(0, jittered);
  }

  Predicate<? super Throwable> retryOn() {
    return retryOn;
  }

  Predicate<Object> retryOnResult() {
    return retryOnResult;
  }

  @Override
  public String toString() {
    return "RetrySettings[" + maxAttempts + " attempts, backoff " + Durations.format(initialBackoff)
        + " x" + multiplier + " <= " + Durations.format(maxBackoff) + ", jitter " + jitter + "]";
  }

  /**
   * Builds {@link RetrySettings}. Each setter checks its value at once and may be called once. Not
   * thread-safe; the settings it builds are immutable.
   */
  public static final class Builder {
    private final int maxAttempts;
    private Duration initial = Duration.ofMillis(100);
    private Duration max = Duration.ofSeconds(10);
    private double multiplier = 2.0;
    private double jitter = 0.5;
    private Predicate<? super Throwable> retryOn = t -> true;
    private Predicate<Object> retryOnResult;
    private boolean backoffSet;
    private boolean multiplierSet;
    private boolean jitterSet;
    private boolean retryOnSet;

    private Builder(int maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    /**
     * An exponential backoff from {@code initial} up to {@code max}. Default 100 ms up to 10 s.
     *
     * @param initial the first wait, positive; above 36,500 days taken as 36,500 days
     * @param max the longest wait, at least {@code initial}; above 36,500 days taken as 36,500
     *     days
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range, naming it
     * @throws IllegalStateException if a backoff was already set
     */
    public Builder backoff(Duration initial, Duration max) {
      Check.requireUnset(backoffSet, "backoff", this.initial + ".." + this.max);
      Check.positive(initial, "initial");
      Check.notBelow(max, "max", initial, "initial");
      this.initial = Check.capped(initial);
      this.max = Check.capped(max);
      this.backoffSet = true;
      return this;
    }

    /**
     * The same wait between every two attempts (no growth, no jitter unless {@link #jitter} is
     * also set).
     *
     * @param wait the wait, positive; above 36,500 days taken as 36,500 days
     * @return this builder
     * @throws IllegalArgumentException if {@code wait} is not positive
     * @throws IllegalStateException if a backoff, multiplier or jitter was already set
     */
    public Builder fixedBackoff(Duration wait) {
      backoff(wait, wait);
      multiplier(1.0);
      if (!jitterSet) {
        jitter = 0;
      }
      return this;
    }

    /**
     * The factor each wait grows by. Default 2.
     *
     * @param multiplier 1 or more, finite
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder multiplier(double multiplier) {
      Check.requireUnset(multiplierSet, "multiplier", this.multiplier);
      Check.requireArgument(multiplier >= 1 && multiplier < Double.POSITIVE_INFINITY, "multiplier",
          ">= 1", multiplier);
      this.multiplier = multiplier;
      this.multiplierSet = true;
      return this;
    }

    /**
     * How much each wait is randomized: ± this fraction of it, never above the maximum. Default
     * 0.5; 0 for exact waits.
     *
     * @param fraction 0 to 1
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder jitter(double fraction) {
      Check.requireUnset(jitterSet, "jitter", this.jitter);
      this.jitter = Check.inRange(fraction, 0.0, 1.0, "jitter");
      this.jitterSet = true;
      return this;
    }

    /**
     * Which exceptions are retried. Default: every exception. An {@link Error} is never retried,
     * whatever this says. A predicate that throws ends the call with what it threw.
     *
     * @param predicate true for a failure worth another attempt
     * @return this builder
     * @throws NullPointerException if {@code predicate} is null
     * @throws IllegalStateException if already set
     */
    public Builder retryOn(Predicate<? super Throwable> predicate) {
      Check.requireUnset(retryOnSet, "retryOn", this.retryOn);
      this.retryOn = Check.notNull(predicate, "predicate");
      this.retryOnSet = true;
      return this;
    }

    /**
     * Which returned results are retried (a result that says "try again later"); the result of
     * the last attempt is returned as it is. Default: none. A predicate that throws ends the call
     * with what it threw.
     *
     * @param predicate true for a result worth another attempt
     * @return this builder
     * @throws NullPointerException if {@code predicate} is null
     * @throws IllegalStateException if already set
     */
    public Builder retryOnResult(Predicate<Object> predicate) {
      Check.requireUnset(retryOnResult != null, "retryOnResult", retryOnResult);
      this.retryOnResult = Check.notNull(predicate, "predicate");
      return this;
    }

    /**
     * Builds the settings.
     *
     * @return the settings
     */
    public RetrySettings build() {
      return new RetrySettings(this);
    }
  }
}
