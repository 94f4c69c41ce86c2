package dev.riprap;

import dev.riprap.event.EventStream;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * A rate limiter whose permits are decided outside the policy, possibly outside this JVM (a
 * fleet-wide quota in a shared store, as {@code riprap-bucket4j} provides): the seam through which
 * such a limiter takes the policy's limiter slot ({@link Policy.Builder#rateLimiter(ExternalLimiter)}).
 * It sits where any limiter sits, {@code CircuitBreaker(RateLimiter(Bulkhead(...)))}, and is asked
 * once per attempt.
 *
 * <p><b>Answers.</b> Both methods answer with a number of nanoseconds: {@code 0}, the permit is
 * taken and the attempt goes on at once; a positive wait, the permit is taken and its slot starts
 * that much later (the policy waits it, with its own timer for async calls); a negative number,
 * {@link #REFUSED}, no permit: the attempt ends with a {@link RejectedException} of reason {@link
 * RejectionReason#RATE_LIMITED}. A wait of {@code remainingNanos} or more means the permit comes
 * after the call's deadline: the call times out at once instead of waiting. A permit is never given
 * back: a slot is spent once taken, whatever the attempt does.
 *
 * <p><b>Sync and async.</b> {@link #acquire} serves the sync calls ({@link Policy#call}) and may
 * block the caller's thread, at most {@code remainingNanos} and not long: an implementation that
 * asks a store bounds each request with a short timeout of its own. {@link #acquireAsync} serves
 * the async calls ({@link Policy#callAsync}) and must not block: the policy continues the call
 * when the stage completes, on its async executor. While the stage is pending, the policy's total
 * timeout and a cancel of the caller's future still end the call on time; the stage is then
 * cancelled and a late answer is ignored.
 *
 * <p><b>Failures.</b> What the limiter throws, or a stage that completes exceptionally, fails the
 * attempt with that throwable (the retry decides on it like on any failure). An implementation
 * that talks to a store should rather decide store failures itself (fall back, allow or refuse) so
 * that an outage of the store is a decision of its configuration, not an exception in every call.
 *
 * <p>Implementations must be thread-safe: one instance serves every call of every policy it is
 * given to.
 */
public interface ExternalLimiter {
  /** The answer for "no permit": the attempt is rejected as rate limited. */
  long REFUSED = -1;

  /**
   * Takes one permit for a sync attempt, blocking the caller at most {@code remainingNanos}.
   *
   * @param remainingNanos the time left before the call's deadline; {@link Long#MAX_VALUE} when
   *     the call has none
   * @return {@code 0} to go now, a positive wait before the permitted slot, or a negative number
   *     ({@link #REFUSED}) for no permit
   * @throws InterruptedException if the caller's thread was interrupted while waiting for the
   *     answer: the call ends without running the attempt and the thread's flag stays set
   */
  long acquire(long remainingNanos) throws InterruptedException;

  /**
   * Takes one permit for an async attempt without blocking the calling thread.
   *
   * @param remainingNanos the time left before the call's deadline; {@link Long#MAX_VALUE} when
   *     the call has none
   * @return a stage completing with the same answers as {@link #acquire}; not null
   */
  CompletionStage<Long> acquireAsync(long remainingNanos);

  /**
   * Called once by each policy built with this limiter, so that the limiter can publish its own
   * events (which mode decides the permits, and why) to that policy's stream. Does nothing by
   * default.
   *
   * @param policy the policy's name
   * @param tags the policy's tags
   * @param events the policy's event stream
   * @param time the policy's time source, for the events' timestamps
   */
  default void attach(
      String policy, Map<String, String> tags, EventStream events, TimeSource time) {}
}
