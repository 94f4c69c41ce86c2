package dev.riprap.http;

import dev.riprap.TimeSource;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/** The stale-if-error store: last good GET response per URI, bounded by entries, bytes and age. */
final class StaleCache {
  static final String STALE_HEADER = "Riprap-Stale";

  private final StaleIfError settings;
  private final TimeSource time;
  private final LinkedHashMap<URI, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long totalBytes;

  record Entry(int status, HttpHeaders headers, HttpClient.Version version, byte[] body,
      long storedAt) {}

  StaleCache(StaleIfError settings, TimeSource time) {
    this.settings = settings;
    this.time = time;
  }

  /** Whether a response to this request may be kept. */
  static boolean cacheable(HttpRequest request) {
    return request.method().equals("GET") && request.headers().firstValue("Authorization").isEmpty();
  }

  /** Wraps the caller's subscriber so the body is copied into the cache as it streams by. */
  <T> HttpResponse.BodySubscriber<T> tee(
      URI uri, HttpResponse.ResponseInfo info, HttpResponse.BodySubscriber<T> downstream) {
    int status = info.statusCode();
    boolean noStore =
        info.headers().allValues("Cache-Control").stream()
            .anyMatch(v -> v.toLowerCase(java.util.Locale.ROOT).contains("no-store"));
    if (status < 200 || status > 299 || noStore) {
      return downstream;
    }
    return new Tee<>(this, uri, info, downstream);
  }

  synchronized void put(URI uri, Entry entry) {
    Entry old = entries.remove(uri);
    if (old != null) {
      totalBytes -= old.body.length;
    }
    entries.put(uri, entry);
    totalBytes += entry.body.length;
    Iterator<Entry> it = entries.values().iterator();
    while ((entries.size() > settings.maxEntries() || totalBytes > settings.maxTotalBytes())
        && it.hasNext()) {
      Entry e = it.next();
      it.remove();
      totalBytes -= e.body.length;
    }
  }

  /** The kept copy for {@code uri} if it is young enough, with the stale marks added. */
  synchronized Entry get(URI uri) {
    Entry e = entries.get(uri);
    if (e == null) {
      return null;
    }
    long age = time.nanoTime() - e.storedAt;
    if (age > settings.maxAge().toNanos()) {
      entries.remove(uri);
      totalBytes -= e.body.length;
      return null;
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    e.headers.map().forEach((k, v) -> {
      if (!k.equalsIgnoreCase("Age") && !k.equalsIgnoreCase(STALE_HEADER)) {
        headers.put(k, v);
      }
    });
    headers.put(STALE_HEADER, List.of("true"));
    headers.put("Age", List.of(Long.toString(age / 1_000_000_000L)));
    return new Entry(e.status, HttpHeaders.of(headers, (k, v) -> true), e.version, e.body,
        e.storedAt);
  }

  synchronized int size() {
    return entries.size();
  }

  synchronized long totalBytes() {
    return totalBytes;
  }

  private static final class Tee<T> implements HttpResponse.BodySubscriber<T> {
    private final StaleCache cache;
    private final URI uri;
    private final HttpResponse.ResponseInfo info;
    private final HttpResponse.BodySubscriber<T> downstream;
    private ByteArrayOutputStream copy = new ByteArrayOutputStream();

    Tee(StaleCache cache, URI uri, HttpResponse.ResponseInfo info,
        HttpResponse.BodySubscriber<T> downstream) {
      this.cache = cache;
      this.uri = uri;
      this.info = info;
      this.downstream = downstream;
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
        for (ByteBuffer b : item) {
          if (copy.size() + (long) b.remaining() > cache.settings.maxEntryBytes()) {
            copy = null; // too big to keep; stream on without copying
            break;
          }
          ByteBuffer d = b.duplicate();
          byte[] bytes = new byte[d.remaining()];
          d.get(bytes);
          copy.write(bytes, 0, bytes.length);
        }
      }
      downstream.onNext(item);
    }

    @Override
    public void onError(Throwable throwable) {
      copy = null;
      downstream.onError(throwable);
    }

    @Override
    public void onComplete() {
      if (copy != null) {
        cache.put(uri, new Entry(info.statusCode(), info.headers(), info.version(),
            copy.toByteArray(), cache.time.nanoTime()));
        copy = null;
      }
      downstream.onComplete();
    }
  }
}
