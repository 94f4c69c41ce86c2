package dev.riprap.endpoint;

import dev.riprap.Durations;
import dev.riprap.internal.Check;
import java.time.Duration;

/**
 * How an {@link EndpointGroup} chooses the endpoint of each attempt among those in rotation. Every
 * balancer prefers an endpoint this call has not tried yet, when one is in rotation. Immutable and
 * thread-safe.
 *
 * <ul>
 *   <li>{@link #leastOutstanding()}, the default: power of two choices over least outstanding
 *       attempts (Finagle's default balancer). Two endpoints are picked at random and the one with
 *       fewer attempts in flight through this group wins; a slow or stuck endpoint accumulates
 *       outstanding attempts and stops being chosen, without any shared lock or sorted structure.
 *   <li>{@link #peakEwma(Duration)}: power of two choices over a latency estimate (Finagle's and
 *       Linkerd's peak EWMA): cost = estimate x (outstanding + 1), where the estimate jumps to any
 *       slower observation at once and decays towards faster ones with the given decay time.
 *   <li>{@link #roundRobin()}: each endpoint in turn, from one shared atomic counter.
 * </ul>
 */
public final class Balancer {
  /** Finagle's and Linkerd's default decay time for the peak EWMA: 10 seconds. */
  public static final Duration DEFAULT_DECAY = Duration.ofSeconds(10);

  enum Kind { LEAST_OUTSTANDING, PEAK_EWMA, ROUND_ROBIN }

  private static final Balancer LEAST_OUTSTANDING = new Balancer(Kind.LEAST_OUTSTANDING, 0);
  private static final Balancer ROUND_ROBIN = new Balancer(Kind.ROUND_ROBIN, 0);

  final Kind kind;
  final long decayNanos;

  private Balancer(Kind kind, long decayNanos) {
    this.kind = kind;
    this.decayNanos = decayNanos;
  }

  /**
   * Power of two choices over least outstanding attempts: the default.
   *
   * @return the balancer
   */
  public static Balancer leastOutstanding() {
    return LEAST_OUTSTANDING;
  }

  /**
   * Power of two choices over peak EWMA latency, with the {@link #DEFAULT_DECAY} of 10 seconds.
   *
   * @return the balancer
   */
  public static Balancer peakEwma() {
    return peakEwma(DEFAULT_DECAY);
  }

  /**
   * Power of two choices over peak EWMA latency. Each attempt's duration updates its endpoint's
   * estimate: a slower observation replaces it at once (the "peak"), a faster one moves it by a
   * weight that grows with the time since the last observation ({@code 1 - e^(-elapsed/decay)}),
   * and the estimate read by a choice decays the same way, so an endpoint that was slow and has
   * been left alone is tried again. A failed attempt can raise the estimate (a timeout does) but
   * never lowers it: an endpoint that fails fast must not look fast. An endpoint with no
   * observation yet costs nothing while idle and is avoided while it has an attempt in flight.
   *
   * @param decay the decay time, positive; above 36,500 days taken as 36,500 days
   * @return the balancer
   * @throws IllegalArgumentException if {@code decay} is zero or negative
   * @throws NullPointerException if {@code decay} is null
   */
  public static Balancer peakEwma(Duration decay) {
    Check.positive(decay, "decay");
    return new Balancer(Kind.PEAK_EWMA, Check.saturatedNanos(Check.capped(decay)));
  }

  /**
   * Each endpoint in rotation in turn, from one atomic counter shared by all callers.
   *
   * @return the balancer
   */
  public static Balancer roundRobin() {
    return ROUND_ROBIN;
  }

  @Override
  public String toString() {
    switch (kind) {
      case PEAK_EWMA:
        return "peakEwma(" + Durations.format(Duration.ofNanos(decayNanos)) + ")";
      case ROUND_ROBIN:
        return "roundRobin";
      default:
        return "leastOutstanding";
    }
  }
}
