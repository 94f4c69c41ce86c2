package dev.riprap.endpoint;

import dev.riprap.Durations;
import dev.riprap.internal.Check;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Executor;

/**
 * Hedging: when an attempt's endpoint has not answered after the hedge delay, a parallel attempt
 * (a hedge) goes to another endpoint of the group, and the first acceptable outcome wins (Finagle's
 * backup requests, gRPC's hedging policy, Polly's hedging strategy). Opt-in, on {@link
 * EndpointGroup.Builder#hedging}, and per route in the HTTP client.
 *
 * <p>The delay is fixed ({@link #after}) or a recent latency percentile of the group ({@link
 * #percentile}). At most {@link #maxHedges} hedges per attempt of the policy, default 1. Each hedge
 * is paid with one token of the policy's retry budget (none configured: hedges are free), and none
 * is sent when the budget is empty, when no endpoint that is not already in flight for this call is
 * in rotation, or when the attempt's deadline has passed. Immutable and thread-safe; the {@code
 * with}-style methods return a changed copy.
 */
public final class Hedging {
  /** The most hedges per attempt: each one is another request in flight on the same call. */
  public static final int MAX_HEDGES = 10;
  /**
   * The latencies a percentile is taken over: the group's last 256 attempts that answered, enough
   * for a p99 to rest on two or three samples, small enough to follow a change within seconds.
   */
  static final int WINDOW = 256;
  /** The samples a percentile needs before it is trusted; until then the ceiling is the delay. */
  static final int MIN_SAMPLES = 20;

  private final long delayNanos;
  private final double percentile;
  private final long floorNanos;
  private final long ceilingNanos;
  private final int maxHedges;
  private final Executor executor;

  private Hedging(long delayNanos, double percentile, long floorNanos, long ceilingNanos,
      int maxHedges, Executor executor) {
    this.delayNanos = delayNanos;
    this.percentile = percentile;
    this.floorNanos = floorNanos;
    this.ceilingNanos = ceilingNanos;
    this.maxHedges = maxHedges;
    this.executor = executor;
  }

  /**
   * A hedge after a fixed delay, as gRPC's {@code hedgingDelay} and Polly's {@code HedgingDelay}:
   * choose it near the p95 of the endpoints' healthy latency, so about one call in twenty sends a
   * hedge.
   *
   * @param delay how long an attempt runs before a hedge is sent: positive; above 36,500 days taken
   *     as 36,500 days
   * @return the settings, with one hedge at most and the policy's async executor
   * @throws IllegalArgumentException if {@code delay} is zero or negative
   * @throws NullPointerException if {@code delay} is null
   */
  public static Hedging after(Duration delay) {
    Check.positive(delay, "hedge delay");
    return new Hedging(nanos(delay), 0, 0, 0, 1, null);
  }

  /**
   * A hedge after the group's recent latency percentile (Finagle's backup requests send after the
   * p99 of a sliding window): the given percentile of the last 256 attempts of the group that
   * answered (a result or an exception that is not a failure of the endpoint; a loser cancelled
   * by a hedge counts with the time it ran, a lower bound), clamped to {@code [floor, ceiling]}.
   * Until 20 attempts have answered, the delay is the ceiling.
   *
   * @param percentile the percentile, in (0, 100), such as 95 or 99
   * @param floor the shortest delay: positive; above 36,500 days taken as 36,500 days
   * @param ceiling the longest delay, at least {@code floor}; above 36,500 days taken as 36,500
   *     days
   * @return the settings, with one hedge at most and the policy's async executor
   * @throws IllegalArgumentException if {@code percentile} is not in (0, 100), a duration is zero
   *     or negative, or {@code ceiling} is below {@code floor}
   * @throws NullPointerException if a duration is null
   */
  public static Hedging percentile(double percentile, Duration floor, Duration ceiling) {
    Check.requireArgument(percentile > 0 && percentile < 100, "hedge percentile", "in (0, 100)",
        percentile);
    Check.positive(floor, "hedge floor");
    Check.positive(ceiling, "hedge ceiling");
    Check.requireArgument(ceiling.compareTo(floor) >= 0, "hedge ceiling",
        "at least the floor " + Check.show(floor), Check.show(ceiling));
    return new Hedging(0, percentile, nanos(floor), nanos(ceiling), 1, null);
  }

