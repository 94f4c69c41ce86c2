package dev.riprap.health;

/**
 * The health of a service, of one of its policies or of one of its endpoint groups, from best to
 * worst-but-deliberate.
 */
public enum HealthStatus {
  /** Every breaker closed (or no breaker); every endpoint of a group in rotation. */
  UP,
  /**
   * Some breakers are open or half-open, or some endpoints of a group are out of rotation (or a
   * group that is not critical is down): a downstream is failing, the service still works.
   */
  DEGRADED,
  /**
   * A breaker marked critical is open, an endpoint group marked critical is down, or a supervisor
   * gave up on a worker: the service cannot do its whole job. For a group itself: none of its
   * endpoints in rotation, or panic mode.
   */
  DOWN,
  /** Shutdown started: the service finishes its work in flight and takes no more. */
  DRAINING
}
