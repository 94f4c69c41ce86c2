package dev.riprap;

/**
 * Stub for the tests of issue 10 (the lead replaces it with the real type at merge): attached as a
 * suppressed exception to the last attempt's own exception when a policy gave up retrying, so the
 * caller can tell the policy and the number of attempts.
 */
public class RetriesExhaustedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String policyName;
  private final int attempts;

  /**
   * Creates the record of a policy that gave up.
   *
   * @param policyName the policy that gave up
   * @param attempts how many attempts it made
   */
  public RetriesExhaustedException(String policyName, int attempts) {
    super("Policy '" + policyName + "' gave up after " + attempts + " attempts", null, false, false);
    this.policyName = policyName;
    this.attempts = attempts;
  }

  /**
   * The policy that gave up.
   *
   * @return the policy name
   */
  public String policyName() {
    return policyName;
  }

  /**
   * How many attempts the policy made.
   *
   * @return the number of attempts
   */
  public int attempts() {
    return attempts;
  }
}