  /**
   * At most {@code hedges} hedges per attempt of the policy, each sent one delay after the last
   * (gRPC's {@code maxAttempts} counts the first request too; this counts the hedges alone).
   * Default 1.
   *
   * @param hedges from 1 to {@value #MAX_HEDGES}
   * @return a copy with the new maximum
   * @throws IllegalArgumentException if outside [1, {@value #MAX_HEDGES}]
   */
  public Hedging maxHedges(int hedges) {
    Check.inRange(hedges, 1, MAX_HEDGES, "maxHedges");
    return new Hedging(delayNanos, percentile, floorNanos, ceilingNanos, hedges, executor);
  }

  /**
   * Where the attempts of a hedged call run: a sync call's attempts all run there (the caller
   * waits for the first acceptable outcome), an async call's hedges are started there. Default:
   * the policy's async executor ({@code Policy.Builder.asyncExecutor}, the common fork-join pool
   * unless set), which suits async work; give sync work that blocks (JDBC, a blocking client) an
   * executor with a thread for each attempt it may run at once, since a blocked primary must not
   * keep its hedge from starting.
   *
   * @param executor the executor
   * @return a copy with the executor
   * @throws NullPointerException if {@code executor} is null
   */
  public Hedging executor(Executor executor) {
    Check.notNull(executor, "executor");
    return new Hedging(delayNanos, percentile, floorNanos, ceilingNanos, maxHedges, executor);
  }

  /**
   * The fixed delay, empty for a percentile.
   *
   * @return the delay
   */
  public Optional<Duration> delay() {
    return percentile > 0 ? Optional.empty() : Optional.of(Duration.ofNanos(delayNanos));
  }

  /**
   * The percentile, empty for a fixed delay.
   *
   * @return the percentile in (0, 100)
   */
  public OptionalDouble percentile() {
    return percentile > 0 ? OptionalDouble.of(percentile) : OptionalDouble.empty();
  }

  /**
   * The percentile's floor, empty for a fixed delay.
   *
   * @return the shortest delay
   */
  public Optional<Duration> floor() {
    return percentile > 0 ? Optional.of(Duration.ofNanos(floorNanos)) : Optional.empty();
  }

  /**
   * The percentile's ceiling, empty for a fixed delay.
   *
   * @return the longest delay
   */
  public Optional<Duration> ceiling() {
    return percentile > 0 ? Optional.of(Duration.ofNanos(ceilingNanos)) : Optional.empty();
  }

  /**
   * The most hedges per attempt.
   *
   * @return from 1 to {@value #MAX_HEDGES}
   */
  public int maxHedges() {
    return maxHedges;
  }

  /**
   * The executor given, empty for the policy's async executor.
   *
   * @return the executor
   */
  public Optional<Executor> executor() {
    return Optional.ofNullable(executor);
  }

  boolean byPercentile() {
    return percentile > 0;
  }

  Executor executorOr(Executor fallback) {
    return executor != null ? executor : fallback;
  }

  /** The delay now: the fixed one, or the window's percentile clamped (the ceiling until trusted). */
  long delayNanos(LatencyWindow window) {
    if (percentile == 0) {
      return delayNanos;
    }
    long p = window == null ? -1 : window.percentile(percentile, MIN_SAMPLES);
    return p < 0 ? ceilingNanos : Math.max(floorNanos, Math.min(ceilingNanos, p));
  }

  private static long nanos(Duration d) {
    return Check.saturatedNanos(Check.capped(d));
  }

  @Override
  public String toString() {
    String when = percentile > 0
        ? "p" + (percentile == Math.rint(percentile) ? Long.toString((long) percentile)
            : Double.toString(percentile)) + " in [" + Durations.format(Duration.ofNanos(floorNanos))
            + ", " + Durations.format(Duration.ofNanos(ceilingNanos)) + "]"
        : Durations.format(Duration.ofNanos(delayNanos));
    return "Hedging{after " + when + ", maxHedges=" + maxHedges + '}';
  }
}
