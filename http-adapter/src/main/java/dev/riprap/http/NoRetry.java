package dev.riprap.http;

import java.io.IOException;

/**
 * Carries a transport failure of a request that must not be sent twice through the core pipeline,
 * so the retry passes it by while the breaker still counts the failure inside. Never reaches the
 * caller: the client unwraps it.
 */
final class NoRetry extends IOException {
  private static final long serialVersionUID = 1L;

  NoRetry(Throwable cause) {
    super(cause.getMessage(), cause);
  }

  static Throwable unwrap(Throwable t) {
    return t instanceof NoRetry ? t.getCause() : t;
  }
}
