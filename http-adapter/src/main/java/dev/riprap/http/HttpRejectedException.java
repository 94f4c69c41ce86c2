package dev.riprap.http;

import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import java.io.IOException;
import java.util.Objects;

/**
 * A request that the client refused or cut off: the host's breaker was open, its rate limit or the
 * client's concurrency limit was reached, the total timeout expired, or the client is draining. An
 * {@link IOException}, so code written for {@link java.net.http.HttpClient} handles it where it
 * already handles network failures; {@link #reason()} tells the cases apart.
 *
 * <p>The message names the request, the host, the policy and the reason, for example {@code "GET
 * http://inventory:8080/items?page=... rejected for host 'inventory:8080' by policy 'default':
 * circuit open"}. It never shows the URI's userinfo ({@code user:secret@}) nor query values, which
 * may be credentials. The cause is the core's {@link RejectedException}, whose own cause is the resilience4j
 * exception.
 */
public final class HttpRejectedException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The URI authority of the request. */
  private final String host;
  /** The client policy that applied. */
  private final String policyName;
  /** Why the request was rejected. */
  private final RejectionReason reason;

  /**
   * Creates the exception.
   *
   * @param method the request method
   * @param uri the request URI, printed without userinfo and query values
   * @param host the URI authority the request went to; any userinfo in it is dropped
   * @param policyName the name of the client policy (route) that applied
   * @param cause the core rejection
   * @throws NullPointerException if an argument is null
   */
  public HttpRejectedException(
      String method, String uri, String host, String policyName, RejectedException cause) {
    super(
        method + " " + Redact.uri(Objects.requireNonNull(uri, "uri")) + " rejected for host '"
            + Redact.hostAndPort(Objects.requireNonNull(host, "host"))
            + "' by policy '" + policyName + "': "
            + cause.reason().text(),
        cause);
    this.host = Redact.hostAndPort(host);
    this.policyName = Objects.requireNonNull(policyName, "policyName");
    this.reason = cause.reason();
  }

  /**
   * The URI authority (host and port) the request was meant for.
   *
   * @return the authority, for example {@code "127.0.0.1:8080"}
   */
  public String host() {
    return host;
  }

  /**
   * The name of the client policy that applied to the request (the route's policy name).
   *
   * @return the policy name
   */
  public String policyName() {
    return policyName;
  }

  /**
   * Why the request was rejected.
   *
   * @return the reason
   */
  public RejectionReason reason() {
    return reason;
  }

  @Override
  public synchronized RejectedException getCause() {
    return (RejectedException) super.getCause();
  }
}
