package dev.riprap.http;

import dev.riprap.TimeSource;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * The stale-if-error store: the last good GET response per URI, kept only when a shared cache may
 * keep it (RFC 9111 sections 3 and 3.5), served only to a request its {@code Vary} matches
 * (section 4.1) and only as stale as its directives allow (section 4.2.4); bounded by entries, bytes
 * and age. {@link StaleIfError} states the rules for users; the ladders below are their one copy.
 */
final class StaleCache {
  static final String STALE_HEADER = "Riprap-Stale";

  private final StaleIfError settings;
  private final TimeSource time;
  /** The client that sends the requests: its cookie handler and authenticator add credentials. */
  private final HttpClient delegate;
  private final LinkedHashMap<URI, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long totalBytes;

  /**
   * One kept response.
   *
   * @param headers the header fields kept (a qualified {@code private} or {@code no-cache} drops
   *     the fields it names)
   * @param varying for each field the response's {@code Vary} names (lower-case), the request's
   *     value then, normalized; {@code null} when the request did not send it
   * @param initialAgeSeconds the {@code Age} the response arrived with
   * @param lifetimeSeconds how long it stays fresh after its age 0
   * @param stalePermitted whether it may be served once no longer fresh
   * @param size its body and header fields, in bytes (characters)
   */
  record Entry(int status, HttpHeaders headers, HttpClient.Version version, byte[] body,
      long storedAt, Map<String, String> varying, long initialAgeSeconds, long lifetimeSeconds,
      boolean stalePermitted, long size) {}

  StaleCache(StaleIfError settings, TimeSource time, HttpClient delegate) {
    this.settings = settings;
    this.time = time;
    this.delegate = delegate;
  }

  /** Whether the store takes part in this request at all: GET only. */
  static boolean cacheable(HttpRequest request) {
    return request.method().equals("GET");
  }

  /**
   * Wraps the caller's subscriber so the body is copied into the store as it streams by, when the
   * response may be kept; else returns {@code downstream} itself.
   */
  <T> HttpResponse.BodySubscriber<T> tee(
      HttpRequest request, HttpResponse.ResponseInfo info, HttpResponse.BodySubscriber<T> downstream) {
    CacheControl cc = CacheControl.of(info.headers());
    if (!mayStore(request, info, cc)) {
      return downstream;
    }
    HttpHeaders kept = keptHeaders(info.headers(), cc);
    long headerBytes = size(kept);
    long declared = info.headers().firstValueAsLong("Content-Length").orElse(0);
    if (headerBytes + declared > settings.maxEntryBytes()) {
      return downstream; // too large to keep: streamed to the caller untouched
    }
    Instant receivedAt = time.instant();
    // An Age that is no count of seconds is ignored.
    long initialAge =
        CacheControl.deltaSeconds(info.headers().firstValue("Age").orElse("").trim()).orElse(0);
    Entry template = new Entry(info.statusCode(), kept, info.version(), null, 0,
        varying(request, info.headers()), initialAge, lifetime(info.headers(), cc, receivedAt),
        stalePermitted(cc), headerBytes);
    return new Tee<>(this, request.uri(), template, downstream);
  }

  /**
   * Whether a shared cache may keep this response to this GET, one guard per rule, each with its
   * reason.
   */
  private boolean mayStore(HttpRequest request, HttpResponse.ResponseInfo info, CacheControl cc) {
    int status = info.statusCode();
    // Only a whole, good answer is worth serving in place of a failure; 206 is a part of one.
    if (status < 200 || status > 299 || status == 206) {
      return false;
    }
    // no-store in the request or the response: nothing of the exchange may be kept (9111 §3).
    if (CacheControl.of(request.headers()).has("no-store")) {
      return false;
    }
    if (cc.has("no-store")) {
      return false;
    }
    // private: meant for the one caller; a shared cache keeps it only when it names fields.
    if (cc.hasUnqualified("private")) {
      return false;
    }
    // no-cache: never reusable without the origin's word, and the origin has failed (9111 §4.2.4).
    if (cc.hasUnqualified("no-cache")) {
      return false;
    }
    // Vary: * matches no later request (9111 §4.1): a copy could never be served.
    if (varyNames(info.headers()).contains("*")) {
      return false;
    }
    // A cookie being set is one caller's: handing it to another would share a session.
    if (info.headers().firstValue("Set-Cookie").isPresent()) {
      return false;
    }
    // An answer to a caller's credentials is theirs unless the response says it may be shared
    // (9111 §3.5: public, s-maxage or must-revalidate).
    if (carriesCredentials(request)
        && !(cc.has("public") || cc.has("s-maxage") || cc.has("must-revalidate"))) {
      return false;
    }
    return true;
  }

