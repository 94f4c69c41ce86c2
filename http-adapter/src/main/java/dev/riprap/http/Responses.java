package dev.riprap.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import javax.net.ssl.SSLSession;

/** Makes {@code HttpResponse<T>}s from bytes through a caller's body handler. */
final class Responses {
  private Responses() {}

  record Info(int statusCode, HttpHeaders headers, HttpClient.Version version)
      implements HttpResponse.ResponseInfo {}

  /**
   * Feeds {@code body} to the subscriber {@code handler} makes for {@code info}, honouring demand,
   * and completes with the response once the handler's body is ready.
   */
  /**
   * Releases the body of a response nobody will read: an {@code InputStream}, a {@code Stream} of
   * lines or any other {@link AutoCloseable} body is closed (which lets the JDK client release the
   * connection); bodies already read into memory need nothing. Never throws.
   */
  static void closeBody(Object result) {
    if (!(result instanceof HttpResponse)) {
      return;
    }
    Object body = ((HttpResponse<?>) result).body();
    if (body instanceof AutoCloseable) {
      try {
        ((AutoCloseable) body).close();
      } catch (Exception ignored) {
        // Closing is best effort: the response is being thrown away.
      }
    }
  }

  static <T> CompletableFuture<HttpResponse<T>> feed(
      HttpRequest request, Info info, byte[] body, HttpResponse.BodyHandler<T> handler) {
    try {
      HttpResponse.BodySubscriber<T> subscriber = handler.apply(info);
      subscriber.onSubscribe(new OneShot(subscriber, body));
      return subscriber
          .getBody()
          .toCompletableFuture()
          .thenApply(
              b -> new Simple<>(info.statusCode(), request, info.headers(), b, info.version()));
    } catch (RuntimeException | Error e) {
      // The caller's handler or subscriber threw: the call ends with that, as the client's would.
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Delivers one buffer on the first demand, then completes. */
  static final class OneShot implements Flow.Subscription {
    private final Flow.Subscriber<? super List<ByteBuffer>> subscriber;
    private final byte[] body;
    private boolean done;

    OneShot(Flow.Subscriber<? super List<ByteBuffer>> subscriber, byte[] body) {
      this.subscriber = subscriber;
      this.body = body;
    }

    @Override
    public void request(long n) {
      synchronized (this) {
        if (done) {
          return;
        }
        done = true;
      }
      if (n <= 0) {
        subscriber.onError(new IllegalArgumentException("demand must be positive, was " + n));
        return;
      }
      if (body.length > 0) {
        subscriber.onNext(List.of(ByteBuffer.wrap(body).asReadOnlyBuffer()));
      }
      subscriber.onComplete();
    }

    @Override
    public synchronized void cancel() {
      done = true;
    }
  }

  /** A response made by the client rather than received: a fallback, a stale copy. */
  record Simple<T>(
      int statusCode, HttpRequest request, HttpHeaders headers, T body, HttpClient.Version version)
      implements HttpResponse<T> {
    @Override
    public Optional<HttpResponse<T>> previousResponse() {
      return Optional.empty();
    }

    @Override
    public Optional<SSLSession> sslSession() {
      return Optional.empty();
    }

    @Override
    public URI uri() {
      return request.uri();
    }
  }
}
