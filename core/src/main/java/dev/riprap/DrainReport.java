package dev.riprap;

import java.time.Duration;

/**
 * What a drain did: how many calls were in flight when it started, how many finished before the
 * deadline, how many had a retry wait cut short, and how many were still running when it returned.
 *
 * @param inFlightAtStart calls in flight when the drain started
 * @param completed calls that finished before the drain returned
 * @param retriesCutShort calls whose retry backoff wait the drain cut short (they ended with their
 *     last outcome)
 * @param stillRunning calls still in flight when the drain returned (non-zero only when the
 *     deadline passed)
 * @param took how long the drain took
 */
public record DrainReport(
    int inFlightAtStart, int completed, int retriesCutShort, int stillRunning, Duration took) {

  /**
   * Whether every call finished before the deadline.
   *
   * @return {@code true} when nothing was left running
   */
  public boolean isClean() {
    return stillRunning == 0;
  }

  /**
   * Combines two reports, for a coordinator that drains several gates.
   *
   * @param other the other report
   * @return the sums, with the longer duration
   */
  public DrainReport plus(DrainReport other) {
    return new DrainReport(
        inFlightAtStart + other.inFlightAtStart,
        completed + other.completed,
        retriesCutShort + other.retriesCutShort,
        stillRunning + other.stillRunning,
        took.compareTo(other.took) >= 0 ? took : other.took);
  }
}
