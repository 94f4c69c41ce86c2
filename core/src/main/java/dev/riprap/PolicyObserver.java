package dev.riprap;

/**
 * Told when a holder of policies (a registry, or an HTTP client with per-host instances) creates or
 * evicts one. Metrics ({@code dev.riprap.micrometer.RiprapMetrics}) and health ({@code
 * dev.riprap.health.HealthMonitor}) implement it, so per-host meters and health entries come and go
 * with the instances and tag cardinality stays bounded by the holder's own bound.
 *
 * <p>Implementations must be thread-safe and quick: they are called on the thread that created or
 * evicted the policy. A holder calls {@link #onRemoved} at most once for each policy it reported
 * with {@link #onAdded}.
 */
public interface PolicyObserver {
  /**
   * A policy was created and will be used.
   *
   * @param policy the new policy
   */
  void onAdded(Policy policy);

  /**
   * A policy was evicted or closed and will not be used again.
   *
   * @param policy the evicted policy
   */
  void onRemoved(Policy policy);
}
