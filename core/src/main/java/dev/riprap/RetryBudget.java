package dev.riprap;

import dev.riprap.internal.Check;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A cap on how much load retries may add, shareable across policies (the idea of Finagle's
 * {@code RetryBudget} and gRPC's retry throttling). Every call deposits {@code ratio} of a token;
 * every retry withdraws one; a reserve of {@code minRetriesPerSecond × window} tokens lets a
 * low-traffic caller still retry. Deposits and withdrawals older than the sliding {@code window}
 * expire.
 *
 * <p>With the defaults (ratio 0.2, 10 retries per second, 10 s window) retries can add at most 20%
 * to the calls a downstream sees, plus 10 per second: when a downstream fails hard, a client with
 * retries does not multiply its load by the number of attempts. A retry refused by the budget ends
 * the call with its last outcome and publishes {@link dev.riprap.event.RetryAbandoned} with reason
 * {@code BUDGET_EXHAUSTED}.
 *
 * <p>Immutable settings, thread-safe state. Build with {@link #builder()}.
 */
public final class RetryBudget {
  private static final int BUCKETS = 10;

  private final double ratio;
  private final int minRetriesPerSecond;
  private final Duration window;
  private final TimeSource timeSource;
  private final long bucketNanos;
  private final double reserve;

  /**
   * When each bucket's counts began. Written under this object's lock (the counts reset first,
   * then the new start published), read without it by {@link #recordCall}.
   */
  private final AtomicLongArray bucketStart = new AtomicLongArray(BUCKETS);
  /** Calls per bucket: counted without the lock (every call counts one; see {@link #recordCall}). */
  private final AtomicLongArray calls = new AtomicLongArray(BUCKETS);
  private final long[] retries = new long[BUCKETS];

  private RetryBudget(Builder b) {
    this.ratio = b.ratio;
    this.minRetriesPerSecond = b.minRetriesPerSecond;
    this.window = b.window;
    this.timeSource = b.timeSource;
    this.bucketNanos = Math.max(1, window.toNanos() / BUCKETS);
    this.reserve = minRetriesPerSecond * (window.toNanos() / 1e9);
    for (int i = 0; i < BUCKETS; i++) {
      bucketStart.set(i, Long.MIN_VALUE);
    }
  }

  /**
   * A builder with the defaults: ratio 0.2, 10 retries per second, a 10-second window, the system
   * time source.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A budget with the given ratio and the other defaults.
   *
   * @param ratio the share of calls that retries may add, in [0, 1000]
   * @return the budget
   * @throws IllegalArgumentException if {@code ratio} is out of range
   */
  public static RetryBudget ofRatio(double ratio) {
    return builder().ratio(ratio).build();
  }

  /** Records one call (a first attempt). Called by the policy; deposits {@code ratio} tokens. */
  public void recordCall() {
    long now = timeSource.nanoTime();
    long slot = Math.floorDiv(now, bucketNanos);
    int i = (int) Math.floorMod(slot, BUCKETS);
    if (bucketStart.get(i) == slot * bucketNanos) {
      // The bucket is current: no lock. Every call of a policy with a budget comes here, and a
      // lock held by a thread that lost its core made the others queue (measured at 32 calls in
      // flight on 2 cores). A call whose thread stalled for a whole window between the clock and
      // this line counts in the bucket's next window: one deposit late, never lost.
      calls.incrementAndGet(i);
      return;
    }
    synchronized (this) {
      calls.incrementAndGet(bucket(now));
    }
  }

  /**
   * Withdraws a token for one retry if the budget allows it.
   *
   * @return {@code true} if the retry may go ahead
   */
  public boolean tryAcquireRetry() {
    long now = timeSource.nanoTime();
    synchronized (this) {
      if (balance(now) < 1.0) {
        return false;
      }
      retries[bucket(now)]++;
      return true;
    }
  }

  /**
   * Gives back the token one successful {@link #tryAcquireRetry()} withdrew, for a retry or hedge
   * that was never sent after all (its executor refused to run it). Call it at once after the
   * withdrawal, at most once for it; the token counts again in the window that holds the
   * withdrawal.
   */
  public void refundRetry() {
    long now = timeSource.nanoTime();
    synchronized (this) {
      retries[bucket(now)]--;
    }
  }

  /**
   * Whether a retry would be allowed now, without withdrawing a token.
   *
   * @return {@code true} if {@link #tryAcquireRetry()} would succeed now
   */
  public boolean hasRetryToken() {
    long now = timeSource.nanoTime();
    synchronized (this) {
      return balance(now) >= 1.0;
    }
  }

  /**
   * The tokens available now: the reserve plus {@code ratio} per call in the window, minus the
   * retries in the window.
   *
   * @return the current balance
   */
  public double balance() {
    long now = timeSource.nanoTime();
    synchronized (this) {
      return balance(now);
    }
  }

  private double balance(long now) {
    long c = 0;
    long r = 0;
    long oldest = now - window.toNanos();
    for (int i = 0; i < BUCKETS; i++) {
      long start = bucketStart.get(i);
      if (start != Long.MIN_VALUE && start > oldest) {
        c += calls.get(i);
        r += retries[i];
      }
    }
    return reserve + ratio * c - r;
  }

  private int bucket(long now) {
    long slot = Math.floorDiv(now, bucketNanos);
    int i = (int) Math.floorMod(slot, BUCKETS);
    long start = slot * bucketNanos;
    if (bucketStart.get(i) != start) {
      // The counts first, then the start: a call that sees the new start counts after the reset.
      calls.set(i, 0);
      retries[i] = 0;
      bucketStart.set(i, start);
    }
    return i;
  }

  /**
   * The share of calls that retries may add.
   *
   * @return the ratio
   */
  public double ratio() {
    return ratio;
  }

  /**
   * The retries allowed per second whatever the traffic.
   *
   * @return the floor
   */
  public int minRetriesPerSecond() {
    return minRetriesPerSecond;
  }

  /**
   * The sliding window over which calls and retries are counted.
   *
   * @return the window
   */
  public Duration window() {
    return window;
  }

  @Override
  public String toString() {
    return "RetryBudget{ratio="
        + ratio
        + ", minRetriesPerSecond="
        + minRetriesPerSecond
        + ", window="
        + window
        + '}';
  }

  /**
   * Builds a {@link RetryBudget}. Each of ratio, retries per second and window can be set once (a
   * second call is an {@link IllegalStateException}, as in {@link Policy.Builder}); the time source
   * takes the last value given. Not thread-safe.
   */
  public static final class Builder {
    private double ratio = 0.2;
    private int minRetriesPerSecond = 10;
    private Duration window = Duration.ofSeconds(10);
    private TimeSource timeSource = TimeSource.system();
    private final Set<String> given = new HashSet<>();

    private Builder() {}

    private void requireUnset(String setting, Object current) {
      Check.requireUnset(given.contains(setting), setting, current);
    }

    /**
     * The share of calls that retries may add; 0.2 lets retries add 20%. Default 0.2.
     *
     * @param ratio a value in [0, 1000]
     * @return this builder
     * @throws IllegalArgumentException if {@code ratio} is negative, above 1000 or not a number
     * @throws IllegalStateException if the ratio was already set
     */
    public Builder ratio(double ratio) {
      requireUnset("ratio", this.ratio);
      this.ratio = Check.inRange(ratio, 0, 1000, "ratio");
      given.add("ratio");
      return this;
    }

    /**
     * Retries allowed per second whatever the traffic, so a quiet caller can still retry. Default
     * 10.
     *
     * @param minRetriesPerSecond zero or more
     * @return this builder
     * @throws IllegalArgumentException if negative
     * @throws IllegalStateException if it was already set
     */
    public Builder minRetriesPerSecond(int minRetriesPerSecond) {
      requireUnset("minRetriesPerSecond", this.minRetriesPerSecond);
      this.minRetriesPerSecond = Check.atLeast(minRetriesPerSecond, 0, "minRetriesPerSecond");
      given.add("minRetriesPerSecond");
      return this;
    }

    /**
     * The sliding window over which calls and retries count. Default 10 seconds.
     *
     * @param window between 1 second and 1 hour
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if the window was already set
     */
    public Builder window(Duration window) {
      requireUnset("window", this.window);
      this.window = Check.between(window, Duration.ofSeconds(1), Duration.ofHours(1), "window");
      given.add("window");
      return this;
    }

    /**
     * The time source for the window. Default {@link TimeSource#system()}.
     *
     * @param timeSource the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = Check.notNull(timeSource, "timeSource");
      return this;
    }

    /**
     * Builds the budget.
     *
     * @return a new, empty budget
     */
    public RetryBudget build() {
      return new RetryBudget(this);
    }
  }
}
