package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Cancellable;
import dev.riprap.PacedLimiter;
import dev.riprap.TimeSource;
import dev.riprap.testing.FakeTimeSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The paced limiter on a fake clock: spacing, slack, refusals that claim nothing, interrupts. */
class PacedLimiterTest {
  private static final long MS = 1_000_000L;

  private final FakeTimeSource time = new FakeTimeSource();

  private PacedLimiter tenASecond() {
    return PacedLimiter.builder(10).timeSource(time).build();
  }

  @Test
  void callsAreSpacedOneIntervalApart() {
    PacedLimiter limiter = tenASecond();

    assertThat(limiter.tryTake()).isTrue();
    assertThat(limiter.tryTake()).isFalse();
    time.advance(Duration.ofMillis(99));
    assertThat(limiter.tryTake()).isFalse();
    time.advance(Duration.ofMillis(1));
    assertThat(limiter.tryTake()).isTrue();
    assertThat(limiter.tryTake()).isFalse();
  }

  @Test
  void reserveReturnsTheWaitUntilEachNextSlot() {
    PacedLimiter limiter = tenASecond();

    long[] waits = new long[5];
    for (int i = 0; i < waits.length; i++) {
      waits[i] = limiter.reserve(Long.MAX_VALUE);
    }
    assertThat(waits).containsExactly(0, 100 * MS, 200 * MS, 300 * MS, 400 * MS);
    assertThat(limiter.claimedAheadNanos()).isEqualTo(500 * MS);
    time.advance(Duration.ofMillis(250));
    assertThat(limiter.reserve(Long.MAX_VALUE)).isEqualTo(250 * MS);
  }

  @Test
  void aSlotWithinTheWaitIsClaimedAndOneBeyondItIsRefused() {
    PacedLimiter limiter = tenASecond();
    limiter.reserve(0);

    assertThat(limiter.reserve(100 * MS - 1)).isEqualTo(-1);
    assertThat(limiter.reserve(100 * MS)).isEqualTo(100 * MS);
  }

  @Test
  void aRefusedReservationClaimsNothing() {
    PacedLimiter limiter = tenASecond();
    limiter.reserve(Long.MAX_VALUE);
    limiter.reserve(Long.MAX_VALUE);
    long aheadBefore = limiter.claimedAheadNanos();

    for (int i = 0; i < 1_000; i++) {
      assertThat(limiter.reserve(150 * MS)).isEqualTo(-1);
      assertThat(limiter.tryTake()).isFalse();
    }

    assertThat(limiter.claimedAheadNanos()).isEqualTo(aheadBefore).isEqualTo(200 * MS);
    assertThat(limiter.reserve(Long.MAX_VALUE)).isEqualTo(200 * MS);
  }

  @Test
  void aNegativeWaitAcceptsOnlyASlotThatHasStarted() {
    PacedLimiter limiter = tenASecond();

    assertThat(limiter.reserve(-5)).isZero();
    assertThat(limiter.reserve(Long.MIN_VALUE)).isEqualTo(-1);
    time.advance(Duration.ofMillis(100));
    assertThat(limiter.reserve(Long.MIN_VALUE)).isZero();
  }

  @Test
  void withoutSlackAnIdlePeriodSavesNoSlot() {
    PacedLimiter limiter = tenASecond();
    time.advance(Duration.ofHours(1));

    assertThat(limiter.availableSlots()).isEqualTo(1);
    assertThat(limiter.tryTake()).isTrue();
    assertThat(limiter.tryTake()).isFalse();
    assertThat(limiter.reserve(Long.MAX_VALUE)).isEqualTo(100 * MS);
  }

