package dev.riprap;

import dev.riprap.internal.Check;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;

/**
 * A rate limiter that paces calls: one slot every {@code 1 s / permitsPerSecond}, each call
 * claiming the next free slot and going when it starts, so that a burst is spread out rather than
 * let through (the model of uber-go/ratelimit's atomic limiter).
 *
 * <p>The whole state is one {@code long}: the start of the next free slot. A call claims a slot with
 * one compare-and-set and allocates nothing. A refused call changes nothing. Slots that nobody
 * claims during an idle period are saved, up to {@link Builder#slack(int) slack} of them, so that
 * after the idle period up to {@code slack + 1} calls go at once (the saved slots and the one due
 * now) before the pacing resumes. The default slack is 0: calls never start closer together than
 * one interval.
 *
 * <pre>{@code
 * PacedLimiter limiter = PacedLimiter.builder(10).build(); // one call every 100 ms
 * for (Order order : orders) {
 *   limiter.take(); // waits for its slot
 *   downstream.send(order);
 * }
 * if (limiter.tryTake()) { // a slot now, or false at once
 *   downstream.send(extra);
 * } else {
 *   later.add(extra);
 * }
 * }</pre>
 *
 * <p>Immutable configuration, thread-safe. Time comes from the builder's {@link TimeSource}, so a
 * test drives the limiter with a fake clock.
 */
public final class PacedLimiter {
  /**
   * The fastest pace, one slot a microsecond: the same bound as {@link PacedRate}, and still ten
   * times what a contended compare-and-set on the state takes, so the slots stay meaningful.
   */
  private static final long MIN_INTERVAL_NANOS = 1_000;

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private static final VarHandle NEXT;

  static {
    try {
      NEXT = MethodHandles.lookup().findVarHandle(PacedLimiter.class, "next", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // No padding around the state (uber-go pads its word): this small object holds only settings
  // that never change besides it, and every call reads those settings anyway.
  private final long intervalNanos;
  private final long slackNanos;
  /** The last slot that can be claimed: its successor must still be a representable time. */
  private final long lastSlot;
  private final long origin;
  private final TimeSource timeSource;
  private final int permits;
  private final Duration per;
  private final int slack;
  private final Duration maxWait;
  /** Never counted down: waiting on it through the time source is a sleep a fake clock can run. */
  private final CountDownLatch never = new CountDownLatch(1);

  /**
   * The start of the next free slot, in nanoseconds since {@link #origin}. A slot before {@code
   * now - slackNanos} is never claimed, which is how slack stays bounded.
   */
  private volatile long next; // written only through NEXT.compareAndSet

  private PacedLimiter(
      int permits, Duration per, long perNanos, int slack, Duration maxWait, TimeSource time) {
    this.permits = permits;
    this.per = per;
    this.intervalNanos = perNanos / permits;
    this.slack = slack;
    // Saturated: a slack longer than the time source's range saves every slot since the build.
    this.slackNanos =
        slack > Long.MAX_VALUE / intervalNanos ? Long.MAX_VALUE : slack * intervalNanos;
    this.lastSlot = Long.MAX_VALUE - intervalNanos;
    this.maxWait = maxWait;
    this.timeSource = time;
    this.origin = time.nanoTime();
  }

  /**
   * A builder for a limiter of {@code permitsPerSecond} slots a second, one every {@code 1 s /
   * permitsPerSecond} (rounded down to the nanosecond).
   *
   * @param permitsPerSecond slots a second, 1 to 1,000,000
   * @return a new builder
   * @throws IllegalArgumentException if {@code permitsPerSecond} is outside [1, 1000000]
   */
  public static Builder builder(int permitsPerSecond) {
    Check.inRange(permitsPerSecond, 1, (int) (NANOS_PER_SECOND / MIN_INTERVAL_NANOS),
        "permitsPerSecond");
    return new Builder(permitsPerSecond, Duration.ofSeconds(1), NANOS_PER_SECOND);
  }

  /**
   * A builder for a limiter of {@code permits} slots every {@code per}, one every {@code per /
   * permits} (rounded down to the nanosecond), for rates slower than one a second: {@code
   * builder(6, Duration.ofMinutes(1))} spaces calls 10 s apart.
   *
   * @param permits slots every {@code per}, 1 or more
   * @param per the period the permits are spread over, positive and at most {@code
   *     Long.MAX_VALUE} nanoseconds (about 292 years)
   * @return a new builder
   * @throws IllegalArgumentException if {@code permits} is not positive, {@code per} is not
   *     positive or too long, or the rate is above 1,000,000 a second (slots closer than 1 µs)
   * @throws NullPointerException if {@code per} is null
   */
  public static Builder builder(int permits, Duration per) {
    Check.atLeast(permits, 1, "permits");
    Check.positive(per, "per");
    long perNanos;
    try {
      perNanos = per.toNanos();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "per must be at most " + Long.MAX_VALUE + "ns (about 292 years), was " + per, e);
    }
    if (perNanos / permits < MIN_INTERVAL_NANOS) {
      throw new IllegalArgumentException(
          "permits per " + Durations.format(per) + " must be at most 1000000 a second (one slot"
              + " every 1us or more), was " + permits + " per " + Durations.format(per));
    }
    return new Builder(permits, per, perNanos);
  }

  /**
   * Claims the next slot if it starts within {@code maxWaitNanos} from now, and says how long the
   * caller must wait before it goes. A refused call claims nothing: the limiter is as it was. A
   * slot that has already started (a saved one, or one due now) is always within reach. Never
   * blocks and never allocates.
   *
   * @param maxWaitNanos the longest wait the caller accepts, in nanoseconds; {@code
   *     Long.MAX_VALUE} accepts any slot, zero or a negative value only a slot that has started
   * @return the nanoseconds to wait before going (0: go now, never more than {@code
   *     maxWaitNanos}), or -1 if the slot starts later than that (or no slot is left before the end
   *     of the time source's range, about 292 years after the limiter was built)
   */
  public long reserve(long maxWaitNanos) {
    long now = now();
    long earliest = now - slackNanos; // now >= 0 and slackNanos <= MAX: no overflow
    while (true) {
      long current = next;
      long slot = Math.max(current, earliest);
      long wait = slot - now; // in [-slackNanos, MAX - now]
      if ((wait > 0 && wait > maxWaitNanos) || slot > lastSlot) {
        return -1;
      }
      if (NEXT.compareAndSet(this, current, slot + intervalNanos)) {
        return wait > 0 ? wait : 0;
      }
    }
  }

  /**
   * Claims a slot that has started, without waiting.
   *
   * @return {@code true} if a slot was claimed, {@code false} (nothing claimed) if the next slot
   *     starts later
   */
  public boolean tryTake() {
    return reserve(0) == 0;
  }

  /**
   * Claims the next slot and waits, on the limiter's time source, until it starts. A thread
   * interrupted before the call throws at once and claims nothing. A thread interrupted while it
   * waits throws too, but its slot stays claimed and unused: giving it back safely would take a
   * second atomic word, which would cost every call.
   *
   * @throws InterruptedException if the thread is interrupted before or while waiting; its
   *     interrupt flag is then clear, as usual for {@code InterruptedException}
   * @throws IllegalStateException if no slot is left before the end of the time source's range
   *     (about 292 years after the limiter was built)
   */
  public void take() throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException("interrupted before taking a slot");
    }
    long wait = reserve(Long.MAX_VALUE);
    if (wait < 0) {
      throw new IllegalStateException(
          "no slot is left before the end of the time source's range (" + this + ")");
    }
    awaitSlot(wait);
  }

