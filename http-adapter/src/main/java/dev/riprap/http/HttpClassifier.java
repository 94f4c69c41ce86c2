package dev.riprap.http;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Decides which outcomes of an HTTP attempt are transient failures: worth a retry (when the request
 * may be sent twice) and counted against the host's circuit breaker. Everything else is an answer:
 * the caller gets it as it came, and the breaker counts it as a success.
 *
 * <p>{@link #standard()} is the rule of RFC 9110 and of Microsoft's standard resilience handler:
 * 5xx, 408 (Request Timeout) and 429 (Too Many Requests) responses, and transport failures. Replace
 * it through {@link ResilientHttpClient.Builder#classifier(HttpClassifier)}, for example to treat 501
 * Not Implemented as an answer. Implementations must be thread-safe and must not block: the status
 * test runs on the HTTP client's thread before the response body is read.
 */
public interface HttpClassifier {
  /**
   * Whether a response with this status and these headers is a transient failure. Called before the
   * body is read.
   *
   * @param response the status line and headers of the response
   * @return {@code true} for a transient failure, {@code false} for an answer
   */
  boolean isTransientFailure(HttpResponse.ResponseInfo response);

  /**
   * Whether an exception thrown by an attempt is a transient failure. Exceptions that are not
   * (bad arguments, certificate errors) end the call at once and are ignored by the breaker.
   *
   * @param failure the attempt's exception
   * @return {@code true} for a transient failure
   */
  boolean isTransientFailure(Throwable failure);

  /**
   * The standard classification: 5xx, 408 and 429 responses are transient failures; so is every
   * {@link IOException} (connection refused or reset, end of stream, malformed framing, {@code
   * HttpTimeoutException}, {@code HttpConnectTimeoutException}) and a {@link TimeoutException},
   * except the TLS failures that another attempt cannot fix ({@link SSLHandshakeException}, {@link
   * SSLPeerUnverifiedException}). Other 1xx-4xx responses are answers.
   *
   * @return the shared standard classifier
   */
  static HttpClassifier standard() {
    return StandardClassifier.INSTANCE;
  }
}
