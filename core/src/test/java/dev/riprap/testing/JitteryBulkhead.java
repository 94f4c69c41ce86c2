package dev.riprap.testing;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import java.util.Map;

/**
 * A resilience4j {@link Bulkhead} whose permission checks take a short random while ({@link
 * Race#jitter()}) before delegating: a race test hands it to a policy so that the engine's steps
 * around the bulkhead, where a cancel or timeout can land, last long enough to be hit.
 */
public final class JitteryBulkhead implements Bulkhead {
  private final Bulkhead delegate;

  /**
   * Delays every permission check of {@code delegate} a little.
   *
   * @param delegate the real bulkhead
   */
  public JitteryBulkhead(Bulkhead delegate) {
    this.delegate = delegate;
  }

  @Override
  public boolean tryAcquirePermission() {
    Race.jitter();
    return delegate.tryAcquirePermission();
  }

  @Override
  public void acquirePermission() {
    Race.jitter();
    delegate.acquirePermission();
  }

  @Override
  public void changeConfig(BulkheadConfig newConfig) {
    delegate.changeConfig(newConfig);
  }

  @Override
  public void releasePermission() {
    delegate.releasePermission();
  }

  @Override
  public void onComplete() {
    delegate.onComplete();
  }

  @Override
  public String getName() {
    return delegate.getName();
  }

  @Override
  public BulkheadConfig getBulkheadConfig() {
    return delegate.getBulkheadConfig();
  }

  @Override
  public Metrics getMetrics() {
    return delegate.getMetrics();
  }

  @Override
  public Map<String, String> getTags() {
    return delegate.getTags();
  }

  @Override
  public EventPublisher getEventPublisher() {
    return delegate.getEventPublisher();
  }
}
