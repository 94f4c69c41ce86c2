package dev.riprap;

import dev.riprap.internal.Check;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission control for shutdown: counts the calls in flight through the policies that share it,
 * and on {@link #drain(Duration)} stops admitting new ones and waits for those in flight.
 *
 * <p>A {@code PolicyRegistry} gives one gate to all its policies; a {@code ResilientHttpClient} has
 * its own. Give a gate to a policy built in code with {@link Policy.Builder#shutdownGate}.
 *
 * <p>Counting has no race window: the draining flag and the in-flight count live in one atomic
 * word, so a call is either admitted before the drain began (and counted) or refused with {@link
 * RejectionReason#SHUTTING_DOWN}. A drain cuts retry backoff waits short: such calls end at once
 * with their last outcome. Thread-safe.
 */
public final class ShutdownGate {
  private static final long DRAINING = 1L << 62;

  private final TimeSource timeSource;
  private final AtomicLong state = new AtomicLong();
  private final CountDownLatch drainStarted = new CountDownLatch(1);
  private final CountDownLatch idle = new CountDownLatch(1);
  private final Set<Runnable> asyncWaits = ConcurrentHashMap.newKeySet();
  private final AtomicInteger cutShort = new AtomicInteger();

  /** A gate on the system time source. */
  public ShutdownGate() {
    this(TimeSource.system());
  }

  /**
   * A gate whose drain deadline is measured by {@code timeSource}.
   *
   * @param timeSource the time source
   */
  public ShutdownGate(TimeSource timeSource) {
    this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
  }

  /**
   * Admits one call unless draining. Every {@code true} must be paired with one {@link #exit()}.
   *
   * @return {@code true} if admitted
   */
  public boolean tryEnter() {
    while (true) {
      long s = state.get();
      if ((s & DRAINING) != 0) {
        return false;
      }
      if (state.compareAndSet(s, s + 1)) {
        return true;
      }
    }
  }

  /** Ends one admitted call. */
  public void exit() {
    long s = state.decrementAndGet();
    if (s == DRAINING) {
      idle.countDown();
    }
  }

  /**
   * Whether a drain has started.
   *
   * @return {@code true} once {@link #drain} was called
   */
  public boolean isDraining() {
    return (state.get() & DRAINING) != 0;
  }

  /**
   * The calls in flight now.
   *
   * @return the count
   */
  public int inFlight() {
    return (int) (state.get() & ~DRAINING);
  }

  /**
   * A latch that opens when a drain starts; sync retry waits wait on it so the drain cuts them
   * short.
   *
   * @return the latch
   */
  CountDownLatch drainSignal() {
    return drainStarted;
  }

  /**
   * Registers an async retry wait to be woken when a drain starts. If the drain already started,
   * the wake-up runs at once.
   *
   * @param wakeUp what to run on drain; must be idempotent
   */
  void registerWait(Runnable wakeUp) {
    asyncWaits.add(wakeUp);
    if (isDraining() && asyncWaits.remove(wakeUp)) {
      wakeUp.run();
    }
  }

  void unregisterWait(Runnable wakeUp) {
    asyncWaits.remove(wakeUp);
  }

  void recordCutShort() {
    cutShort.incrementAndGet();
  }

  /**
   * Stops admitting calls, cuts retry waits short and waits until no call is in flight or {@code
   * timeout} passes. Returns at once when idle. Calling it again waits again for what is still in
   * flight; the gate never admits calls again.
   *
   * @param timeout the longest wait, zero or more; {@link Long#MAX_VALUE} nanoseconds or more (such
   *     as {@code Duration.ofMillis(Long.MAX_VALUE)}, the usual "forever") waits without bound
   * @return what the drain did
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws InterruptedException if interrupted while waiting (the flag is then clear)
   */
  public DrainReport drain(Duration timeout) throws InterruptedException {
    Check.notNegative(timeout, "timeout");
    long start = timeSource.nanoTime();
    long before = state.getAndUpdate(s -> s | DRAINING);
    int atStart = (int) (before & ~DRAINING);
    if (atStart == 0) {
      idle.countDown();
    }
    drainStarted.countDown();
    for (Runnable wakeUp : asyncWaits) {
      if (asyncWaits.remove(wakeUp)) {
        wakeUp.run();
      }
    }
    // Duration.ofMillis(Long.MAX_VALUE), the usual "forever", is past a long of nanoseconds.
    timeSource.await(idle, Check.saturatedNanos(timeout));
    int left = inFlight();
    return new DrainReport(
        atStart,
        Math.max(0, atStart - left),
        cutShort.get(),
        left,
        Duration.ofNanos(timeSource.nanoTime() - start));
  }
}
