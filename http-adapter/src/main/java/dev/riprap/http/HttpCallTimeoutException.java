package dev.riprap.http;

import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Objects;

/**
 * A request through a {@link ResilientHttpClient} ran out of time: the one type whichever timeout
 * ended it, the attempt's (the policy's attempt timeout or the request's own, whichever is shorter)
 * or the call's total timeout. It extends the JDK's {@link HttpTimeoutException}, so code that
 * catches that (or {@code IOException}) keeps working; {@link #timeout()} tells which fired and
 * {@link #configured()} its configured value, and the message names both, for example {@code GET
 * http://127.0.0.1:8080/items timed out for host '127.0.0.1:8080' by policy 'default': total
 * timeout 150ms}.
 *
 * <p>The cause is what the timeout cut short: the JDK's {@code HttpTimeoutException} of the last
 * attempt, or the core's {@link dev.riprap.RejectedException} ({@code TIMED_OUT}) when the total
 * timeout ended the call between or during attempts.
 */
public final class HttpCallTimeoutException extends HttpTimeoutException {
  private static final long serialVersionUID = 1L;

  /** Which timeout ended a request. */
  public enum Timeout {
    /** The bound of one attempt: the policy's attempt timeout, or the request's own if shorter. */
    ATTEMPT("attempt timeout"),
    /** The request's own {@code HttpRequest.timeout()}, shorter than the policy's attempt timeout. */
    REQUEST("request timeout"),
    /** The policy's total timeout, which bounds all attempts and the waits between them. */
    TOTAL("total timeout");

    private final String text;

    Timeout(String text) {
      this.text = text;
    }

    /**
     * The words the message uses.
     *
     * @return for example {@code "total timeout"}
     */
    public String text() {
      return text;
    }
  }

  private final Timeout timeout;
  private final Duration configured;
  private final String host;
  private final String policyName;

  /**
   * Creates the exception.
   *
   * @param request the request as the message shows it (method, scheme, host and path)
   * @param host the URI authority
   * @param policyName the client policy that applied
   * @param timeout which timeout fired
   * @param configured its configured value
   * @param cause what it cut short
   * @throws NullPointerException if an argument other than {@code cause} is null
   */
  public HttpCallTimeoutException(String request, String host, String policyName, Timeout timeout,
      Duration configured, Throwable cause) {
    super(request + " timed out for host '" + host + "' by policy '" + policyName + "': "
        + timeout.text() + " " + dev.riprap.Durations.format(configured));
    initCause(cause);
    this.timeout = timeout;
    this.configured = Objects.requireNonNull(configured, "configured");
    this.host = Objects.requireNonNull(host, "host");
    this.policyName = Objects.requireNonNull(policyName, "policyName");
  }

  /**
   * Which timeout fired.
   *
   * @return the timeout
   */
  public Timeout timeout() {
    return timeout;
  }

  /**
   * The configured value of the timeout that fired.
   *
   * @return the duration as configured
   */
  public Duration configured() {
    return configured;
  }

  /**
   * The URI authority (host and port) the request was meant for.
   *
   * @return the authority
   */
  public String host() {
    return host;
  }

  /**
   * The client policy that applied.
   *
   * @return the policy name
   */
  public String policyName() {
    return policyName;
  }
}
