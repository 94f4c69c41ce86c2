package dev.riprap.http;

import dev.riprap.Durations;
import dev.riprap.RetryBudget;
import dev.riprap.endpoint.Hedging;
import dev.riprap.internal.Check;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;
import java.util.Optional;

/**
 * The resilience settings for a group of requests: retries and their backoff, timeouts, the
 * per-host circuit breaker and rate limit, and the retry budget. A {@link ResilientHttpClient}
 * applies one to every request (its default policy) and may choose another by method and path
 * ({@link ResilientHttpClient.Builder#route}). Each host (URI authority) gets its own breaker,
 * limiter and budget made from these settings; the concurrency limit is the client's.
 *
 * <p>{@link #standard()} holds the defaults, each with its reason in the table below (see also
 * {@code docs/http.md}). They start from Microsoft's standard HTTP resilience handler and change
 * what the fault scenarios showed to be wrong for a client that retries inside its breaker.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>why</th></tr>
 *   <tr><td>retries</td><td>3 (4 attempts)</td><td>at 20% transient failures 0.2<sup>4</sup> =
 *       0.16% of calls still fail (99.84% success) for 1.25x the attempts</td></tr>
 *   <tr><td>backoff</td><td>200 ms doubling, +/-50% jitter, at most 5 s</td><td>short enough that
 *       three retries fit well inside the total timeout, jittered so clients do not retry in
 *       step</td></tr>
 *   <tr><td>attempt timeout</td><td>10 s</td><td>Microsoft's; cuts a slow tail so an idempotent
 *       request can try again within the total timeout</td></tr>
 *   <tr><td>total timeout</td><td>30 s</td><td>Microsoft's; bounds attempts and waits
 *       together</td></tr>
 *   <tr><td>max Retry-After</td><td>30 s</td><td>honours the server's wish in full within the
 *       total timeout; only matters when the total timeout is raised</td></tr>
 *   <tr><td>breaker threshold</td><td>50% of attempts</td><td>not Microsoft's 10%: with retries
 *       inside the breaker, 20% transient errors that retries absorb would open a 10%
 *       breaker</td></tr>
 *   <tr><td>breaker window</td><td>the last 50 attempts</td><td>not Microsoft's 30 s: a time
 *       window full of past successes lets an outage through for seconds (at 200 calls/s, 600
 *       failed requests before it opens); 50 attempts open it after about 25, and 25 of 50 failing
 *       by chance at a 20% error rate is a one-in-600,000 event</td></tr>
 *   <tr><td>break</td><td>300 ms, then 1 probe</td><td>not 5 s: traffic flows again within
 *       about 0.3 s of the host healing, while a host still down gets one request per break (about
 *       2% of 200 calls/s)</td></tr>
 *   <tr><td>probe wait</td><td>up to 1 s</td><td>a request the open breaker refuses waits for
 *       the next probe (at most one open period plus the probe's answer) instead of failing: when
 *       the host heals, the requests of the last open period succeed instead of failing; during an
 *       outage callers wait up to about 0.3 s longer for the same failure, and the host still sees
 *       only the probes</td></tr>
 *   <tr><td>retry budget</td><td>30% of calls + 10 retries/s over 10 s</td><td>admits the 25% that
 *       20% transient errors need, caps what an outage costs the host at 1.3x</td></tr>
 *   <tr><td>rate limit</td><td>none</td><td>a client cannot know a host's capacity</td></tr>
 *   <tr><td>non-idempotent retries</td><td>off</td><td>a POST is never sent twice unless it carries
 *       an {@code Idempotency-Key} or its route opts in</td></tr>
 *   <tr><td>hedging</td><td>off</td><td>a hedge is another request on the upstream: opt in per
 *       route, for idempotent requests to a service of several endpoints</td></tr>
 * </table>
 *
 * <p>Immutable and thread-safe. Build with {@link #builder(String)} or from {@link #standard()}
 * with {@link #toBuilder(String)}.
 */
