package dev.riprap;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;

/**
 * The rate-limiter step on a resilience4j limiter: reserves a permission, and asks the attempt to
 * wait for it when the limiter gives a later slot. A reserved slot cannot be given back to a
 * resilience4j limiter, so releasing and settling do nothing.
 */
final class LimiterStep extends Step {
  final RateLimiter limiter;

  LimiterStep(RateLimiter limiter) {
    this.limiter = limiter;
  }

  @Override
  long acquire(long remainingNanos) {
    long wait = limiter.reservePermission();
    if (wait < 0) {
      return REFUSED;
    }
    // A slot past the deadline is of no use: the call times out at once instead of waiting.
    return wait > remainingNanos ? DEADLINE : wait;
  }

  @Override
  RejectedException refusal(Pipeline p) {
    return p.rejection(
        RejectionReason.RATE_LIMITED, null, RequestNotPermitted.createRequestNotPermitted(limiter));
  }

  @Override
  void release() {}

  @Override
  void settle(long nanos, Object result, Throwable failure) {}
}
