package dev.riprap.http;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The body of one attempt that a hedge's race may abort: whichever comes second of "the body is
 * ready" and "the attempt was aborted" lets go of the body (a held transient failure drained, a
 * stream closed), so a losing response that arrives after its race is decided never stays open.
 * The JDK client may already have made the body when the cancel reaches it, and then never
 * delivers the response: this sees the body as the client asks the subscriber for it.
 */
final class AbortableBody {
  private static final Object ABORTED = new Object();

  private final long drainBytes;
  /** Null, then the body once ready, or {@link #ABORTED}. */
  private final AtomicReference<Object> body = new AtomicReference<>();

  AbortableBody(long drainBytes) {
    this.drainBytes = drainBytes;
  }

  /**
   * {@code subscriber} seen through a wrapper that reports its body. Its {@code getBody()} is not
   * called here: a mapping subscriber would map (open) a second body.
   */
  <B> HttpResponse.BodySubscriber<B> watch(HttpResponse.BodySubscriber<B> subscriber) {
    return new Watched<>(subscriber, this);
  }

  /** The attempt was given up: a body that is ready, or becomes so, is let go of. */
  void abort() {
    Object b = body.getAndSet(ABORTED);
    if (b != null && b != ABORTED) {
      letGo(b);
    }
  }

  private void ready(Object b) {
    Object before = body.compareAndExchange(null, b);
    if (before != null && before != b) {
      letGo(b);
    }
  }

  private void letGo(Object b) {
    if (b instanceof HeldBody) {
      ((HeldBody) b).drain(drainBytes);
    } else {
      Responses.closeQuietly(b);
    }
  }

  /** A subscriber that reports its body when the client asks for it. */
  private record Watched<B>(HttpResponse.BodySubscriber<B> subscriber, AbortableBody owner)
      implements HttpResponse.BodySubscriber<B> {
    @Override
    public CompletionStage<B> getBody() {
      return subscriber.getBody().thenApply(b -> {
        owner.ready(b);
        return b;
      });
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscriber.onSubscribe(subscription);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      subscriber.onNext(item);
    }

    @Override
    public void onError(Throwable throwable) {
      subscriber.onError(throwable);
    }

    @Override
    public void onComplete() {
      subscriber.onComplete();
    }
  }
}
