package dev.riprap;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The rate-limiter step, on Riprap's own {@link PacedLimiter}, on a resilience4j limiter or on an
 * {@link ExternalLimiter}: claims the attempt's slot, and asks the attempt to wait when the slot
 * comes later. A slot past the call's deadline is of no use, so the call then times out at once
 * instead of waiting. The paced limiter claims nothing it refuses; a resilience4j limiter cannot
 * give a reserved slot back, so such a slot is lost. Releasing and settling do nothing: a slot is
 * spent once taken.
 *
 * <p>An external limiter may answer asynchronously: the async driver asks it through {@link
 * #acquireAsync} and turns its answer into a step answer with {@link #answer}; the sync driver
 * calls {@link #acquire}, which blocks for the answer.
 */
final class LimiterStep extends Step {
  final RateLimiter limiter;
  final PacedLimiter paced;
  final ExternalLimiter external;
  private final long pacedMaxWaitNanos;

  LimiterStep(RateLimiter limiter) {
    this.limiter = limiter;
    this.paced = null;
    this.external = null;
    this.pacedMaxWaitNanos = 0;
  }

  LimiterStep(PacedLimiter paced) {
    this.limiter = null;
    this.paced = paced;
    this.external = null;
    this.pacedMaxWaitNanos = Pipeline.nanos(paced.maxWait());
  }

  LimiterStep(ExternalLimiter external) {
    this.limiter = null;
    this.paced = null;
    this.external = external;
    this.pacedMaxWaitNanos = 0;
  }

  /**
   * The external limiter's answer for an attempt with {@code remainingNanos} left, as a step
   * answer: a refusal, a slot past the deadline, or the wait before the slot.
   */
  static long answer(long externalAnswer, long remainingNanos) {
    if (externalAnswer < 0) {
      return REFUSED;
    }
    return remainingNanos != Pipeline.NONE && externalAnswer >= remainingNanos
        ? DEADLINE : externalAnswer;
  }

  /** Asks the external limiter without blocking; the stage is never null. */
  CompletionStage<Long> acquireAsync(long remainingNanos) {
    CompletionStage<Long> stage = external.acquireAsync(remainingNanos);
    return stage != null ? stage : CompletableFuture.failedFuture(
        new NullPointerException(external + " returned a null stage"));
  }

  @Override
  long acquire(long remainingNanos) {
    if (external != null) {
      try {
        return answer(external.acquire(remainingNanos), remainingNanos);
      } catch (InterruptedException e) {
        // No permit: the caller's flag stays set, so the driver ends the call as interrupted and
        // the refusal says why (refusal() below).
        Thread.currentThread().interrupt();
        return REFUSED;
      }
    }
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
    if (external != null) {
      return Thread.currentThread().isInterrupted()
          ? p.rejection(RejectionReason.RATE_LIMITED, "interrupted while asking " + external,
              new InterruptedException())
          : p.rejection(RejectionReason.RATE_LIMITED, external.toString(), null);
    }
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