  @Test
  void anIdlePeriodSavesAtMostSlackSlots() {
    int slack = 3;
    PacedLimiter limiter = PacedLimiter.builder(10).slack(slack).timeSource(time).build();
    time.advance(Duration.ofSeconds(10));

    assertThat(limiter.availableSlots()).isEqualTo(slack + 1);
    for (int i = 0; i <= slack; i++) {
      assertThat(limiter.tryTake()).as("slot %d after the idle period", i).isTrue();
    }
    assertThat(limiter.tryTake()).isFalse();
    assertThat(limiter.availableSlots()).isZero();
    assertThat(limiter.reserve(Long.MAX_VALUE)).isEqualTo(100 * MS);
  }

  @Test
  void aShortIdlePeriodSavesTheSlotsItLeftUnclaimed() {
    PacedLimiter limiter = PacedLimiter.builder(10).slack(5).timeSource(time).build();
    assertThat(limiter.tryTake()).isTrue();
    // The slots at 100 and 200 ms go unclaimed and are saved; the next one starts at 300 ms.
    time.advance(Duration.ofMillis(250));

    assertThat(limiter.availableSlots()).isEqualTo(2);
    assertThat(limiter.tryTake()).isTrue();
    assertThat(limiter.tryTake()).isTrue();
    assertThat(limiter.reserve(Long.MAX_VALUE)).isEqualTo(50 * MS);
  }

  @Test
  void aNewLimiterHasSavedNoSlotYet() {
    PacedLimiter limiter = PacedLimiter.builder(10).slack(5).timeSource(time).build();

    assertThat(limiter.availableSlots()).isEqualTo(1);
    assertThat(limiter.tryTake()).isTrue();
    assertThat(limiter.tryTake()).isFalse();
  }

