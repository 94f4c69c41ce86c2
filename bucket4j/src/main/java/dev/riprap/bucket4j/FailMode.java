package dev.riprap.bucket4j;

/**
 * What a {@link DistributedLimiter} does while its store cannot answer (a request timed out or
 * failed, or the store breaker is open): a decision of the configuration, never an exception in
 * every call.
 */
public enum FailMode {
  /**
   * The default: a limiter local to this replica decides, at the replica's share of the quota
   * ({@link DistributedLimiter.Builder#replicas}, or {@link DistributedLimiter.Builder#localLimit}).
   * The upstream stays protected, approximately, as Sentinel's cluster flow control falls back to
   * local rules.
   */
  LOCAL,
  /** Every attempt is allowed: availability first, the quota unenforced during the outage. */
  ALLOW,
  /** Every attempt is refused as rate limited: the quota first, nothing passes during the outage. */
  REJECT
}
