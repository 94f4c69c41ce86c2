package dev.riprap;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadFullException;

/**
 * The bulkhead step on a resilience4j bulkhead. A bulkhead with a maximum wait blocks the thread
 * that asks for a permit inside resilience4j; when that wait could outlast the call's deadline, the
 * driver bounds it ({@link Call#enterWithin}).
 */
final class BulkheadStep extends Step {
  final Bulkhead bulkhead;
  private final long maxWaitNanos;

  BulkheadStep(Bulkhead bulkhead) {
    this.bulkhead = bulkhead;
    this.maxWaitNanos = Pipeline.nanos(bulkhead.getBulkheadConfig().getMaxWaitDuration());
  }

  @Override
  long acquire(long remainingNanos) {
    if (maxWaitNanos > remainingNanos) {
      return BLOCKS;
    }
    return bulkhead.tryAcquirePermission() ? GO : REFUSED;
  }

  @Override
  RejectedException refusal(Pipeline p) {
    return p.rejection(
        RejectionReason.BULKHEAD_FULL,
        null,
        BulkheadFullException.createBulkheadFullException(bulkhead));
  }

  @Override
  void release() {
    bulkhead.onComplete();
  }

  @Override
  void settle(long nanos, Object result, Throwable failure) {
    bulkhead.onComplete();
  }
}
