package dev.riprap.endpoint;

import dev.riprap.internal.Check;
import java.time.Duration;
import java.util.Objects;

/**
 * How often and how strictly an {@link EndpointGroup}'s active {@link HealthCheck} runs: the
 * interval between checks of one endpoint, the timeout of one check, a random jitter added to
 * each interval, and the consecutive failures that take an endpoint out of rotation and the
 * consecutive successes that put it back (Envoy's {@code interval}, {@code timeout}, {@code
 * interval_jitter}, {@code unhealthy_threshold}, {@code healthy_threshold}).
 *
 * <pre>{@code
 * HealthCheckSettings settings = HealthCheckSettings.defaults()
 *     .interval(Duration.ofSeconds(5))
 *     .unhealthyThreshold(2);
 * }</pre>
 *
 * <p>Immutable: each setter returns a copy. Each checks its argument at once ({@link
 * IllegalArgumentException} naming the setting, the value and what was expected). Durations above
 * 36,500 days are taken as 36,500 days. Defaults and why:
 *
 * <ul>
 *   <li>interval 10 s: Envoy has no default; 10 s costs an upstream one small request per endpoint
 *       and client every 10 s, and with the thresholds below finds a dead endpoint within about 30
 *       s, the base ejection time, while passive ejection finds one under traffic much sooner;
 *   <li>timeout 2 s: a health path answers from memory; an endpoint that needs 2 s for it is not
 *       one to send traffic to;
 *   <li>jitter 1 s: the checks of clients started together (a fleet's rollout) spread over a
 *       second instead of reaching the upstream in the same millisecond;
 *   <li>unhealthy threshold 3: one lost packet or one slow garbage collection is not an outage;
 *   <li>healthy threshold 2: an endpoint that is back answers twice before it takes traffic again.
 * </ul>
 */
public final class HealthCheckSettings {
  private static final HealthCheckSettings DEFAULTS = new HealthCheckSettings(
      Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(1), 3, 2);

  private final Duration interval;
  private final Duration timeout;
  private final Duration jitter;
  private final int unhealthyThreshold;
  private final int healthyThreshold;

  private HealthCheckSettings(Duration interval, Duration timeout, Duration jitter,
      int unhealthyThreshold, int healthyThreshold) {
    this.interval = interval;
    this.timeout = timeout;
    this.jitter = jitter;
    this.unhealthyThreshold = unhealthyThreshold;
    this.healthyThreshold = healthyThreshold;
  }

  /**
   * The defaults: interval 10 s, timeout 2 s, jitter 1 s, unhealthy threshold 3, healthy threshold
   * 2.
   *
   * @return the default settings
   */
  public static HealthCheckSettings defaults() {
    return DEFAULTS;
  }

  private static String key(String setting) {
    return "HealthCheckSettings: " + setting;
  }

  /**
   * The time from the end of one check of an endpoint (its answer or its timeout) to the start of
   * the next, plus the jitter. Default 10 s.
   *
   * @param interval at least 1 ms; above 36,500 days taken as 36,500 days
   * @return a copy with this interval
   * @throws IllegalArgumentException if below 1 ms
   * @throws NullPointerException if {@code interval} is null
   */
  public HealthCheckSettings interval(Duration interval) {
    Duration d = Check.capped(Check.atLeastOneMilli(interval, key("interval")));
    return new HealthCheckSettings(d, timeout, jitter, unhealthyThreshold, healthyThreshold);
  }

  /**
   * How long one check may take before it counts as failed (its stage is then cancelled).
   * Default 2 s. It may exceed the interval: checks of one endpoint never overlap.
   *
   * @param timeout at least 1 ms; above 36,500 days taken as 36,500 days
   * @return a copy with this timeout
   * @throws IllegalArgumentException if below 1 ms
   * @throws NullPointerException if {@code timeout} is null
   */
  public HealthCheckSettings timeout(Duration timeout) {
    Duration d = Check.capped(Check.atLeastOneMilli(timeout, key("timeout")));
    return new HealthCheckSettings(interval, d, jitter, unhealthyThreshold, healthyThreshold);
  }

  /**
   * The most added to each interval, at random (uniform from zero); the first check of an
   * endpoint starts after a random delay up to the jitter. Default 1 s; zero makes the checks
   * exactly periodic.
   *
   * @param jitter zero or more; above 36,500 days taken as 36,500 days
   * @return a copy with this jitter
   * @throws IllegalArgumentException if negative
   * @throws NullPointerException if {@code jitter} is null
   */
  public HealthCheckSettings jitter(Duration jitter) {
    Duration d = Check.capped(Check.notNegative(jitter, key("jitter")));
    return new HealthCheckSettings(interval, timeout, d, unhealthyThreshold, healthyThreshold);
  }

  /**
   * The consecutive failed checks that take a healthy endpoint out of rotation. Default 3. Any
   * {@code int} from 1: the count saturates.
   *
   * @param checks at least 1
   * @return a copy with this threshold
   * @throws IllegalArgumentException if below 1
   */
  public HealthCheckSettings unhealthyThreshold(int checks) {
    int n = Check.atLeast(checks, 1, key("unhealthyThreshold"));
    return new HealthCheckSettings(interval, timeout, jitter, n, healthyThreshold);
  }

  /**
   * The consecutive passed checks that put an unhealthy endpoint back in rotation. Default 2. Any
   * {@code int} from 1: the count saturates.
   *
   * @param checks at least 1
   * @return a copy with this threshold
   * @throws IllegalArgumentException if below 1
   */
  public HealthCheckSettings healthyThreshold(int checks) {
    int n = Check.atLeast(checks, 1, key("healthyThreshold"));
    return new HealthCheckSettings(interval, timeout, jitter, unhealthyThreshold, n);
  }

  /**
   * The interval between checks of one endpoint.
   *
   * @return the interval
   */
  public Duration interval() {
    return interval;
  }

  /**
   * The timeout of one check.
   *
   * @return the timeout
   */
  public Duration timeout() {
    return timeout;
  }

  /**
   * The most added at random to each interval.
   *
   * @return the jitter
   */
  public Duration jitter() {
    return jitter;
  }

  /**
   * The consecutive failed checks that make an endpoint unhealthy.
   *
   * @return the threshold
   */
  public int unhealthyThreshold() {
    return unhealthyThreshold;
  }

  /**
   * The consecutive passed checks that make an unhealthy endpoint healthy again.
   *
   * @return the threshold
   */
  public int healthyThreshold() {
    return healthyThreshold;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HealthCheckSettings s && interval.equals(s.interval)
        && timeout.equals(s.timeout) && jitter.equals(s.jitter)
        && unhealthyThreshold == s.unhealthyThreshold && healthyThreshold == s.healthyThreshold;
  }

  @Override
  public int hashCode() {
    return Objects.hash(interval, timeout, jitter, unhealthyThreshold, healthyThreshold);
  }

  @Override
  public String toString() {
    return "HealthCheckSettings{interval=" + Check.show(interval) + ", timeout="
        + Check.show(timeout) + ", jitter=" + Check.show(jitter) + ", unhealthyThreshold="
        + unhealthyThreshold + ", healthyThreshold=" + healthyThreshold + '}';
  }
}
