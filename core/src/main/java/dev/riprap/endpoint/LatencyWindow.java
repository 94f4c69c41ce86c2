package dev.riprap.endpoint;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The group's recent attempt latencies, for a percentile hedge delay: a ring of the last {@link
 * Hedging#WINDOW} samples written without a lock. A percentile is computed from a copy (sorted,
 * 256 longs) at most once per 16 new samples and cached, so a call reads one volatile pair.
 */
final class LatencyWindow {
  private static final int RECOMPUTE_EVERY = 16;

  private final AtomicLongArray samples = new AtomicLongArray(Hedging.WINDOW);
  private final AtomicLong written = new AtomicLong();
  /** The last percentile computed: its value, the percentile and the count it was taken at. */
  private volatile Cached cached;

  private record Cached(double percentile, long at, long nanos) {}

  void record(long nanos) {
    long n = written.getAndIncrement();
    samples.set((int) (n % Hedging.WINDOW), Math.max(0, nanos));
  }

  /**
   * The {@code percentile} of the samples in nanoseconds, or -1 while fewer than {@code
   * minSamples} were recorded.
   */
  long percentile(double percentile, int minSamples) {
    long n = written.get();
    if (n < minSamples) {
      return -1;
    }
    Cached c = cached;
    if (c != null && c.percentile == percentile && n - c.at < RECOMPUTE_EVERY) {
      return c.nanos;
    }
    int size = (int) Math.min(n, Hedging.WINDOW);
    long[] copy = new long[size];
    for (int i = 0; i < size; i++) {
      copy[i] = samples.get(i);
    }
    Arrays.sort(copy);
    // The nearest-rank percentile: the smallest sample with at least p% of them at or below it.
    int rank = (int) Math.ceil(percentile / 100 * size);
    long value = copy[Math.max(0, Math.min(size - 1, rank - 1))];
    cached = new Cached(percentile, n, value);
    return value;
  }
}