  @Test
  void aPeriodFormPacesSlowerThanOneASecond() {
    PacedLimiter limiter =
        PacedLimiter.builder(6, Duration.ofMinutes(1)).timeSource(time).build();

    assertThat(limiter.interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(limiter.permitsPerSecond()).isEqualTo(0.1);
    assertThat(limiter.reserve(Long.MAX_VALUE)).isZero();
    assertThat(limiter.reserve(Long.MAX_VALUE)).isEqualTo(Duration.ofSeconds(10).toNanos());
  }

  @Test
  void theAccessorsShowTheSettingsAndTheirDefaults() {
    PacedLimiter defaults = PacedLimiter.builder(3).build();
    assertThat(defaults.permitsPerSecond()).isEqualTo(3.0);
    assertThat(defaults.interval()).isEqualTo(Duration.ofNanos(1_000_000_000L / 3));
    assertThat(defaults.slack()).isZero();
    assertThat(defaults.maxWait()).isEqualTo(Duration.ZERO);
    assertThat(defaults).hasToString(
        "PacedLimiter[3 per 1s, interval 333333333ns, slack 0, maxWait 0s]");

    PacedLimiter set = PacedLimiter.builder(1_000_000).slack(7)
        .maxWait(Duration.ofMillis(250)).timeSource(time).build();
    assertThat(set.permitsPerSecond()).isEqualTo(1_000_000.0);
    assertThat(set.interval()).isEqualTo(Duration.ofNanos(1_000));
    assertThat(set.slack()).isEqualTo(7);
    assertThat(set.maxWait()).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void takeWaitsOnTheTimeSourceUntilItsSlot() throws InterruptedException {
    PacedLimiter limiter = tenASecond();

    limiter.take();
    limiter.take();
    limiter.take();

    assertThat(time.waits()).containsExactly(Duration.ofMillis(100), Duration.ofMillis(100));
    assertThat(time.nanoTime()).isEqualTo(200 * MS);
  }

  @Test
  void aBoundedTakeWaitsWithinItsBoundAndOtherwiseClaimsNothing() throws InterruptedException {
    PacedLimiter limiter = tenASecond();
    limiter.take();

    assertThat(limiter.tryTake(Duration.ofMillis(99))).isFalse();
    assertThat(time.waits()).isEmpty();
    assertThat(limiter.claimedAheadNanos()).isEqualTo(100 * MS);

    assertThat(limiter.tryTake(Duration.ofMillis(100))).isTrue();
    assertThat(time.waits()).containsExactly(Duration.ofMillis(100));
    assertThat(limiter.claimedAheadNanos()).isEqualTo(100 * MS);
  }

  @Test
  void anyWaitLongerThanTheTimeScaleMeansForever() throws InterruptedException {
    PacedLimiter limiter = tenASecond();
    for (int i = 0; i < 1_000; i++) {
      limiter.reserve(Long.MAX_VALUE);
    }

    assertThat(limiter.tryTake(Duration.ofSeconds(Long.MAX_VALUE))).isTrue();
    assertThat(time.waits()).containsExactly(Duration.ofSeconds(100));
  }

  @Test
  void atTheEndOfTheTimeScaleSlotsAreRefusedNeverWrapped() {
    PacedLimiter limiter = tenASecond();
    time.advance(Duration.ofNanos(Long.MAX_VALUE));

    assertThat(limiter.reserve(Long.MAX_VALUE)).isEqualTo(-1);
    assertThat(limiter.tryTake()).isFalse();
    assertThat(limiter.availableSlots()).isZero();
    assertThat(limiter.claimedAheadNanos()).isZero();
    assertThatThrownBy(limiter::take)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("no slot is left before the end of the time source's range "
            + "(PacedLimiter[10 per 1s, interval 100ms, slack 0, maxWait 0s])");
  }

  @Test
  void slotsClaimedFarAheadStopBeforeTheEndOfTheTimeScale() {
    // One slot every 100 years: after the slot at 200 years the next would start past
    // Long.MAX_VALUE nanoseconds (292 years), so the slot at 200 years is the first refused.
    Duration century = Duration.ofDays(36_525);
    PacedLimiter limiter = PacedLimiter.builder(1, century).timeSource(time).build();

    assertThat(limiter.reserve(Long.MAX_VALUE)).isZero();
    assertThat(limiter.reserve(Long.MAX_VALUE)).isEqualTo(century.toNanos());
    assertThat(limiter.reserve(Long.MAX_VALUE)).isEqualTo(-1);
    assertThat(limiter.claimedAheadNanos()).isEqualTo(2 * century.toNanos());
  }

  @Test
  void aHugeSlackSaturatesInsteadOfOverflowing() {
    // Integer.MAX_VALUE days of slack is far past Long.MAX_VALUE nanoseconds.
    PacedLimiter limiter = PacedLimiter.builder(1, Duration.ofDays(1))
        .slack(Integer.MAX_VALUE).timeSource(time).build();
    time.advance(Duration.ofDays(10).plusHours(1));

    assertThat(limiter.availableSlots()).isEqualTo(11);
    for (int i = 0; i < 11; i++) {
      assertThat(limiter.reserve(0)).isZero();
    }
    assertThat(limiter.reserve(0)).isEqualTo(-1);
    assertThat(limiter.reserve(Long.MAX_VALUE)).isEqualTo(Duration.ofHours(23).toNanos());
  }

  @Test
  void aThreadInterruptedBeforeTakingThrowsAtOnceAndClaimsNothing() {
    PacedLimiter limiter = tenASecond();

    Thread.currentThread().interrupt();
    assertThatThrownBy(limiter::take).isInstanceOf(InterruptedException.class);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> limiter.tryTake(Duration.ofSeconds(1)))
        .isInstanceOf(InterruptedException.class);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();

    assertThat(limiter.availableSlots()).isEqualTo(1);
  }

  @Test
  void aThreadInterruptedWhileWaitingThrowsWithItsFlagClearAndItsSlotStaysClaimed() {
    PacedLimiter limiter = tenASecond();
    assertThat(limiter.tryTake()).isTrue();
    Thread caller = Thread.currentThread();
    time.schedule(caller::interrupt, 40 * MS);

    assertThatThrownBy(limiter::take).isInstanceOf(InterruptedException.class);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();

    // The slot at 100 ms stays claimed: the next free one starts at 200 ms.
    assertThat(time.nanoTime()).isEqualTo(40 * MS);
    assertThat(limiter.claimedAheadNanos()).isEqualTo(160 * MS);
    time.advance(Duration.ofMillis(60));
    assertThat(limiter.tryTake()).isFalse();
    time.advance(Duration.ofMillis(100));
    assertThat(limiter.tryTake()).isTrue();
  }

  @Test
  void aThreadBlockedOnTheSystemClockEndsWithInterruptedException() throws Exception {
    // One slot a day: the second take waits a day, until it is interrupted.
    PacedLimiter limiter = PacedLimiter.builder(1, Duration.ofDays(1)).build();
    limiter.take();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicReference<Boolean> flagAfter = new AtomicReference<>();
    Thread waiter = new Thread(() -> {
      try {
        limiter.take();
      } catch (Throwable t) {
        thrown.set(t);
      }
      flagAfter.set(Thread.currentThread().isInterrupted());
    }, "paced-waiter");
    waiter.start();
    while (waiter.getState() != Thread.State.TIMED_WAITING
        && waiter.getState() != Thread.State.TERMINATED) {
      Thread.onSpinWait();
    }

    waiter.interrupt();
    waiter.join();

    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    assertThat(flagAfter.get()).isFalse();
    // Its slot, a day ahead, stays claimed: the next free one is the day after.
    assertThat(limiter.claimedAheadNanos()).isGreaterThan(Duration.ofDays(1).toNanos());
  }

  @Test
  void contendedReservationsClaimEvenlySpacedSlotsWithoutDuplicates() throws Exception {
    int threads = 4;
    int perThread = 5_000;
    long interval = 1_000; // 1,000,000 a second
    PacedLimiter limiter = PacedLimiter.builder(1_000_000).timeSource(new HeldTime()).build();

    long[] waits = reserveConcurrently(limiter, threads, perThread, Long.MAX_VALUE);

    long[] expected = new long[threads * perThread];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = i * interval;
    }
    Arrays.sort(waits);
    assertThat(waits).containsExactly(expected);
    assertThat(limiter.claimedAheadNanos()).isEqualTo(expected.length * interval);
  }

