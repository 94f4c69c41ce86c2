package dev.riprap.health;

/** The health of a service or of one of its policies, from best to worst-but-deliberate. */
public enum HealthStatus {
  /** Every breaker closed (or no breaker). */
  UP,
  /** Some breakers are open or half-open: a downstream is failing, the service still works. */
  DEGRADED,
  /**
   * A breaker marked critical is open, or a supervisor gave up on a worker: the service cannot do
   * its whole job.
   */
  DOWN,
  /** Shutdown started: the service finishes its work in flight and takes no more. */
  DRAINING
}