  /**
   * Claims the next slot if it starts within {@code maxWait}, and waits until it starts. Claims
   * nothing and returns at once if the slot starts later. Interrupts as for {@link #take()}: the
   * slot of a thread interrupted while waiting stays claimed.
   *
   * @param maxWait the longest wait, zero or more; a duration beyond {@code Long.MAX_VALUE}
   *     nanoseconds waits as long as needed
   * @return {@code true} once the claimed slot has started, {@code false} if the slot starts later
   *     than {@code maxWait} (nothing claimed, no wait)
   * @throws InterruptedException if the thread is interrupted before or while waiting; its
   *     interrupt flag is then clear
   * @throws IllegalArgumentException if {@code maxWait} is negative
   * @throws NullPointerException if {@code maxWait} is null
   */
  public boolean tryTake(Duration maxWait) throws InterruptedException {
    long maxWaitNanos = Check.saturatedNanos(Check.notNegative(maxWait, "maxWait"));
    if (Thread.interrupted()) {
      throw new InterruptedException("interrupted before taking a slot");
    }
    long wait = reserve(maxWaitNanos);
    if (wait < 0) {
      return false;
    }
    awaitSlot(wait);
    return true;
  }

  private void awaitSlot(long waitNanos) throws InterruptedException {
    if (waitNanos > 0) {
      timeSource.await(never, waitNanos);
    }
  }

  /**
   * How many slots can be claimed now without waiting: 0 when the next slot starts later, at most
   * {@code slack + 1} after an idle period. A snapshot, for metrics: other threads may claim
   * slots at any time.
   *
   * @return the number of slots free now, capped at {@code Integer.MAX_VALUE}
   */
  public int availableSlots() {
    long now = now();
    long slot = Math.max(next, now - slackNanos);
    long last = Math.min(now, lastSlot);
    if (slot > last) {
      return 0;
    }
    return (int) Math.min((last - slot) / intervalNanos + 1, Integer.MAX_VALUE);
  }

  /**
   * How far past now slots are already claimed: the wait a call reserving now would get, 0 when a
   * slot is free now. A snapshot, for metrics.
   *
   * @return the nanoseconds until the next free slot starts, zero or more
   */
  public long claimedAheadNanos() {
    long ahead = next - now(); // next <= MAX and now >= 0: no overflow
    return ahead > 0 ? ahead : 0;
  }

