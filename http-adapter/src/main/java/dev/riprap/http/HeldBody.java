package dev.riprap.http;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * The body of a transient failure's response, kept until the retry decision: then handed whole to
 * the caller's own subscriber ({@link #deliverTo}), or dropped ({@link #drain}). A body that
 * declares a length within the drain bound is read into memory during the attempt ({@link
 * #of}: its connection is free for the retry at once, and the bytes are there for the caller if
 * there is none); a longer one, or one of unknown length, is held unread: its {@link #getBody()}
 * completes at once, as the JDK's {@code ofInputStream} does, and dropping it gives its
 * connection up.
 *
 * <p>Signals from the client (subscription, completion, error) may come before or after the one
 * reader is attached, on the client's thread; the hand-over is guarded by this object's monitor
 * and nobody else's code runs under it.
 */
class HeldBody implements HttpResponse.BodySubscriber<HeldBody> {
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

  /**
   * The body of a transient failure: read into memory now when it declares at most {@code
   * maxBytes}, else held unread.
   */
  static HttpResponse.BodySubscriber<HeldBody> of(HttpResponse.ResponseInfo info, long maxBytes) {
    OptionalLong length = info.headers().firstValueAsLong("Content-Length");
    return length.isPresent() && length.getAsLong() <= maxBytes
        ? new Buffered(info) : new HeldBody(info);
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

  /**
   * A small body read into memory during the attempt: {@link #getBody()} completes once it is all
   * in (a body that breaks off fails the attempt); the caller's subscriber is fed the bytes on its
   * first demand; dropping it costs nothing more.
   */
  private static final class Buffered extends HeldBody {
    private final CompletableFuture<HeldBody> read = new CompletableFuture<>();
    private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();

    Buffered(HttpResponse.ResponseInfo info) {
      super(info);
    }

    @Override
    public CompletionStage<HeldBody> getBody() {
      return read;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      for (ByteBuffer b : item) {
        byte[] chunk = new byte[b.remaining()];
        b.get(chunk);
        bytes.write(chunk, 0, chunk.length);
      }
    }

    @Override
    public void onError(Throwable throwable) {
      read.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      read.complete(this);
    }

    @Override
    void deliverTo(Flow.Subscriber<? super List<ByteBuffer>> subscriber) {
      subscriber.onSubscribe(new Responses.OneShot(subscriber, bytes.toByteArray()));
    }

    @Override
    void drain(long maxBytes) {
      // Read already: the connection went back to the pool when the attempt ended.
    }
  }
}
