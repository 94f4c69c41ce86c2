package dev.riprap.http;

import dev.riprap.RejectedException;
import dev.riprap.TimeSource;
import dev.riprap.internal.Check;
import dev.riprap.internal.OutcomeHooks;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What an HTTP attempt's outcome means to the core's pipeline: its classification for the breaker
 * and the call's outcome, the HTTP part of the retry decision, and what happens to a response the
 * caller will not get. The core asks these hooks in its one decision per attempt, then applies its
 * own limits (attempts, drain, total timeout, retry budget, whose token it takes there); only then
 * is a retried response's body drained, so a response that is not retried reaches the caller
 * whole, whatever races with the decision.
 */
final class HttpOutcomes implements OutcomeHooks<Object, AttemptResponse> {
  /** The work the core runs for an {@link Exchange} (its sync and async forms): how the hooks find it. */
  interface Work {
    Exchange<?> exchange();
  }

  private final HttpClassifier classifier;
  private final TimeSource time;
  private final long drainBytes;

  HttpOutcomes(HttpClassifier classifier, TimeSource time, long drainBytes) {
    this.classifier = classifier;
    this.time = time;
    this.drainBytes = drainBytes;
  }

  @Override
  public boolean isFailure(AttemptResponse result) {
    return result.transientFailure;
  }

  @Override
  public boolean countsForBreaker(Throwable failure) {
    // A body that failed to produce its bytes is the caller's failure, not the host's.
    return !(failure instanceof HttpRequestBodyException) && classifier.isTransientFailure(failure);
  }

  /**
   * A service endpoint's own breaker or rate limiter refused the attempt: nothing was sent, so
   * trying another endpoint costs the retry budget nothing (a refusal paid from it would let one
   * endpoint with an open breaker use up the budget the other endpoints' real failures need).
   */
  @Override
  public boolean retryIsFree(Object work, Throwable failure) {
    return refusedByEndpoint(((Work) work).exchange(), failure);
  }

  /** A service endpoint's own breaker or rate limiter refused the attempt: nothing was sent. */
  private static boolean refusedByEndpoint(Exchange<?> x, Throwable failure) {
    return failure instanceof RejectedException && x.service != null;
  }

  /**
   * The HTTP retry decision, each "no" one line with its reason; the engine's limits follow it
   * ({@link dev.riprap.internal.OutcomeHooks#retryDelayNanos}).
   */
  @Override
  public long retryDelayNanos(Object work, int attempt, AttemptResponse response, Throwable failure) {
    Exchange<?> x = ((Work) work).exchange();
    if (failure != null) {
      // A service endpoint's breaker or rate limit refused the attempt: nothing was sent, and the
      // next attempt goes to another endpoint.
      if (refusedByEndpoint(x, failure)) {
        return backoffNanos(x.settings, attempt);
      }
      // Not a transient failure (bad input, TLS, the caller's own body): another try fails alike.
      if (!countsForBreaker(failure)) {
        return -1;
      }
      // Nothing reached the host (connection refused): safe to send again, whatever the method.
      boolean nothingSent = failure instanceof ConnectException
          || failure instanceof HttpConnectTimeoutException;
      // The host may have acted on a request that must not be sent twice.
      if (!nothingSent && !x.idempotent) {
        return -1;
      }
      // The body was read and cannot be produced again.
      if (!x.bodyCanBeSentAgain()) {
        return -1;
      }
      return backoffNanos(x.settings, attempt);
    }
    // An answer (2xx, 404, ...): the caller's, as it came.
    if (!response.transientFailure) {
      return -1;
    }
    // The host saw a request that must not be sent twice.
    if (!x.idempotent) {
      return -1;
    }
    // The body was read and cannot be produced again: the host's answer is the caller's.
    if (!x.bodyCanBeSentAgain()) {
      return -1;
    }
    // The host's Retry-After (capped), else the backoff.
    Optional<Duration> asked = RetryAfter.parse(response.headers(), time.instant());
    return asked.isPresent()
        ? wholeMillis(Math.min(Check.saturatedNanos(asked.get()), x.settings.maxRetryAfter().toNanos()))
        : backoffNanos(x.settings, attempt);
  }

  @Override
  public void discard(AttemptResponse result) {
    result.release(drainBytes);
  }

  /**
   * The exponential backoff with jitter before the retry that follows attempt {@code attempt}, in
   * whole milliseconds (as nanoseconds).
   */
  static long backoffNanos(HttpPolicy p, int attempt) {
    double base = p.initialBackoff().toNanos() * Math.pow(2, Math.max(0, attempt - 1));
    double max = p.maxBackoff().toNanos();
    base = Math.min(base, max);
    if (p.jitter() > 0) {
      base *= 1 + p.jitter() * (2 * ThreadLocalRandom.current().nextDouble() - 1);
    }
    return wholeMillis((long) Math.min(base, max));
  }

  /**
   * Rounds a wait up to whole milliseconds, at least one: a retry never fires with no wait at all
   * (a {@code Retry-After: 0} or a date in the past), and events show round numbers.
   */
  static long wholeMillis(long nanos) {
    long millis = nanos / 1_000_000L + (nanos % 1_000_000L == 0 ? 0 : 1);
    return Math.max(1, Math.min(millis, Long.MAX_VALUE / 1_000_000L)) * 1_000_000L;
  }
}