  /**
   * The kept copy for {@code request}, with the stale marks added, or {@code null}: none kept, kept
   * longer than {@link StaleIfError#maxAge()}, chosen by other values of the headers its {@code
   * Vary} names, or no longer fresh while its directives forbid serving it stale.
   */
  synchronized Entry get(HttpRequest request) {
    URI uri = request.uri();
    Entry e = entries.get(uri);
    if (e == null) {
      return null;
    }
    long held = time.nanoTime() - e.storedAt;
    if (held > settings.maxAge().toNanos()) {
      entries.remove(uri);
      totalBytes -= e.size;
      return null;
    }
    if (!e.varying.equals(varyingValues(request, e.varying.keySet()))) {
      return null;
    }
    long age = saturatedAdd(e.initialAgeSeconds, held / 1_000_000_000L);
    if (!e.stalePermitted && age >= e.lifetimeSeconds) {
      return null;
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    e.headers.map().forEach((k, v) -> {
      if (!k.equalsIgnoreCase("Age") && !k.equalsIgnoreCase(STALE_HEADER)) {
        headers.put(k, v);
      }
    });
    headers.put(STALE_HEADER, List.of("true"));
    headers.put("Age", List.of(Long.toString(age)));
    return new Entry(e.status, HttpHeaders.of(headers, (k, v) -> true), e.version, e.body,
        e.storedAt, e.varying, e.initialAgeSeconds, e.lifetimeSeconds, e.stalePermitted, e.size);
  }

  synchronized void put(URI uri, Entry entry) {
    Entry old = entries.remove(uri);
    if (old != null) {
      totalBytes -= old.size;
    }
    entries.put(uri, entry);
    totalBytes += entry.size;
    Iterator<Entry> it = entries.values().iterator();
    while ((entries.size() > settings.maxEntries() || totalBytes > settings.maxTotalBytes())
        && it.hasNext()) {
      Entry e = it.next();
      it.remove();
      totalBytes -= e.size;
    }
  }

  synchronized int size() {
    return entries.size();
  }

  synchronized long totalBytes() {
    return totalBytes;
  }

  // ---------------------------------------------------------------- the rules' parts

  /**
   * Whether the request goes out with a caller's credentials: a header named in the settings, or
   * one the delegate adds on its own. Its {@code Authenticator} answers a 401 with {@code
   * Authorization} on a request this client never sees, so with one every request counts; its
   * {@code CookieHandler} adds {@code Cookie} when it holds cookies for the URI (and counts as
   * adding them if it fails to say).
   */
  private boolean carriesCredentials(HttpRequest request) {
    if (settings.carriesCredentials(request.headers()) || delegate.authenticator().isPresent()) {
      return true;
    }
    java.net.CookieHandler cookies = delegate.cookieHandler().orElse(null);
    if (cookies == null) {
      return false;
    }
    try {
      for (List<String> values : cookies.get(request.uri(), request.headers().map()).values()) {
        if (!values.isEmpty()) {
          return true;
        }
      }
      return false;
    } catch (java.io.IOException | RuntimeException e) {
      return true;
    }
  }

  /** A copy that is no longer fresh may still be served unless the response forbids it. */
  private static boolean stalePermitted(CacheControl cc) {
    // RFC 9111 §4.2.4: must-revalidate, proxy-revalidate and (for a shared cache) s-maxage each
    // forbid serving a stale copy; no-cache is never stored.
    return !(cc.has("must-revalidate") || cc.has("proxy-revalidate") || cc.has("s-maxage"));
  }

  /**
   * The freshness lifetime in seconds (RFC 9111 §4.2.1, for a shared cache): s-maxage, else
   * max-age, else Expires minus Date (the time received when Date is absent); 0 when none says,
   * as no heuristic applies to a copy served in place of a failure.
   */
  private static long lifetime(HttpHeaders headers, CacheControl cc, Instant receivedAt) {
    if (cc.seconds("s-maxage").isPresent()) {
      return cc.seconds("s-maxage").getAsLong();
    }
    if (cc.seconds("max-age").isPresent()) {
      return cc.seconds("max-age").getAsLong();
    }
    Optional<String> expires = headers.firstValue("Expires");
    if (expires.isEmpty()) {
      return 0;
    }
    // An Expires that is no date ("0" included) means already expired (9111 §5.3).
    Optional<Instant> at = HttpDate.parse(expires.get().trim(), receivedAt);
    Instant date = headers.firstValue("Date")
        .flatMap(d -> HttpDate.parse(d.trim(), receivedAt)).orElse(receivedAt);
    return at.map(a -> Math.max(0, Duration.between(date, a).getSeconds())).orElse(0L);
  }

  /** The headers a copy keeps: all but those a qualified private or no-cache names. */
  private static HttpHeaders keptHeaders(HttpHeaders headers, CacheControl cc) {
    Set<String> dropped = new java.util.HashSet<>(cc.fieldNames("private"));
    dropped.addAll(cc.fieldNames("no-cache"));
    if (dropped.isEmpty()) {
      return headers;
    }
    return HttpHeaders.of(headers.map(), (k, v) -> !dropped.contains(k.toLowerCase(Locale.ROOT)));
  }

  private static Set<String> varyNames(HttpHeaders response) {
    Set<String> names = new java.util.TreeSet<>();
    for (String line : response.allValues("Vary")) {
      for (String part : line.split(",")) {
        String n = part.trim();
        if (!n.isEmpty()) {
          names.add(n.toLowerCase(Locale.ROOT));
        }
      }
    }
    return names;
  }

  private static Map<String, String> varying(HttpRequest request, HttpHeaders response) {
    return varyingValues(request, varyNames(response));
  }

  /**
   * The request's value of each of {@code names}, normalized as RFC 9111 §4.1 allows: all its
   * field lines joined by commas, whitespace around each element removed. {@code null} for a
   * header the request does not send, so "absent" matches only "absent".
   */
  private static Map<String, String> varyingValues(HttpRequest request, Set<String> names) {
    Map<String, String> values = new TreeMap<>();
    for (String name : names) {
      List<String> lines = request.headers().allValues(name);
      if (lines.isEmpty()) {
        values.put(name, null);
        continue;
      }
      StringBuilder v = new StringBuilder();
      for (String line : lines) {
        for (String element : line.split(",")) {
          v.append(v.length() == 0 ? "" : ",").append(element.trim());
        }
      }
      values.put(name, v.toString());
    }
    return values;
  }

  private static long size(HttpHeaders headers) {
    long n = 0;
    for (Map.Entry<String, List<String>> e : headers.map().entrySet()) {
      for (String v : e.getValue()) {
        n += e.getKey().length() + v.length();
      }
    }
    return n;
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }

  private static final class Tee<T> implements HttpResponse.BodySubscriber<T> {
    private final StaleCache cache;
    private final URI uri;
    private final Entry template;
    private final HttpResponse.BodySubscriber<T> downstream;
    private ByteArrayOutputStream copy = new ByteArrayOutputStream();

    Tee(StaleCache cache, URI uri, Entry template, HttpResponse.BodySubscriber<T> downstream) {
      this.cache = cache;
      this.uri = uri;
      this.template = template;
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
        long room = cache.settings.maxEntryBytes() - template.size;
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
        Entry t = template;
        byte[] body = copy.toByteArray();
        cache.put(uri, new Entry(t.status, t.headers, t.version, body, cache.time.nanoTime(),
            t.varying, t.initialAgeSeconds, t.lifetimeSeconds, t.stalePermitted,
            t.size + body.length));
        copy = null;
      }
      downstream.onComplete();
    }
  }
}