  @Test
  void contendedReservationsWithABoundedWaitClaimExactlyTheSlotsWithinIt() throws Exception {
    int threads = 4;
    int perThread = 5_000;
    long interval = 1_000;
    int slack = 3;
    HeldTime held = new HeldTime();
    PacedLimiter limiter = PacedLimiter.builder(1_000_000).slack(slack).timeSource(held).build();
    held.nanos = Duration.ofSeconds(1).toNanos();
    long maxWait = 777 * interval + interval / 2;

    long[] waits = reserveConcurrently(limiter, threads, perThread, maxWait);

    // slack + 1 slots have started; then one every interval up to the bound; the rest refused.
    List<Long> expected = new ArrayList<>();
    for (int i = 0; i < slack; i++) {
      expected.add(0L);
    }
    for (long w = 0; w <= maxWait; w += interval) {
      expected.add(w);
    }
    long refused = (long) threads * perThread - expected.size();
    for (long i = 0; i < refused; i++) {
      expected.add(-1L);
    }
    Arrays.sort(waits);
    assertThat(waits).containsExactly(expected.stream().sorted().mapToLong(Long::longValue).toArray());
    assertThat(limiter.claimedAheadNanos()).isEqualTo(778 * interval);
  }

  /**
   * A clock that moves only when a test sets it, read without a lock (unlike {@link
   * FakeTimeSource}, whose lock would take turns between the threads), so that contending threads
   * meet in the limiter alone. The limiter's reserve reads nothing else; the other methods fail
   * loudly if reached.
   */
  private static final class HeldTime implements TimeSource {
    volatile long nanos;

