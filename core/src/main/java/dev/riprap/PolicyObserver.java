package dev.riprap;

import dev.riprap.endpoint.EndpointGroup;

/**
 * Told when a holder of policies (a registry, or an HTTP client with per-host instances) creates or
 * evicts one. Metrics ({@code dev.riprap.micrometer.RiprapMetrics}) and health ({@code
 * dev.riprap.health.HealthMonitor}) implement it, so per-host meters and health entries come and go
 * with the instances and tag cardinality stays bounded by the holder's own bound.
 *
 * <p>A holder of endpoint groups (an HTTP client's logical services) tells of its groups the same
 * way, with {@link #onGroupAdded} and {@link #onGroupRemoved}, so per-endpoint meters and
 * per-service health come and go with them.
 *
 * <p>Implementations must be thread-safe and quick: they are called on the thread that created or
 * evicted the policy. A holder calls {@link #onRemoved} at most once for each policy it reported
 * with {@link #onAdded}, and {@link #onGroupRemoved} at most once for each group it reported with
 * {@link #onGroupAdded}.
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

  /**
   * An endpoint group was created and will be used (an HTTP client's service, at the client's
   * build). Default: nothing.
   *
   * @param group the new group
   */
  default void onGroupAdded(EndpointGroup<?> group) {}

  /**
   * An endpoint group will not be used again (its client was closed). Default: nothing.
   *
   * @param group the group
   */
  default void onGroupRemoved(EndpointGroup<?> group) {}
}
