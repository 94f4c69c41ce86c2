package dev.riprap.http;

import dev.riprap.Durations;
import dev.riprap.PacedRate;
import dev.riprap.RetryBudget;
import dev.riprap.endpoint.Hedging;
import dev.riprap.internal.Check;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * The settings of an {@link HttpPolicy.Builder} and their documented setters, each checked when
 * set. Package-private: users see these methods on {@link HttpPolicy.Builder}, which adds {@link
 * HttpPolicy.Builder#build()} and the checks of settings against each other. Not thread-safe.
 */
abstract class HttpPolicySettings {
  final String name;
  int maxRetries = 3;
  Duration initialBackoff = Duration.ofMillis(200);
  Duration maxBackoff = Duration.ofSeconds(5);
  double jitter = 0.5;
  Duration attemptTimeout = Duration.ofSeconds(10);
  Duration totalTimeout = Duration.ofSeconds(30);
  Duration maxRetryAfter = Duration.ofSeconds(30);
  boolean circuitBreaker = true;
  float failureRateThreshold = 50f;
  Duration breakerWindow = Duration.ofSeconds(30);
  int breakerWindowCalls = 50;
  int minimumCalls = 50;
  Duration breakDuration = Duration.ofMillis(300);
  int halfOpenCalls = 1;
  Duration probeWait = Duration.ofSeconds(1);
  RateLimiterConfig rateLimiter;
  double budgetRatio = 0.3;
  int budgetMinRetriesPerSecond = 10;
  Duration budgetWindow = Duration.ofSeconds(10);
  boolean retryNonIdempotent;
  Hedging hedging;
  /** The settings changed on this builder, each allowed once. */
  private final Set<String> changed = new HashSet<>();

  HttpPolicySettings(String name) {
    this.name = Check.notBlank(name, "name");
  }

  /** Refuses a second change of {@code setting}; call before checking the new value. */
  private void requireUnchanged(String setting, Object current) {
    Check.requireUnset(changed.contains(setting), setting, current);
  }

  /** Records a change of {@code setting}; call once the new value is checked and stored. */
  private HttpPolicy.Builder changed(String setting) {
    changed.add(setting);
    return (HttpPolicy.Builder) this;
  }

  /**
   * Retries after the first attempt, for requests that may be retried. Default 3.
   *
   * @param maxRetries 0 (no retry) to 10
   * @return this builder
   * @throws IllegalArgumentException if out of range
   * @throws IllegalStateException if already set on this builder
   */
  public HttpPolicy.Builder maxRetries(int maxRetries) {
    requireUnchanged("maxRetries", this.maxRetries);
    this.maxRetries = Check.inRange(maxRetries, 0, 10, "maxRetries");
    return changed("maxRetries");
  }

  /**
   * The exponential backoff: {@code initial}, doubling each retry, never above {@code max}.
   * Default 200 ms to 5 s.
   *
   * @param initial the first wait, positive
   * @param max the longest wait, at least {@code initial}
   * @return this builder
   * @throws IllegalArgumentException if a value is not positive or {@code max < initial}
   * @throws IllegalStateException if already set on this builder
   */
  public HttpPolicy.Builder backoff(Duration initial, Duration max) {
    requireUnchanged(
        "backoff", Durations.format(initialBackoff) + ".." + Durations.format(maxBackoff));
    Check.positive(initial, "initialBackoff");
    Check.notBelow(Check.positive(max, "maxBackoff"), "maxBackoff", initial, "initialBackoff");
    this.initialBackoff = initial;
    this.maxBackoff = max;
    return changed("backoff");
  }

  /**
   * The jitter: each backoff wait is drawn uniformly from {@code wait * (1 +/- jitter)}, so
   * clients that failed together do not retry together. Default 0.5; 0 gives exact waits.
   *
   * @param jitter a share in [0, 1)
   * @return this builder
   * @throws IllegalArgumentException if out of range
   * @throws IllegalStateException if already set on this builder
   */
  public HttpPolicy.Builder jitter(double jitter) {
    requireUnchanged("jitter", this.jitter);
    Check.requireArgument(jitter >= 0 && jitter < 1, "jitter", "in [0, 1)", jitter);
    this.jitter = jitter;
    return changed("jitter");
  }

  /**
   * The timeout of each attempt, applied as the request's {@link
   * java.net.http.HttpRequest#timeout()} (no extra thread); a request that sets its own timeout
   * keeps it. Either way an attempt never runs past the total timeout. Default 10 s.
   *
   * @param timeout positive
   * @return this builder
   * @throws IllegalArgumentException if not positive
   * @throws IllegalStateException if already set on this builder
   */
  public HttpPolicy.Builder attemptTimeout(Duration timeout) {
    requireUnchanged("attemptTimeout", attemptTimeout);
    this.attemptTimeout = Check.positive(timeout, "attemptTimeout");
    return changed("attemptTimeout");
  }

  /**
   * The timeout of the whole call: every attempt and every wait between them. A wait that would
   * end past it is not started; the call ends at once with its last outcome. Default 30 s.
   *
   * @param timeout positive
   * @return this builder
   * @throws IllegalArgumentException if not positive
   * @throws IllegalStateException if already set on this builder
   */
  public HttpPolicy.Builder totalTimeout(Duration timeout) {
    requireUnchanged("totalTimeout", totalTimeout);
    this.totalTimeout = Check.positive(timeout, "totalTimeout");
    return changed("totalTimeout");
  }

  /**
   * The longest wait a {@code Retry-After} header may impose; a longer one is cut to this.
   * Default 30 s.
   *
   * @param max positive
   * @return this builder
   * @throws IllegalArgumentException if not positive
   * @throws IllegalStateException if already set on this builder
   */
  public HttpPolicy.Builder maxRetryAfter(Duration max) {
    requireUnchanged("maxRetryAfter", maxRetryAfter);
    this.maxRetryAfter = Check.positive(max, "maxRetryAfter");
    return changed("maxRetryAfter");
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
   * @param windowCalls the attempts in the window, 1 to 100,000
   * @param breakDuration how long it stays open before letting probes through, at least 1 ms
   * @return this builder
   * @throws IllegalArgumentException if a value is out of range
   * @throws IllegalStateException if the breaker was already set on this builder
   */
  public HttpPolicy.Builder circuitBreaker(
      float failureRateThreshold, int windowCalls, Duration breakDuration) {
    requireUnchanged("circuitBreaker", breakerText());
    checkBreaker(failureRateThreshold, breakDuration);
    Check.inRange(windowCalls, 1, Check.MAX_BREAKER_SLOTS, "windowCalls");
    this.circuitBreaker = true;
    this.failureRateThreshold = failureRateThreshold;
    this.breakerWindowCalls = windowCalls;
    this.minimumCalls = windowCalls;
    this.breakDuration = breakDuration;
    return changed("circuitBreaker");
  }

  private static void checkBreaker(float rate, Duration breakDuration) {
    Check.requireArgument(rate > 0 && rate <= 100, "failureRateThreshold", "in (0, 100]", rate);
    Check.atLeastOneMilli(breakDuration, "breakDuration");
  }

  /**
   * A per-host circuit breaker over a time-based window (Microsoft's standard handler uses 30 s
   * and 100 calls). A long window remembers a healthy past: after 30 s of success at a high rate
   * it takes as many failures to open it, so an outage reaches the host for longer than with
   * the default count window. The window must be at least twice the attempt timeout (checked by
   * {@link HttpPolicy.Builder#build()}).
   *
   * @param failureRateThreshold the failure rate in percent of attempts that opens it, in (0, 100]
   * @param window the sliding window, whole seconds, 1 s to 100,000 s
   * @param minimumCalls attempts in the window before the rate is judged, at least 1
   * @param breakDuration how long it stays open before letting probes through, at least 1 ms
   * @return this builder
   * @throws IllegalArgumentException if a value is out of range
   * @throws IllegalStateException if the breaker was already set on this builder
   */
  public HttpPolicy.Builder circuitBreaker(
      float failureRateThreshold, Duration window, int minimumCalls, Duration breakDuration) {
    requireUnchanged("circuitBreaker", breakerText());
    checkBreaker(failureRateThreshold, breakDuration);
    Check.notNull(window, "window");
    Check.requireArgument(
        window.getNano() == 0
            && window.getSeconds() >= 1
            && window.getSeconds() <= Check.MAX_BREAKER_SLOTS,
        "window",
        "whole seconds between 1s and " + Check.MAX_BREAKER_SLOTS + "s",
        window);
    Check.atLeast(minimumCalls, 1, "minimumCalls");
    this.circuitBreaker = true;
    this.failureRateThreshold = failureRateThreshold;
    this.breakerWindowCalls = 0;
    this.breakerWindow = window;
    this.minimumCalls = minimumCalls;
    this.breakDuration = breakDuration;
    return changed("circuitBreaker");
  }

  /**
   * The probes a half-open breaker lets through; if enough succeed it closes. Default 1: one
   * request per break tells whether the host healed, and costs a still-failing host one request
   * per break (about 3 a second at the default 300 ms), not ten.
   *
   * @param calls 1 to 100,000
   * @return this builder
   * @throws IllegalArgumentException if out of range
   * @throws IllegalStateException if already set on this builder
   */
  public HttpPolicy.Builder halfOpenCalls(int calls) {
    requireUnchanged("halfOpenCalls", halfOpenCalls);
    this.halfOpenCalls = Check.inRange(calls, 1, Check.MAX_BREAKER_SLOTS, "halfOpenCalls");
    return changed("halfOpenCalls");
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
   * @throws IllegalStateException if the probe wait was already set on this builder
   */
  public HttpPolicy.Builder awaitProbe(Duration maxWait) {
    requireUnchanged("awaitProbe", probeWaitText());
    this.probeWait = Check.positive(maxWait, "awaitProbe");
    return changed("awaitProbe");
  }

  /**
   * A request the open breaker refuses fails at once, without waiting for the next probe.
   *
   * @return this builder
   * @throws IllegalStateException if the probe wait was already set on this builder
   */
  public HttpPolicy.Builder noProbeWait() {
    requireUnchanged("awaitProbe", probeWaitText());
    this.probeWait = Duration.ZERO;
    return changed("awaitProbe");
  }

  private String probeWaitText() {
    return probeWait.isZero() ? "none" : Durations.format(probeWait);
  }

  /**
   * No circuit breaker. Default: a breaker per host.
   *
   * @return this builder
   * @throws IllegalStateException if the breaker was already set on this builder
   */
  public HttpPolicy.Builder noCircuitBreaker() {
    requireUnchanged("circuitBreaker", breakerText());
    this.circuitBreaker = false;
    return changed("circuitBreaker");
  }

  private String breakerText() {
    return HttpPolicy.breakerText(
        circuitBreaker, failureRateThreshold, breakerWindowCalls, breakerWindow, minimumCalls,
        breakDuration, halfOpenCalls);
  }

  /**
   * A paced per-host rate limit: one request every {@code 1 s / permitsPerSecond}, waiting up to
   * {@code maxWait} for a slot before being rejected. Default: no limit.
   *
   * @param permitsPerSecond 1 to 1,000,000
   * @param maxWait zero or more
   * @return this builder
   * @throws IllegalArgumentException if a value is out of range
   * @throws IllegalStateException if a rate limit was already set on this builder
   */
  public HttpPolicy.Builder rateLimit(int permitsPerSecond, Duration maxWait) {
    requireUnchanged("rateLimit", rateLimiter);
    Check.notNull(maxWait, "maxWait");
    return rateLimit(PacedRate.config(permitsPerSecond, Check.capped(maxWait)));
  }

  /**
   * A per-host rate limit with any resilience4j limiter settings (a burst of N per period, say).
   * Default: no limit.
   *
   * @param config the limiter settings each host's limiter is built from
   * @return this builder
   * @throws NullPointerException if {@code config} is null
   * @throws IllegalStateException if a rate limit was already set on this builder
   */
  public HttpPolicy.Builder rateLimit(RateLimiterConfig config) {
    requireUnchanged("rateLimit", rateLimiter);
    this.rateLimiter = Check.notNull(config, "config");
    return changed("rateLimit");
  }

  /**
   * The per-host retry budget (see {@link RetryBudget}). Default ratio 0.3, 10 retries per
   * second, 10 s window.
   *
   * @param ratio the share of calls that retries may add, in [0, 1000]
   * @param minRetriesPerSecond retries allowed per second whatever the traffic, zero or more
   * @param window the sliding window, 1 s to 1 h
   * @return this builder
   * @throws IllegalArgumentException if a value is out of range (as {@link RetryBudget} says)
   * @throws IllegalStateException if the budget was already set on this builder
   */
  public HttpPolicy.Builder retryBudget(double ratio, int minRetriesPerSecond, Duration window) {
    requireUnchanged(
        "retryBudget",
        budgetRatio + ", " + budgetMinRetriesPerSecond + "/s, " + Durations.format(budgetWindow));
    // Let RetryBudget's own checks speak now, at build time.
    RetryBudget.builder().ratio(ratio).minRetriesPerSecond(minRetriesPerSecond).window(window)
        .build();
    this.budgetRatio = ratio;
    this.budgetMinRetriesPerSecond = minRetriesPerSecond;
    this.budgetWindow = window;
    return changed("retryBudget");
  }

  /**
   * Whether requests of any method may be retried, not only idempotent ones (GET, HEAD, OPTIONS,
   * PUT, DELETE, TRACE) and those with an {@code Idempotency-Key}. Turn it on for a route whose
   * server deduplicates. Default {@code false}.
   *
   * @param retry {@code true} to retry any method
   * @return this builder
   * @throws IllegalStateException if already set on this builder
   */
  public HttpPolicy.Builder retryNonIdempotent(boolean retry) {
    requireUnchanged("retryNonIdempotent", retryNonIdempotent);
    this.retryNonIdempotent = retry;
    return changed("retryNonIdempotent");
  }

  /**
   * Hedges the requests of this policy to a logical service ({@link
   * ResilientHttpClient.Builder#endpoints}): when an attempt's endpoint has not answered after
   * the hedge delay, the same request goes to another endpoint of the service that is in rotation
   * and not in flight for it, at most {@link Hedging#maxHedges} times; the first response that is
   * no transient failure by the client's classifier wins, and the others are cancelled (their
   * exchanges aborted, a response that arrives anyway has its body closed or drained), counting
   * for nothing against their endpoints. Each hedge runs in its endpoint's policy (its breaker and
   * rate limiter) and takes one token of this policy's retry budget; none is sent when the budget
   * is empty, no other endpoint is in rotation or the attempt's deadline has passed. Only a
   * request that may be sent twice is hedged: an idempotent method, an {@code Idempotency-Key} or
   * {@link #retryNonIdempotent}, with a body that can be sent again; any other request runs
   * unhedged (decided at send, since a route's method alone cannot tell). A request to a plain
   * host is never hedged. {@code send} waits for the race on the caller's thread, the attempts
   * running as {@code sendAsync}'s do; the hedging's executor (default the client's async
   * executor) starts the hedges. Default: no hedging. See {@code docs/http.md} and {@code
   * docs/endpoints.md}, "Hedging".
   *
   * @param hedging the hedging settings
   * @return this builder
   * @throws NullPointerException if {@code hedging} is null
   * @throws IllegalStateException if already set on this builder
   */
  public HttpPolicy.Builder hedging(Hedging hedging) {
    requireUnchanged("hedging", this.hedging);
    this.hedging = Check.notNull(hedging, "hedging");
    return changed("hedging");
  }
}
