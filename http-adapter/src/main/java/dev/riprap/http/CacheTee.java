package dev.riprap.http;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Copies the body into the store as it streams to the caller's subscriber: up to the entry
 * bound, then it gives up storing and only passes the bytes on. A caller's subscriber that
 * throws stops the copy (the client then cancels the body and fails the response with it).
 */
final class CacheTee<T> implements HttpResponse.BodySubscriber<T> {
  private final HttpCache cache;
  private final URI uri;
  private final HttpCache.Entry template;
  private final HttpResponse.BodySubscriber<T> downstream;
  private final HttpCache.Lead lead;
  private ByteArrayOutputStream copy = new ByteArrayOutputStream();

  CacheTee(HttpCache cache, URI uri, HttpCache.Entry template,
      HttpResponse.BodySubscriber<T> downstream, HttpCache.Lead lead) {
    this.cache = cache;
    this.uri = uri;
    this.template = template;
    this.downstream = downstream;
    this.lead = lead;
  }

  @Override
  public CompletionStage<T> getBody() {
    return downstream.getBody();
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    downstream.onSubscribe(subscription);
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    if (copy != null) {
      long room = cache.maxEntryBytes - template.size();
      for (ByteBuffer b : item) {
        if (copy.size() + (long) b.remaining() > room) {
          copy = null; // too big to keep; stream on without copying
          break;
        }
        ByteBuffer d = b.duplicate();
        byte[] bytes = new byte[d.remaining()];
        d.get(bytes);
        copy.write(bytes, 0, bytes.length);
      }
    }
    try {
      downstream.onNext(item);
    } catch (RuntimeException | Error e) {
      copy = null;
      throw e;
    }
  }

  @Override
  public void onError(Throwable throwable) {
    copy = null;
    try {
      downstream.onError(throwable);
    } finally {
      release();
    }
  }

  @Override
  public void onComplete() {
    try {
      if (copy != null) {
        byte[] body = copy.toByteArray();
        copy = null;
        cache.put(uri, template.withBody(body));
      }
    } finally {
      release();
    }
    downstream.onComplete();
  }

  private void release() {
    if (lead != null) {
      lead.release();
    }
  }
}
