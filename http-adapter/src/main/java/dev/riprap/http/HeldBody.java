package dev.riprap.http;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * The body of an attempt's response, held unread until the retry decision is made: then handed,
 * whole and as it streams, to the caller's own subscriber ({@link #deliverTo}), or drained up to a
 * small bound and dropped ({@link #drain}). Its {@link #getBody()} completes at once, as the JDK's
 * {@code ofInputStream} does, so the client returns the response as soon as its headers are in and
 * nothing of the body is read before someone asks for it.
 *
 * <p>Signals from the client (subscription, completion, error) may come before or after the one
 * reader is attached, on the client's thread; the hand-over is guarded by this object's monitor
 * and nobody else's code runs under it.
 */
final class HeldBody implements HttpResponse.BodySubscriber<HeldBody> {
  private final HttpResponse.ResponseInfo info;
  private final CompletableFuture<HeldBody> self = CompletableFuture.completedFuture(this);
  private volatile Flow.Subscriber<? super List<ByteBuffer>> reader;
  private Flow.Subscription subscription;
  /** Whether the reader has its subscription: only then may it hear of the end. */
  private boolean ready;
  private Throwable error;
  private boolean complete;

  HeldBody(HttpResponse.ResponseInfo info) {
    this.info = info;
  }

  /** The response's declared length, empty when unknown (chunked, or until the connection ends). */
  OptionalLong contentLength() {
    return info.headers().firstValueAsLong("Content-Length");
  }

  @Override
  public CompletionStage<HeldBody> getBody() {
    return self;
  }

  /** Hands the body to {@code subscriber}, the one reader it will have. */
  void deliverTo(Flow.Subscriber<? super List<ByteBuffer>> subscriber) {
    Flow.Subscription s;
    synchronized (this) {
      if (reader != null) {
        throw new IllegalStateException("the body of this response has a reader already");
      }
      reader = subscriber;
      s = subscription;
    }
    if (s != null) {
      subscribed(subscriber, s);
    }
  }

  /**
   * Reads and drops the body when it is at most {@code maxBytes} long (the connection can then be
   * reused); gives the connection up at once when it is longer, or of unknown length.
   */
  void drain(long maxBytes) {
    deliverTo(new Drain(contentLength(), maxBytes));
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    Flow.Subscriber<? super List<ByteBuffer>> r;
    synchronized (this) {
      subscription = s;
      r = reader;
    }
    if (r != null) {
      subscribed(r, s);
    }
  }

  private void subscribed(Flow.Subscriber<? super List<ByteBuffer>> r, Flow.Subscription s) {
    r.onSubscribe(s);
    Throwable e;
    boolean done;
    synchronized (this) {
      ready = true;
      e = error;
      done = complete;
    }
    if (e != null) {
      r.onError(e);
    } else if (done) {
      r.onComplete();
    }
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    // Items come only on the reader's demand, so the reader is there.
    reader.onNext(item);
  }

  @Override
  public void onError(Throwable throwable) {
    synchronized (this) {
      if (!ready) {
        error = throwable;
        return;
      }
    }
    reader.onError(throwable);
  }

  @Override
  public void onComplete() {
    synchronized (this) {
      if (!ready) {
        complete = true;
        return;
      }
    }
    reader.onComplete();
  }

  /** Reads up to a bound and drops the bytes; cancels (gives the connection up) beyond it. */
  private static final class Drain implements Flow.Subscriber<List<ByteBuffer>> {
    private final OptionalLong length;
    private final long max;
    private Flow.Subscription subscription;
    private long read;

    Drain(OptionalLong length, long max) {
      this.length = length;
      this.max = max;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (length.isPresent() && length.getAsLong() <= max) {
        s.request(Long.MAX_VALUE);
      } else {
        // Too long, or no length to know it by (chunked, endless): reading it would cost more
        // than a new connection.
        s.cancel();
      }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      for (ByteBuffer b : item) {
        read += b.remaining();
      }
      if (read > max) {
        subscription.cancel();
      }
    }

    @Override
    public void onError(Throwable throwable) {
      // The body is being dropped: its failure matters to nobody.
    }

    @Override
    public void onComplete() {
      // Drained: the connection goes back to the pool.
    }
  }
}
