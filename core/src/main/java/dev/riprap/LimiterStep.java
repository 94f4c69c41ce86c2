package dev.riprap;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;

/**
 * The rate-limiter step, on Riprap's own {@link PacedLimiter} or on a resilience4j limiter: claims
 * the attempt's slot, and asks the attempt to wait when the slot comes later. A slot past the
 * call's deadline is of no use, so the call then times out at once instead of waiting. The paced
 * limiter claims nothing it refuses; a resilience4j limiter cannot give a reserved slot back, so
 * such a slot is lost. Releasing and settling do nothing: a slot is spent once taken.
 */
final class LimiterStep extends Step {
  final RateLimiter limiter;
  final PacedLimiter paced;
  private final long pacedMaxWaitNanos;

  LimiterStep(RateLimiter limiter) {
    this.limiter = limiter;
    this.paced = null;
    this.pacedMaxWaitNanos = 0;
  }

  LimiterStep(PacedLimiter paced) {
    this.limiter = null;
    this.paced = paced;
    this.pacedMaxWaitNanos = Pipeline.nanos(paced.maxWait());
  }

  @Override
  long acquire(long remainingNanos) {
    if (paced != null) {
      // A slot must start before the deadline, or the attempt would have no time at all.
      long wait = paced.reserve(Math.min(pacedMaxWaitNanos, remainingNanos - 1));
      if (wait >= 0) {
        return wait;
      }
      // Refused without claiming: because of the deadline when the limiter's own wait allowed it.
      return remainingNanos <= pacedMaxWaitNanos && paced.claimedAheadNanos() <= pacedMaxWaitNanos
          ? DEADLINE : REFUSED;
    }
    long wait = limiter.reservePermission();
    if (wait < 0) {
      return REFUSED;
    }
    return remainingNanos != Pipeline.NONE && wait >= remainingNanos ? DEADLINE : wait;
  }

  @Override
  RejectedException refusal(Pipeline p) {
    if (paced != null) {
      return p.rejection(RejectionReason.RATE_LIMITED, paced.toString(), null);
    }
    return p.rejection(
        RejectionReason.RATE_LIMITED, null, RequestNotPermitted.createRequestNotPermitted(limiter));
  }

  @Override
  void release() {}

  @Override
  void settle(long nanos, Object result, Throwable failure) {}
}
