package dev.riprap.http;

import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.Flow;

/**
 * Whether a request's body may be sent again. The JDK's publishers of a string, a byte array, a
 * file and of no body produce the same bytes on every subscription and are resent as they are.
 * Any other publisher (an input stream, {@code fromPublisher}, {@code ofByteArrays} over an
 * iterable, one of your own) may be one-shot: Riprap cannot tell, so such a body is sent at most
 * once. It is wrapped to see whether the client subscribed to it: a request whose body was never
 * read (the connection was refused) may still be sent again, and a body that failed to produce its
 * bytes is reported as the caller's failure ({@link HttpRequestBodyException}), never counted
 * against the host.
 */
final class RequestBody {
  /** The JDK's publishers that replay the same bytes on every subscription (JDK 17 to 25). */
  private static final Set<String> REPLAYABLE = Set.of(
      "jdk.internal.net.http.RequestPublishers$StringPublisher",
      "jdk.internal.net.http.RequestPublishers$ByteArrayPublisher",
      "jdk.internal.net.http.RequestPublishers$FilePublisher",
      "jdk.internal.net.http.RequestPublishers$EmptyPublisher");

  private RequestBody() {}

  /** Whether {@code request}'s body, if any, is one the JDK replays. */
  static boolean replayable(HttpRequest request) {
    return request.bodyPublisher().map(p -> REPLAYABLE.contains(p.getClass().getName()))
        .orElse(true);
  }

  /** A publisher that remembers whether it was read and whether it failed. */
  static final class Tracked implements HttpRequest.BodyPublisher {
    private final HttpRequest.BodyPublisher source;
    private volatile boolean subscribed;
    private volatile Throwable failure;

    Tracked(HttpRequest.BodyPublisher source) {
      this.source = source;
    }

    /** Whether the client asked for the body: its bytes may be gone. */
    boolean subscribed() {
      return subscribed;
    }

    /** What the body's own publisher failed with (a supplier returning null, ...), or null. */
    Throwable failure() {
      return failure;
    }

    @Override
    public long contentLength() {
      return source.contentLength();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
      subscribed = true;
      try {
        source.subscribe(new Watch(subscriber));
      } catch (RuntimeException | Error e) {
        failure = e;
        throw e;
      }
    }

    /** Passes every signal on, noting a failure of the body's publisher. */
    private final class Watch implements Flow.Subscriber<ByteBuffer> {
      private final Flow.Subscriber<? super ByteBuffer> downstream;

      Watch(Flow.Subscriber<? super ByteBuffer> downstream) {
        this.downstream = downstream;
      }

      @Override
      public void onSubscribe(Flow.Subscription subscription) {
        downstream.onSubscribe(subscription);
      }

      @Override
      public void onNext(ByteBuffer item) {
        downstream.onNext(item);
      }

      @Override
      public void onError(Throwable throwable) {
        failure = throwable;
        downstream.onError(throwable);
      }

      @Override
      public void onComplete() {
        downstream.onComplete();
      }
    }
  }
}
