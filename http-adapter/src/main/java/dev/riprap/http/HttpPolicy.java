package dev.riprap.http;

import dev.riprap.Durations;
import dev.riprap.PacedRate;
import dev.riprap.RetryBudget;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;
import java.util.Objects;
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
 * </table>
 *
 * <p>Immutable and thread-safe. Build with {@link #builder(String)} or from {@link #standard()}
 * with {@link #toBuilder(String)}.
 */
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

  private HttpPolicy(Builder b) {
    this.name = b.name;
    this.maxRetries = b.maxRetries;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.jitter = b.jitter;
    this.attemptTimeout = b.attemptTimeout;
    this.totalTimeout = b.totalTimeout;
    this.maxRetryAfter = b.maxRetryAfter;
    this.circuitBreaker = b.circuitBreaker;
    this.failureRateThreshold = b.failureRateThreshold;
    this.breakerWindow = b.breakerWindow;
    this.minimumCalls = b.minimumCalls;
    this.breakerWindowCalls = b.breakerWindowCalls;
    this.breakDuration = b.breakDuration;
    this.halfOpenCalls = b.halfOpenCalls;
    this.probeWait = b.probeWait;
    this.rateLimiter = b.rateLimiter;
    this.budgetRatio = b.budgetRatio;
    this.budgetMinRetriesPerSecond = b.budgetMinRetriesPerSecond;
    this.budgetWindow = b.budgetWindow;
    this.retryNonIdempotent = b.retryNonIdempotent;
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
        + (circuitBreaker ? ", breaker=" + failureRateThreshold + "% of "
            + (breakerWindowCalls > 0 ? "the last " + breakerWindowCalls + " attempts"
                : Durations.format(breakerWindow) + "/" + minimumCalls + " calls")
            + ", break " + Durations.format(breakDuration) + ", " + halfOpenCalls + " probe(s)"
            + (probeWait.isZero() ? "" : ", probe wait " + Durations.format(probeWait))
            : ", no breaker")
        + (rateLimiter != null ? ", rateLimiter=" + rateLimiter : "")
        + ", budget=" + budgetRatio
        + (retryNonIdempotent ? ", retries any method" : "") + '}';
  }

  /**
   * Builds an {@link HttpPolicy}. Each setter checks its value at once ({@link
   * IllegalArgumentException} naming the value); {@link #build()} checks settings against each other
   * ({@link IllegalStateException} naming both). Not thread-safe.
   */
  public static final class Builder {
    private final String name;
    private int maxRetries = 3;
    private Duration initialBackoff = Duration.ofMillis(200);
    private Duration maxBackoff = Duration.ofSeconds(5);
    private double jitter = 0.5;
    private Duration attemptTimeout = Duration.ofSeconds(10);
    private Duration totalTimeout = Duration.ofSeconds(30);
    private Duration maxRetryAfter = Duration.ofSeconds(30);
    private boolean circuitBreaker = true;
    private float failureRateThreshold = 50f;
    private Duration breakerWindow = Duration.ofSeconds(30);
    private int breakerWindowCalls = 50;
    private int minimumCalls = 50;
    private Duration breakDuration = Duration.ofMillis(300);
    private int halfOpenCalls = 1;
    private Duration probeWait = Duration.ofSeconds(1);
    private RateLimiterConfig rateLimiter;
    private double budgetRatio = 0.3;
    private int budgetMinRetriesPerSecond = 10;
    private Duration budgetWindow = Duration.ofSeconds(10);
    private boolean retryNonIdempotent;

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("policy name must not be blank, was '" + name + "'");
      }
      this.name = name;
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, was " + Durations.format(d));
      }
      return d;
    }

    /**
     * Retries after the first attempt, for requests that may be retried. Default 3.
     *
     * @param maxRetries 0 (no retry) to 10
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxRetries(int maxRetries) {
      if (maxRetries < 0 || maxRetries > 10) {
        throw new IllegalArgumentException("maxRetries must be in [0, 10], was " + maxRetries);
      }
      this.maxRetries = maxRetries;
      return this;
    }

    /**
     * The exponential backoff: {@code initial}, doubling each retry, never above {@code max}.
     * Default 200 ms to 5 s.
     *
     * @param initial the first wait, positive
     * @param max the longest wait, at least {@code initial}
     * @return this builder
     * @throws IllegalArgumentException if a value is not positive or {@code max < initial}
     */
    public Builder backoff(Duration initial, Duration max) {
      positive(initial, "initialBackoff");
      positive(max, "maxBackoff");
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException(
            "maxBackoff (" + Durations.format(max) + ") must be >= initialBackoff ("
                + Durations.format(initial) + ")");
      }
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /**
     * The jitter: each backoff wait is drawn uniformly from {@code wait * (1 +/- jitter)}, so
     * clients that failed together do not retry together. Default 0.5; 0 gives exact waits.
     *
     * @param jitter a share in [0, 1)
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder jitter(double jitter) {
      if (!(jitter >= 0 && jitter < 1)) {
        throw new IllegalArgumentException("jitter must be in [0, 1), was " + jitter);
      }
      this.jitter = jitter;
      return this;
    }

    /**
     * The timeout of each attempt, applied as the request's {@link
     * java.net.http.HttpRequest#timeout()} (no extra thread); a request that sets its own timeout
     * keeps it. Either way an attempt never runs past the total timeout. Default 10 s.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder attemptTimeout(Duration timeout) {
      this.attemptTimeout = positive(timeout, "attemptTimeout");
      return this;
    }

    /**
     * The timeout of the whole call: every attempt and every wait between them. A wait that would
     * end past it is not started; the call ends at once with its last outcome. Default 30 s.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder totalTimeout(Duration timeout) {
      this.totalTimeout = positive(timeout, "totalTimeout");
      return this;
    }

    /**
     * The longest wait a {@code Retry-After} header may impose; a longer one is cut to this.
     * Default 30 s.
     *
     * @param max positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxRetryAfter(Duration max) {
      this.maxRetryAfter = positive(max, "maxRetryAfter");
      return this;
    }

    /**
     * A per-host circuit breaker over the last {@code windowCalls} attempts, judged once the window
     * is full. This is the default (50%, 50 attempts, 300 ms): a count window forgets a healthy
     * past as fast as the traffic replaces it, so an outage opens the breaker after about {@code
     * windowCalls x threshold} failed attempts however long the host was healthy before, while 50
     * attempts at 50% keep 20% random failures from ever tripping it (the chance that 25 of 50
     * fail is about 1 in 600,000).
     *
     * @param failureRateThreshold the failure rate in percent of attempts that opens it, in (0, 100]
     * @param windowCalls the attempts in the window, at least 1
     * @param breakDuration how long it stays open before letting probes through, at least 1 ms
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     */
    public Builder circuitBreaker(
        float failureRateThreshold, int windowCalls, Duration breakDuration) {
      checkBreaker(failureRateThreshold, windowCalls, breakDuration);
      this.circuitBreaker = true;
      this.failureRateThreshold = failureRateThreshold;
      this.breakerWindowCalls = windowCalls;
      this.minimumCalls = windowCalls;
      this.breakDuration = breakDuration;
      return this;
    }

    private static void checkBreaker(float rate, int calls, Duration breakDuration) {
      if (!(rate > 0 && rate <= 100)) {
        throw new IllegalArgumentException("failureRateThreshold must be in (0, 100], was " + rate);
      }
      if (calls < 1) {
        throw new IllegalArgumentException("minimumCalls must be >= 1, was " + calls);
      }
      Objects.requireNonNull(breakDuration, "breakDuration");
      if (breakDuration.compareTo(Duration.ofMillis(1)) < 0) {
        throw new IllegalArgumentException(
            "breakDuration must be at least 1ms, was " + Durations.format(breakDuration));
      }
    }

    /**
     * A per-host circuit breaker over a time-based window (Microsoft's standard handler uses 30 s
     * and 100 calls). A long window remembers a healthy past: after 30 s of success at a high rate
     * it takes as many failures to open it, so an outage reaches the host for longer than with
     * the default count window. The window must be at least twice the attempt timeout (checked by
     * {@link #build()}).
     *
     * @param failureRateThreshold the failure rate in percent of attempts that opens it, in (0, 100]
     * @param window the sliding window, whole seconds, at least 1 s
     * @param minimumCalls attempts in the window before the rate is judged, at least 1
     * @param breakDuration how long it stays open before letting probes through, at least 1 ms
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     */
    public Builder circuitBreaker(
        float failureRateThreshold, Duration window, int minimumCalls, Duration breakDuration) {
      Objects.requireNonNull(window, "window");
      if (window.compareTo(Duration.ofSeconds(1)) < 0 || window.toNanos() % 1_000_000_000L != 0) {
        throw new IllegalArgumentException(
            "breaker window must be whole seconds, at least 1s, was " + Durations.format(window));
      }
      checkBreaker(failureRateThreshold, minimumCalls, breakDuration);
      this.circuitBreaker = true;
      this.failureRateThreshold = failureRateThreshold;
      this.breakerWindowCalls = 0;
      this.breakerWindow = window;
      this.minimumCalls = minimumCalls;
      this.breakDuration = breakDuration;
      return this;
    }

    /**
     * The probes a half-open breaker lets through; if enough succeed it closes. Default 1: one
     * request per break tells whether the host healed, and costs a still-failing host one request
     * per break (about 3 a second at the default 300 ms), not ten.
     *
     * @param calls at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder halfOpenCalls(int calls) {
      if (calls < 1) {
        throw new IllegalArgumentException("halfOpenCalls must be >= 1, was " + calls);
      }
      this.halfOpenCalls = calls;
      return this;
    }

    /**
     * Lets a request that the open breaker refuses wait, up to {@code maxWait}, for the breaker's
     * next probe, and go ahead if the probe succeeds (see {@link
     * dev.riprap.Policy.Builder#awaitProbe}); it is refused as before when the probe fails, the
     * open period lasts past {@code maxWait} or the total timeout. Without it, every request made
     * during the last open period after the host healed fails. Default: 1 s (a 300 ms break plus a
     * probe's answer).
     *
     * @param maxWait the longest wait, positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder awaitProbe(Duration maxWait) {
      this.probeWait = positive(maxWait, "awaitProbe");
      return this;
    }

    /**
     * A request the open breaker refuses fails at once, without waiting for the next probe.
     *
     * @return this builder
     */
    public Builder noProbeWait() {
      this.probeWait = Duration.ZERO;
      return this;
    }

    /**
     * No circuit breaker. Default: a breaker per host.
     *
     * @return this builder
     */
    public Builder noCircuitBreaker() {
      this.circuitBreaker = false;
      return this;
    }

    /**
     * A paced per-host rate limit: one request every {@code 1 s / permitsPerSecond}, waiting up to
     * {@code maxWait} for a slot before being rejected. Default: no limit.
     *
     * @param permitsPerSecond 1 to 1,000,000
     * @param maxWait zero or more
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     */
    public Builder rateLimit(int permitsPerSecond, Duration maxWait) {
      return rateLimit(PacedRate.config(permitsPerSecond, maxWait));
    }


    /**
     * A per-host rate limit with any resilience4j limiter settings (a burst of N per period, say).
     * Default: no limit.
     *
     * @param config the limiter settings each host's limiter is built from
     * @return this builder
     * @throws NullPointerException if {@code config} is null
     */
    public Builder rateLimit(RateLimiterConfig config) {
      this.rateLimiter = Objects.requireNonNull(config, "config");
      return this;
    }

    /**
     * The per-host retry budget (see {@link RetryBudget}). Default ratio 0.3, 10 retries per
     * second, 10 s window.
     *
     * @param ratio the share of calls that retries may add, in [0, 1000]
     * @param minRetriesPerSecond retries allowed per second whatever the traffic, zero or more
     * @param window the sliding window
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range (as {@link RetryBudget} says)
     */
    public Builder retryBudget(double ratio, int minRetriesPerSecond, Duration window) {
      // Let RetryBudget's own checks speak now, at build time.
      RetryBudget.builder().ratio(ratio).minRetriesPerSecond(minRetriesPerSecond).window(window)
          .build();
      this.budgetRatio = ratio;
      this.budgetMinRetriesPerSecond = minRetriesPerSecond;
      this.budgetWindow = window;
      return this;
    }

    /**
     * Whether requests of any method may be retried, not only idempotent ones (GET, HEAD, OPTIONS,
     * PUT, DELETE, TRACE) and those with an {@code Idempotency-Key}. Turn it on for a route whose
     * server deduplicates. Default {@code false}.
     *
     * @param retry {@code true} to retry any method
     * @return this builder
     */
    public Builder retryNonIdempotent(boolean retry) {
      this.retryNonIdempotent = retry;
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     * @throws IllegalStateException if the attempt timeout exceeds the total timeout, or the breaker
     *     window is time-based and shorter than twice the attempt timeout (it could not see two timed-out
     *     attempts); the message names both values
     */
    public HttpPolicy build() {
      if (attemptTimeout.compareTo(totalTimeout) > 0) {
        throw new IllegalStateException(
            "HttpPolicy '" + name + "': attempt timeout (" + Durations.format(attemptTimeout)
                + ") must not exceed total timeout (" + Durations.format(totalTimeout) + ")");
      }
      if (circuitBreaker && breakerWindowCalls == 0
          && breakerWindow.compareTo(attemptTimeout.multipliedBy(2)) < 0) {
        throw new IllegalStateException(
            "HttpPolicy '" + name + "': the breaker window (" + Durations.format(breakerWindow)
                + ") must be at least 2x the attempt timeout (" + Durations.format(attemptTimeout)
                + ")");
      }
      return new HttpPolicy(this);
    }
  }
}
