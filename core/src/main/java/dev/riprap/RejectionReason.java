package dev.riprap;

/** Why a policy refused or cut off a call; carried by {@link RejectedException}. */
public enum RejectionReason {
  /** The circuit breaker is open (or half-open with no trial permit left). */
  CIRCUIT_OPEN("circuit open"),
  /** The rate limiter had no permit within its wait time. */
  RATE_LIMITED("rate limited"),
  /** The bulkhead was full within its wait time. */
  BULKHEAD_FULL("bulkhead full"),
  /** An attempt timeout or the total timeout expired. */
  TIMED_OUT("timed out"),
  /** The policy is draining for shutdown and admits no new calls. */
  SHUTTING_DOWN("shutting down");

  private final String text;

  RejectionReason(String text) {
    this.text = text;
  }

  /**
   * The reason in words, as used in exception messages ("circuit open").
   *
   * @return the human-readable reason
   */
  public String text() {
    return text;
  }
}
