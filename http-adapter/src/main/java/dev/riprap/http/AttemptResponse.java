package dev.riprap.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * One attempt's response as the pipeline sees it: status and headers, classified once when it
 * arrived. A transient failure's body is held unread ({@link HeldBody}) until the retry decision:
 * a retried one is drained, the final one handed to the caller's body handler whole. An answer's
 * body was read by the caller's handler during the attempt. Listeners see it as the
 * {@code result()} of {@code RetryScheduled} and {@code RetryAbandoned}: its {@link #body()} is
 * null, since the body is not read for them.
 */
final class AttemptResponse implements HttpResponse<Object> {
  private final HttpResponse<Object> response;
  /**
   * The classifier's verdict, taken once when the response arrived: a transient failure's body is
   * held ({@link #held()}); an answer's was read by the caller's handler.
   */
  final boolean transientFailure;

  AttemptResponse(HttpResponse<Object> response) {
    this.response = response;
    this.transientFailure = response.body() instanceof HeldBody;
  }

  /** The unread body of a transient failure. */
  HeldBody held() {
    return (HeldBody) response.body();
  }

  /**
   * Lets go of a response nobody will read: a held body is drained up to {@code drainBytes} (or
   * its connection given up), an answer's streamed body (an {@code InputStream}, ...) is closed.
   */
  void release(long drainBytes) {
    if (transientFailure) {
      held().drain(drainBytes);
    } else {
      Responses.closeBody(response);
    }
  }

  /** The client's response. */
  HttpResponse<Object> received() {
    return response;
  }

  @Override
  public int statusCode() {
    return response.statusCode();
  }

  @Override
  public HttpRequest request() {
    return response.request();
  }

  @Override
  public Optional<HttpResponse<Object>> previousResponse() {
    return Optional.empty();
  }

  @Override
  public HttpHeaders headers() {
    return response.headers();
  }

  /** Null: the body is held for the caller or drained, never read for anyone else. */
  @Override
  public Object body() {
    return null;
  }

  @Override
  public Optional<SSLSession> sslSession() {
    return response.sslSession();
  }

  @Override
  public URI uri() {
    return response.uri();
  }

  @Override
  public HttpClient.Version version() {
    return response.version();
  }

  @Override
  public String toString() {
    return "(" + request().method() + " " + Redact.uri(uri()) + ") " + statusCode();
  }
}
