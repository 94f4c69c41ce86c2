package dev.riprap;

/**
 * Attached as a suppressed exception to the failure a call ends with after more than one attempt,
 * so that the caller, who still catches the work's own exception type, can tell which policy gave
 * up and after how many attempts. The failures of the earlier attempts (up to four, the first
 * ones) are attached next to it. It is never thrown by Riprap; it carries no stack trace.
 *
 * <pre>{@code
 * try {
 *   policy.call(() -> inventory.stock(sku));
 * } catch (IOException e) {
 *   for (Throwable s : e.getSuppressed()) {
 *     if (s instanceof RetriesExhaustedException r) {
 *       System.err.println(r.policyName() + " gave up after " + r.attempts() + " attempts");
 *     }
 *   }
 * }
 * }</pre>
 */
public final class RetriesExhaustedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String policyName;
  private final int attempts;

  /**
   * Creates the record of a call that ended after {@code attempts} attempts.
   *
   * @param policyName the policy that ran the call
   * @param attempts how many attempts were made, including the first
   */
  public RetriesExhaustedException(String policyName, int attempts) {
    super("Policy '" + policyName + "' gave up after " + attempts + " attempts", null, false,
        false);
    this.policyName = policyName;
    this.attempts = attempts;
  }

  /**
   * The name of the policy that made the attempts.
   *
   * @return the policy name
   */
  public String policyName() {
    return policyName;
  }

  /**
   * How many attempts the call made, including the first.
   *
   * @return the number of attempts, at least 2
   */
  public int attempts() {
    return attempts;
  }
}