// Size: most of it is the nested public Builder's documented setters (a type users name as
// HttpPolicy.Builder); the HTTP issue moves the policy's translation into engine settings out.
public final class HttpPolicy {
  private static final HttpPolicy STANDARD = new Builder("default").build();

  private final String name;
  private final int maxRetries;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final double jitter;
  private final Duration attemptTimeout;
  private final Duration totalTimeout;
  private final Duration maxRetryAfter;
  private final boolean circuitBreaker;
  private final float failureRateThreshold;
  private final Duration breakerWindow;
  private final int minimumCalls;
  private final int breakerWindowCalls;
  private final Duration breakDuration;
  private final int halfOpenCalls;
  private final Duration probeWait;
  private final RateLimiterConfig rateLimiter;
  private final double budgetRatio;
  private final int budgetMinRetriesPerSecond;
  private final Duration budgetWindow;
  private final boolean retryNonIdempotent;
  private final Hedging hedging;

  private HttpPolicy(Builder b) {
    this.name = b.name;
    this.maxRetries = b.maxRetries;
    // A very long duration means "practically never": capped, so that the nanosecond arithmetic
    // of the client and of resilience4j cannot overflow (Check.LONGEST says why).
    this.initialBackoff = Check.capped(b.initialBackoff);
    this.maxBackoff = Check.capped(b.maxBackoff);
    this.jitter = b.jitter;
    this.attemptTimeout = Check.capped(b.attemptTimeout);
    this.totalTimeout = Check.capped(b.totalTimeout);
    this.maxRetryAfter = Check.capped(b.maxRetryAfter);
    this.circuitBreaker = b.circuitBreaker;
    this.failureRateThreshold = b.failureRateThreshold;
    this.breakerWindow = b.breakerWindow;
    this.minimumCalls = b.minimumCalls;
    this.breakerWindowCalls = b.breakerWindowCalls;
    this.breakDuration = Check.capped(b.breakDuration);
    this.halfOpenCalls = b.halfOpenCalls;
    this.probeWait = Check.capped(b.probeWait);
    this.rateLimiter = b.rateLimiter;
    this.budgetRatio = b.budgetRatio;
    this.budgetMinRetriesPerSecond = b.budgetMinRetriesPerSecond;
    this.budgetWindow = b.budgetWindow;
    this.retryNonIdempotent = b.retryNonIdempotent;
    this.hedging = b.hedging;
  }

  /**
   * The standard policy, named {@code "default"}, with the defaults in the table above.
   *
   * @return the shared standard policy
   */
  public static HttpPolicy standard() {
    return STANDARD;
  }

  /**
   * A builder named {@code name} holding the standard defaults.
   *
   * @param name the policy name, used in rejection messages and event tags; not blank
   * @return a new builder
   * @throws IllegalArgumentException if {@code name} is blank
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * A builder holding this policy's settings under a new name.
   *
   * @param newName the new policy's name, not blank
   * @return a new builder
   * @throws IllegalArgumentException if {@code newName} is blank
   */
  public Builder toBuilder(String newName) {
    Builder b = new Builder(newName);
    b.maxRetries = maxRetries;
    b.initialBackoff = initialBackoff;
    b.maxBackoff = maxBackoff;
    b.jitter = jitter;
    b.attemptTimeout = attemptTimeout;
    b.totalTimeout = totalTimeout;
    b.maxRetryAfter = maxRetryAfter;
    b.circuitBreaker = circuitBreaker;
    b.failureRateThreshold = failureRateThreshold;
    b.breakerWindow = breakerWindow;
    b.minimumCalls = minimumCalls;
    b.breakerWindowCalls = breakerWindowCalls;
    b.breakDuration = breakDuration;
    b.halfOpenCalls = halfOpenCalls;
    b.probeWait = probeWait;
    b.rateLimiter = rateLimiter;
    b.budgetRatio = budgetRatio;
    b.budgetMinRetriesPerSecond = budgetMinRetriesPerSecond;
    b.budgetWindow = budgetWindow;
    b.retryNonIdempotent = retryNonIdempotent;
    b.hedging = hedging;
    return b;
  }

