package dev.riprap.benchmarks.http;

import java.util.Arrays;

/**
 * A growable list of latencies in nanoseconds and the percentiles of it. One per thread while
 * recording (not thread-safe); merged once the run is over.
 */
public final class Latencies {
  private long[] values = new long[1024];
  private int size;

  /**
   * Records one latency.
   *
   * @param nanos the latency in nanoseconds
   */
  public void add(long nanos) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = nanos;
  }

  /**
   * Adds every latency of {@code other}.
   *
   * @param other another list
   */
  public void addAll(Latencies other) {
    for (int i = 0; i < other.size; i++) {
      add(other.values[i]);
    }
  }

  /**
   * How many latencies were recorded.
   *
   * @return the count
   */
  public int size() {
    return size;
  }

  /**
   * The {@code q} quantile in microseconds, by the nearest-rank method; 0 when empty.
   *
   * @param q the quantile, in (0, 1]
   * @return the latency in microseconds
   */
  public double quantileMicros(double q) {
    if (size == 0) {
      return 0;
    }
    long[] sorted = Arrays.copyOf(values, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(q * size);
    return sorted[Math.max(0, Math.min(size, rank) - 1)] / 1000.0;
  }
}
