package dev.riprap.endpoint;

import dev.riprap.Cancellable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One endpoint of a group and its state. The counters are atomics read and written by every
 * attempt without a lock; the ejection fields change only under the group's lock (the flags are
 * volatile so that choices and attempts read them without it), and so do the health check's. A
 * member that stays when the set is replaced is the same object, so its state stays too.
 */
final class Member<E> {
  /** One latency observation: the estimate in nanoseconds and when it was made. */
  record Ewma(double nanos, long stamp) {}

  final E endpoint;
  final String name;
  final AtomicInteger outstanding = new AtomicInteger();
  final AtomicInteger consecutiveFailures = new AtomicInteger();
  final AtomicReference<Ewma> latency = new AtomicReference<>();

  volatile boolean ejected;
  volatile boolean probation;
  /** Out of rotation by the active health check (independent of {@link #ejected}). */
  volatile boolean unhealthy;
  /** Passed and failed health checks since the endpoint joined; written under the group's lock. */
  volatile long passedChecks;
  volatile long failedChecks;
  // Under the group's lock.
  int ejections;
  long restoredAt;
  long ejectionSequence;
  Cancellable restoreTask;
  int checksPassed;
  int checksFailed;
  /** The health check scheduled or running for this member, or null. */
  HealthChecker.Probe<E> probe;

  Member(E endpoint, String name) {
    this.endpoint = endpoint;
    this.name = name;
  }

  /** Counts a failure, saturating at {@code Integer.MAX_VALUE}; returns the new count. */
  int failed() {
    while (true) {
      int n = consecutiveFailures.get();
      if (n == Integer.MAX_VALUE || consecutiveFailures.compareAndSet(n, n + 1)) {
        return n == Integer.MAX_VALUE ? n : n + 1;
      }
    }
  }

  /** Counts a success: the failure streak and the probation end. Writes only what changes. */
  void succeeded() {
    if (consecutiveFailures.get() != 0) {
      consecutiveFailures.set(0);
    }
    if (probation) {
      probation = false;
    }
  }

  /**
   * The latency estimate decayed to {@code now}, 0 when never observed.
   *
   * @param decayNanos the decay time
   * @param now the current time
   */
  double estimate(long decayNanos, long now) {
    Ewma e = latency.get();
    if (e == null) {
      return 0;
    }
    long elapsed = Math.max(0, now - e.stamp);
    return e.nanos * Math.exp(-(double) elapsed / decayNanos);
  }

  /**
   * Records one attempt's duration in the peak EWMA. A failed attempt never lowers the estimate.
   *
   * @param rtt the attempt's duration in nanoseconds
   * @param failed whether the attempt failed
   * @param decayNanos the decay time
   * @param now the current time
   */
  void observe(long rtt, boolean failed, long decayNanos, long now) {
    double sample = Math.max(0, rtt);
    while (true) {
      Ewma old = latency.get();
      double next;
      if (old == null) {
        next = sample;
      } else {
        long elapsed = Math.max(0, now - old.stamp);
        double current = old.nanos;
        if (sample > current) {
          next = sample; // the peak: a slower observation counts in full at once
        } else {
          double w = Math.exp(-(double) elapsed / decayNanos);
          next = failed ? current : current * w + sample * (1 - w);
        }
      }
      if (latency.compareAndSet(old, new Ewma(next, old == null ? now : Math.max(now, old.stamp)))) {
        return;
      }
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