  /**
   * The configured rate in slots a second: {@code permits / per} of the builder ({@code 0.1} for 6
   * a minute).
   *
   * @return slots a second, as configured
   */
  public double permitsPerSecond() {
    return permits * (double) NANOS_PER_SECOND / per.toNanos();
  }

  /**
   * The spacing of the slots: {@code 1 s / permitsPerSecond} (or {@code per / permits}), rounded
   * down to the nanosecond.
   *
   * @return the interval between two slots
   */
  public Duration interval() {
    return Duration.ofNanos(intervalNanos);
  }

  /**
   * How many unclaimed slots an idle period saves, as set by {@link Builder#slack(int)}; default 0.
   *
   * @return the slack, in slots
   */
  public int slack() {
    return slack;
  }

  /**
   * The wait a policy allows a call before it is rejected, as set by {@link
   * Builder#maxWait(Duration)}; default zero (a slot now, or rejected). The limiter's own methods
   * take their wait as an argument and do not read it.
   *
   * @return the default wait
   */
  public Duration maxWait() {
    return maxWait;
  }

  /**
   * A description of the settings, for logs: for example {@code PacedLimiter[10 per 1s, interval
   * 100ms, slack 0, maxWait 0s]}.
   *
   * @return the settings as text
   */
  @Override
  public String toString() {
    return "PacedLimiter[" + permits + " per " + Durations.format(per) + ", interval "
        + Durations.format(interval()) + ", slack " + slack + ", maxWait "
        + Durations.format(maxWait) + "]";
  }

  /** Nanoseconds since the limiter was built; a source that steps back before that reads 0. */
  private long now() {
    long elapsed = timeSource.nanoTime() - origin; // wrap-safe, as nanoTime differences are
    return elapsed > 0 ? elapsed : 0;
  }

  /**
   * Builds a {@link PacedLimiter}; from {@link PacedLimiter#builder(int)} or {@link
   * PacedLimiter#builder(int, Duration)}. Not thread-safe; each setter may be called once and
   * checks its value at once.
   */
  public static final class Builder {
    private final int permits;
    private final Duration per;
    private final long perNanos;
    private int slack = -1;
    private Duration maxWait;
    private TimeSource timeSource;

    private Builder(int permits, Duration per, long perNanos) {
      this.permits = permits;
      this.per = per;
      this.perNanos = perNanos;
    }

    /**
     * How many unclaimed slots an idle period saves, so that after it up to {@code slots + 1}
     * calls go at once before the pacing resumes. Default 0: calls never start closer than one
     * interval apart, so no one-second window sees more than the rate (uber-go/ratelimit defaults
     * to 10, which lets ten extra calls into the second after an idle period: too many for a
     * downstream quota). A larger slack keeps the average rate when calls arrive unevenly.
     *
     * @param slots the saved slots, zero or more; a slack longer than about 292 years of slots
     *     behaves as that
     * @return this builder
     * @throws IllegalArgumentException if {@code slots} is negative
     * @throws IllegalStateException if the slack was already set
     */
    public Builder slack(int slots) {
      Check.requireUnset(slack >= 0, "slack", slack);
      this.slack = Check.atLeast(slots, 0, "slack");
      return this;
    }

    /**
     * The wait a policy allows a call for its slot before rejecting it, read by the policy that
     * uses this limiter ({@link PacedLimiter#maxWait()}). Default zero: a call gets a slot that has
     * started or is rejected at once, since a wait holds a sync caller's thread and adds latency,
     * which is the user's decision to make.
     *
     * @param maxWait the wait, zero or more; a duration beyond {@code Long.MAX_VALUE} nanoseconds
     *     means as long as needed
     * @return this builder
     * @throws IllegalArgumentException if {@code maxWait} is negative
     * @throws NullPointerException if {@code maxWait} is null
     * @throws IllegalStateException if the wait was already set
     */
    public Builder maxWait(Duration maxWait) {
      Check.requireUnset(this.maxWait != null, "maxWait", this.maxWait);
      this.maxWait = Check.notNegative(maxWait, "maxWait");
      return this;
    }

    /**
     * Where the limiter reads the time and waits. Default {@link TimeSource#system()}; tests pass
     * a {@code FakeTimeSource}.
     *
     * @param timeSource the time source
     * @return this builder
     * @throws NullPointerException if {@code timeSource} is null
     * @throws IllegalStateException if the time source was already set
     */
    public Builder timeSource(TimeSource timeSource) {
      Check.requireUnset(this.timeSource != null, "timeSource", this.timeSource);
      this.timeSource = Check.notNull(timeSource, "timeSource");
      return this;
    }

    /**
     * A new limiter with these settings. Its first slot starts now, and it saves slots (up to the
     * slack) from now on. Each call builds an independent limiter.
     *
     * @return the limiter
     */
    public PacedLimiter build() {
      return new PacedLimiter(
          permits,
          per,
          perNanos,
          slack < 0 ? 0 : slack,
          maxWait == null ? Duration.ZERO : maxWait,
          timeSource == null ? TimeSource.system() : timeSource);
    }
  }
}