    @Override
    public long nanoTime() {
      return nanos;
    }

    @Override
    public Instant instant() {
      return Instant.EPOCH.plusNanos(nanos);
    }

    @Override
    public Clock clock() {
      return Clock.fixed(instant(), ZoneOffset.UTC);
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
      throw new UnsupportedOperationException("a held clock runs no timer");
    }

    @Override
    public boolean await(CountDownLatch latch, long nanos) {
      throw new UnsupportedOperationException("a held clock never waits");
    }
  }

  private static long[] reserveConcurrently(
      PacedLimiter limiter, int threads, int perThread, long maxWait) throws Exception {
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long[] waits = new long[threads * perThread];
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int offset = t * perThread;
        workers.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < perThread; i++) {
            waits[offset + i] = limiter.reserve(maxWait);
          }
          return null;
        }));
      }
      for (Future<?> w : workers) {
        w.get(1, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    return waits;
  }

  @Test
  void badRatesAreRefusedNamingTheArgument() {
    assertThatThrownBy(() -> PacedLimiter.builder(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permitsPerSecond must be in [1, 1000000], was 0");
    assertThatThrownBy(() -> PacedLimiter.builder(1_000_001))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permitsPerSecond must be in [1, 1000000], was 1000001");
    assertThatThrownBy(() -> PacedLimiter.builder(0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permits must be >= 1, was 0");
    assertThatThrownBy(() -> PacedLimiter.builder(1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("per must be positive, was 0s");
    assertThatThrownBy(() -> PacedLimiter.builder(1, Duration.ofMillis(-5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("per must be positive, was -5ms");
    assertThatThrownBy(() -> PacedLimiter.builder(2_001, Duration.ofMillis(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permits per 2ms must be at most 1000000 a second (one slot every 1us or"
            + " more), was 2001 per 2ms");
    assertThatThrownBy(() -> PacedLimiter.builder(1, Duration.ofSeconds(Long.MAX_VALUE)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("per must be at most 9223372036854775807ns (about 292 years), was "
            + Duration.ofSeconds(Long.MAX_VALUE));
    assertThatThrownBy(() -> PacedLimiter.builder(1, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("per");
    assertThat(PacedLimiter.builder(2_000, Duration.ofMillis(2)).build().interval())
        .isEqualTo(Duration.ofNanos(1_000));
  }

  @Test
  void badSettingsAreRefusedNamingTheSetting() {
    PacedLimiter.Builder b = PacedLimiter.builder(10);
    assertThatThrownBy(() -> b.slack(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("slack must be >= 0, was -1");
    assertThatThrownBy(() -> b.maxWait(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWait must not be negative, was -1ms");
    assertThatThrownBy(() -> b.maxWait(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("maxWait");
    assertThatThrownBy(() -> b.timeSource(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("timeSource");
    PacedLimiter limiter = b.build();
    assertThatThrownBy(() -> limiter.tryTake(Duration.ofNanos(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWait must not be negative, was -1ns");
  }

  @Test
  void aSettingSetTwiceIsAConflict() {
    PacedLimiter.Builder b = PacedLimiter.builder(10)
        .slack(2).maxWait(Duration.ofSeconds(1)).timeSource(TimeSource.system());
    assertThatThrownBy(() -> b.slack(3))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("slack was already set to 2");
    assertThatThrownBy(() -> b.maxWait(Duration.ZERO))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("maxWait was already set to 1s");
    assertThatThrownBy(() -> b.timeSource(TimeSource.system()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("timeSource was already set to ");
  }

  @Test
  void aHugeMaxWaitIsAcceptedAsGiven() {
    Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
    PacedLimiter limiter = PacedLimiter.builder(10).maxWait(forever).timeSource(time).build();

    assertThat(limiter.maxWait()).isEqualTo(forever);
    assertThat(limiter.toString()).endsWith("maxWait " + dev.riprap.Durations.format(forever) + "]");
  }
}
