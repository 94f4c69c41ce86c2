package dev.riprap.http;

import java.io.IOException;

/**
 * The request's own body failed to produce its bytes (an {@code ofInputStream} supplier that
 * returned null or threw, a publisher that failed or refused its subscriber): a failure of the
 * caller's making, not of the host's. It is never retried and never counted by the host's circuit
 * breaker. The cause is what the body's publisher failed with.
 */
public final class HttpRequestBodyException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message names the request (method, scheme, host and path) and what failed
   * @param cause what the body's publisher failed with
   */
  public HttpRequestBodyException(String message, Throwable cause) {
    super(message, cause);
  }
}