  /** @return the policy name */
  public String name() {
    return name;
  }

  /** @return retries after the first attempt; 0 means no retry */
  public int maxRetries() {
    return maxRetries;
  }

  /** @return the first backoff wait (before jitter) */
  public Duration initialBackoff() {
    return initialBackoff;
  }

  /** @return the longest backoff wait */
  public Duration maxBackoff() {
    return maxBackoff;
  }

  /** @return the jitter factor: each backoff is randomized by +/- this share, in [0, 1) */
  public double jitter() {
    return jitter;
  }

  /** @return the timeout of one attempt, applied as the request's timeout */
  public Duration attemptTimeout() {
    return attemptTimeout;
  }

  /** @return the timeout of the whole call: attempts and waits */
  public Duration totalTimeout() {
    return totalTimeout;
  }

  /** @return the longest wait a {@code Retry-After} header may impose */
  public Duration maxRetryAfter() {
    return maxRetryAfter;
  }

  /** @return whether each host gets a circuit breaker */
  public boolean hasCircuitBreaker() {
    return circuitBreaker;
  }

  /** @return the failure rate, in percent of attempts, that opens a host's breaker */
  public float failureRateThreshold() {
    return failureRateThreshold;
  }

  /**
   * The breaker's time-based sliding window, when it has one.
   *
   * @return the window, or empty when the window counts attempts ({@link #breakerWindowCalls()})
   */
  public Optional<Duration> breakerWindow() {
    return breakerWindowCalls > 0 ? Optional.empty() : Optional.of(breakerWindow);
  }

  /**
   * The size of the breaker's count-based sliding window: the last N attempts.
   *
   * @return N, or 0 when the window is time-based ({@link #breakerWindow()})
   */
  public int breakerWindowCalls() {
    return breakerWindowCalls;
  }

  /** @return the attempts in the window before the breaker may judge the failure rate */
  public int minimumCalls() {
    return minimumCalls;
  }

  /** @return how long an open breaker rejects before it lets probes through */
  public Duration breakDuration() {
    return breakDuration;
  }

  /** @return the probes a half-open breaker lets through */
  public int halfOpenCalls() {
    return halfOpenCalls;
  }

  /**
   * How long a request refused by the open breaker may wait for the breaker's next probe (see
   * {@link Builder#awaitProbe}); {@link Duration#ZERO} when it fails at once.
   *
   * @return the longest wait
   */
  public Duration probeWait() {
    return probeWait;
  }

  /**
   * The per-host rate limiter's settings, if the policy limits the rate. Each host gets its own
   * limiter built from them.
   *
   * @return the resilience4j limiter config
   */
  public Optional<RateLimiterConfig> rateLimiter() {
    return Optional.ofNullable(rateLimiter);
  }

  /** @return the share of calls that retries may add per host */
  public double budgetRatio() {
    return budgetRatio;
  }

  /** @return the retries per second a host's budget allows whatever the traffic */
  public int budgetMinRetriesPerSecond() {
    return budgetMinRetriesPerSecond;
  }

  /** @return the sliding window of the retry budget */
  public Duration budgetWindow() {
    return budgetWindow;
  }

  /** @return whether requests of any method may be retried (a route's opt-in) */
  public boolean retryNonIdempotent() {
    return retryNonIdempotent;
  }

  /**
   * The hedging of this policy's requests to a service, if any ({@link Builder#hedging}).
   *
   * @return the hedging settings
   */
  public Optional<Hedging> hedging() {
    return Optional.ofNullable(hedging);
  }

  RetryBudget newBudget(dev.riprap.TimeSource time) {
    return RetryBudget.builder()
        .ratio(budgetRatio)
        .minRetriesPerSecond(budgetMinRetriesPerSecond)
        .window(budgetWindow)
        .timeSource(time)
        .build();
  }

