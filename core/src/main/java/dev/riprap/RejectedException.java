package dev.riprap;

import java.util.Objects;

/**
 * A call that a policy refused or cut off: circuit open, rate limited, bulkhead full, timed out or
 * shutting down. One exception type for the whole family, so one {@code catch} handles them all and
 * {@link #reason()} tells them apart.
 *
 * <p>The message names the policy and the reason, for example {@code "Policy 'inventory' rejected
 * the call: circuit open"}. The cause is the resilience4j exception that reported the rejection
 * ({@code CallNotPermittedException}, {@code RequestNotPermitted}, {@code BulkheadFullException}),
 * or a {@link java.util.concurrent.TimeoutException} for timeouts; it is {@code null} for {@link
 * RejectionReason#SHUTTING_DOWN}. A rejection with a cause carries no stack trace of its own (the
 * cause's trace shows the call path), which keeps rejections cheap when a breaker is open.
 *
 * <p>Unchecked, so that {@link Policy#call(ThrowingSupplier)} adds no checked exception to the
 * caller's own.
 */
public class RejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String policyName;
  private final RejectionReason reason;

  /**
   * Creates a rejection.
   *
   * @param policyName the name of the policy that rejected the call
   * @param reason why
   * @param detail extra words appended to the message, or {@code null}
   * @param cause the primitive's own exception, or {@code null}
   */
  public RejectedException(
      String policyName, RejectionReason reason, String detail, Throwable cause) {
    // A rejection with a cause does not fill in its own stack trace: the cause's trace already
    // shows where the call came from, and under an outage rejections are the hot path.
    super(message(policyName, reason, detail), cause, true, cause == null);
    this.policyName = Objects.requireNonNull(policyName, "policyName");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  private static String message(String policyName, RejectionReason reason, String detail) {
    String base = "Policy '" + policyName + "' rejected the call: " + reason.text();
    return detail == null ? base : base + " (" + detail + ")";
  }

  /**
   * The name of the policy that rejected the call.
   *
   * @return the policy name
   */
  public String policyName() {
    return policyName;
  }

  /**
   * Why the call was rejected.
   *
   * @return the reason
   */
  public RejectionReason reason() {
    return reason;
  }
}