  @Override
  public String toString() {
    return "HttpPolicy{" + name + ", retries=" + maxRetries + ", backoff="
        + Durations.format(initialBackoff) + ".." + Durations.format(maxBackoff)
        + ", attemptTimeout=" + Durations.format(attemptTimeout)
        + ", totalTimeout=" + Durations.format(totalTimeout)
        + ", breaker=" + breakerText(circuitBreaker, failureRateThreshold, breakerWindowCalls,
            breakerWindow, minimumCalls, breakDuration, halfOpenCalls)
        + (circuitBreaker && !probeWait.isZero()
            ? ", probe wait " + Durations.format(probeWait) : "")
        + (rateLimiter != null ? ", rateLimiter=" + rateLimiter : "")
        + ", budget=" + budgetRatio
        + (retryNonIdempotent ? ", retries any method" : "")
        + (hedging != null ? ", " + hedging : "") + '}';
  }

  /** The breaker settings as {@link #toString()} and "already set" messages show them. */
  static String breakerText(
      boolean on, float threshold, int windowCalls, Duration window, int minimumCalls,
      Duration breakDuration, int halfOpenCalls) {
    if (!on) {
      return "none";
    }
    return threshold + "% of "
        + (windowCalls > 0 ? "the last " + windowCalls + " attempts"
            : Durations.format(window) + "/" + minimumCalls + " calls")
        + ", break " + Durations.format(breakDuration) + ", " + halfOpenCalls + " probe(s)";
  }

  /**
   * Builds an {@link HttpPolicy}. Each setter checks its value at once ({@link
   * IllegalArgumentException} naming the argument, the value and what was expected, such as {@code
   * attemptTimeout must be positive, was -1s}); {@link #build()} checks settings against each other
   * ({@link IllegalStateException} naming both). Not thread-safe.
   *
   * <p>Setting twice: the builder starts from the standard defaults (or, from {@link
   * HttpPolicy#toBuilder}, from another policy's settings), and each setting can be changed once;
   * a second call for the same setting throws {@link IllegalStateException} ({@code maxRetries was
   * already set to 2}), as {@link dev.riprap.Policy.Builder} does for a strategy set twice. The
   * breaker ({@code circuitBreaker(..)}, {@link #noCircuitBreaker()}), the probe wait ({@link
   * #awaitProbe}, {@link #noProbeWait()}) and the rate limit (both {@code rateLimit}) are one
   * setting each.
   *
   * <p>Limits: a duration longer than 36,500 days (100 years) is accepted and treated as 36,500
   * days; the breaker's window (calls or seconds) and half-open calls are at most 100,000, because
   * resilience4j allocates one object per slot for each host's breaker.
   */
  public static final class Builder extends HttpPolicySettings {
    private Builder(String name) {
      super(name);
    }

    /**
     * Builds the policy. Durations longer than 36,500 days are kept as 36,500 days.
     *
     * @return the policy
     * @throws IllegalStateException if the attempt timeout exceeds the total timeout, or the breaker
     *     window is time-based and shorter than twice the attempt timeout (it could not see two
     *     timed-out attempts); the message names both values
     */
    public HttpPolicy build() {
      Check.requireState(
          attemptTimeout.compareTo(totalTimeout) <= 0,
          "HttpPolicy '%s': attempt timeout (%s) must not exceed total timeout (%s)",
          name,
          attemptTimeout,
          totalTimeout);
      Check.requireState(
          !circuitBreaker
              || breakerWindowCalls > 0
              || breakerWindow.dividedBy(2).compareTo(attemptTimeout) >= 0,
          "HttpPolicy '%s': the breaker window (%s) must be at least 2x the attempt timeout (%s)",
          name,
          breakerWindow,
          attemptTimeout);
      return new HttpPolicy(this);
    }
  }
}
