package dev.riprap.http;

import dev.riprap.TimeSource;
import dev.riprap.event.CacheEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The client's one response store (RFC 9111): what a cache may keep ({@link #mayStore}, one guard
 * per rule), each kept response's freshness lifetime and age (sections 4.2.1 to 4.2.3), the
 * variants of a URI ({@code Vary}, section 4.1), the byte bound (least recently used URIs
 * dropped), invalidation (section 4.4) and the requests in flight that others may wait for
 * (coalescing). Which stored response a request gets, and when, is {@link CacheCall}'s.
 *
 * <p>Two modes: a full cache ({@link ClientSettings#cache(CacheSettings)}), and the store of the
 * stale-if-error settings alone ({@link ClientSettings#staleIfError(StaleIfError)}), which keeps
 * copies but serves them only when the upstream fails. Thread-safe: the store is guarded by this
 * object's monitor, under which no user code runs.
 */
final class HttpCache {
  static final String STALE_HEADER = "Riprap-Stale";

  /** Statuses RFC 9110 defines: a cache stores no status it does not understand (9111 §3). */
  private static final Set<Integer> UNDERSTOOD = Set.of(200, 201, 202, 203, 204, 205, 300, 301,
      302, 303, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413,
      414, 415, 416, 417, 421, 422, 426, 500, 501, 502, 503, 504, 505);
  /** Heuristically cacheable statuses (RFC 9110 section 15.1). */
  private static final Set<Integer> HEURISTIC = Set.of(200, 203, 204, 300, 301, 308, 404, 405,
      410, 414, 501);

  /**
   * The largest entry one byte array holds ({@code Integer.MAX_VALUE - 8}, the largest array a
   * JVM reliably allocates, which CacheTee's copy can grow to): a larger entry bound is read as
   * this, so a body over it streams by uncopied instead of failing the call.
   */
  static final long LARGEST_BODY = Integer.MAX_VALUE - 8;

  final boolean serves;
  final long maxBytes;
  final long maxEntryBytes;
  final int maxEntries;
  final boolean heuristic;
  final boolean shared;
  final Set<String> keyHeaders;
  /** The targeted cache-control fields obeyed before Cache-Control (RFC 9213), in order. */
  private final List<String> targetedFields;
  private final Set<String> credentialHeaders;
  /** How long a copy may have been kept to be served on error without a directive; -1 none. */
  final long staleOnErrorNanos;
  final TimeSource time;
  /** The client that sends the requests: its cookie handler and authenticator add credentials. */
  private final HttpClient delegate;
  private final LinkedHashMap<URI, List<Entry>> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long totalBytes;
  private int count;
  /** The requests upstream that others wait for, by URI. */
  private final ConcurrentHashMap<URI, Lead> leads = new ConcurrentHashMap<>();
  private final Map<CacheEvent.Outcome, LongAdder> counts = new EnumMap<>(CacheEvent.Outcome.class);

  /**
   * One kept response.
   *
   * @param headers the header fields kept (a qualified {@code private} or {@code no-cache} drops
   *     the fields it names)
   * @param varying for each field the response's {@code Vary} names and each key header
   *     (lower-case), the request's value then, normalized; {@code null} when not sent
   * @param receivedNanos the time source's {@code nanoTime} when the response arrived
   * @param initialAgeSeconds its corrected initial age (RFC 9111 section 4.2.3)
   * @param lifetimeSeconds how long it stays fresh after its age 0
   * @param cc its parsed {@code Cache-Control}
   * @param size its body and header fields, in bytes (characters)
   */
  record Entry(int status, HttpHeaders headers, HttpClient.Version version, byte[] body,
      Map<String, String> varying, long receivedNanos, long initialAgeSeconds,
      long lifetimeSeconds, CacheControl cc, long size) {
    /** This entry, its headers so far, with {@code body}. */
    Entry withBody(byte[] body) {
      return new Entry(status, headers, version, body, varying, receivedNanos, initialAgeSeconds,
          lifetimeSeconds, cc, size + body.length);
    }
  }

  /** A request upstream for a URI that others wait for; {@link #done} completes when it ends. */
  final class Lead {
    final URI uri;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    /** How many requests chose to wait for this one. */
    final java.util.concurrent.atomic.AtomicInteger waiters =
        new java.util.concurrent.atomic.AtomicInteger();

    Lead(URI uri) {
      this.uri = uri;
    }

    /** Lets the waiters go (they look again); idempotent. */
    void release() {
      leads.remove(uri, this);
      done.complete(null);
    }
  }

  HttpCache(CacheSettings cache, StaleIfError stale, TimeSource time, HttpClient delegate) {
    this.serves = cache != null;
    if (cache != null) {
      this.maxBytes = cache.maxBytes();
      this.maxEntryBytes = Math.min(cache.maxEntryBytes(), LARGEST_BODY);
      this.maxEntries = Integer.MAX_VALUE;
      this.heuristic = cache.heuristicFreshness();
      this.shared = cache.shared();
      this.keyHeaders = cache.keyHeaders();
      this.targetedFields = cache.targetedFields();
      Set<String> credentials = new java.util.TreeSet<>(cache.credentialHeaders());
      if (stale != null) {
        credentials.addAll(stale.credentialHeaders());
      }
      this.credentialHeaders = credentials;
    } else {
      this.maxBytes = stale.maxTotalBytes();
      this.maxEntryBytes = Math.min(stale.maxEntryBytes(), LARGEST_BODY);
      this.maxEntries = stale.maxEntries();
      this.heuristic = false;
      this.shared = true;
      this.keyHeaders = Set.of();
      this.targetedFields = List.of();
      this.credentialHeaders = stale.credentialHeaders();
    }
    this.staleOnErrorNanos = stale == null ? -1 : stale.maxAge().toNanos();
    this.time = time;
    this.delegate = delegate;
    for (CacheEvent.Outcome o : CacheEvent.Outcome.values()) {
      counts.put(o, new LongAdder());
    }
  }

  // ---------------------------------------------------------------- counts

  void count(CacheEvent.Outcome outcome) {
    counts.get(outcome).increment();
  }

  long counted(CacheEvent.Outcome outcome) {
    return counts.get(outcome).sum();
  }

  // ---------------------------------------------------------------- coalescing

  /** Becomes the request upstream for {@code uri}, or returns null when another one is. */
  Lead lead(URI uri) {
    Lead mine = new Lead(uri);
    return leads.putIfAbsent(uri, mine) == null ? mine : null;
  }

  /** The request upstream for {@code uri} that others wait for, or null. */
  Lead leader(URI uri) {
    return leads.get(uri);
  }

  /** How many requests wait for the request upstream for {@code uri} (tests). */
  int waiters(URI uri) {
    Lead l = leads.get(key(uri));
    return l == null ? 0 : l.waiters.get();
  }

  // ---------------------------------------------------------------- the store

  /** The stored response {@code request} selects: same URI, same values of the varying fields. */
  synchronized Entry find(HttpRequest request) {
    List<Entry> variants = entries.get(key(request.uri()));
    if (variants == null) {
      return null;
    }
    for (Entry e : variants) {
      if (e.varying.equals(Variants.values(request, e.varying.keySet()))) {
        return e;
      }
    }
    return null;
  }

  /** Stores {@code entry}, replacing the variant with the same varying values. */
  synchronized void put(URI uri, Entry entry) {
    URI k = key(uri);
    List<Entry> variants = entries.remove(k);
    variants = variants == null ? new ArrayList<>(1) : variants;
    for (Iterator<Entry> it = variants.iterator(); it.hasNext(); ) {
      Entry old = it.next();
      if (old.varying.equals(entry.varying)) {
        it.remove();
        totalBytes -= old.size;
        count--;
      }
    }
    variants.add(entry);
    entries.put(k, variants);
    totalBytes += entry.size;
    count++;
    Iterator<List<Entry>> it = entries.values().iterator();
    while ((count > maxEntries || totalBytes > maxBytes) && it.hasNext()) {
      for (Entry e : it.next()) {
        totalBytes -= e.size;
        count--;
      }
      it.remove();
    }
  }

  /** Replaces {@code old} (if still stored) with {@code fresh}: a 304 refreshed it. */
  synchronized void replace(URI uri, Entry old, Entry fresh) {
    List<Entry> variants = entries.get(key(uri));
    if (variants != null && variants.remove(old)) {
      totalBytes -= old.size;
      count--;
      put(uri, fresh);
    }
  }

  /** Drops every stored response for {@code uri} (RFC 9111 section 4.4). */
  synchronized void invalidate(URI uri) {
    List<Entry> variants = entries.remove(key(uri));
    if (variants != null) {
      for (Entry e : variants) {
        totalBytes -= e.size;
        count--;
      }
    }
  }

  synchronized int size() {
    return count;
  }

  synchronized long totalBytes() {
    return totalBytes;
  }

  /** The URI a response is stored under: without its fragment, which never reaches a server. */
  static URI key(URI uri) {
    if (uri.getRawFragment() == null) {
      return uri;
    }
    String s = uri.toString();
    return URI.create(s.substring(0, s.indexOf('#')));
  }

  // ---------------------------------------------------------------- age and freshness

  /** The current age in seconds (RFC 9111 section 4.2.3): initial age plus time kept. */
  long ageSeconds(Entry e) {
    long held = Math.max(0, time.nanoTime() - e.receivedNanos) / 1_000_000_000L;
    return saturatedAdd(e.initialAgeSeconds, held);
  }

  /** How long the entry has been kept, in nanoseconds. */
  long heldNanos(Entry e) {
    return Math.max(0, time.nanoTime() - e.receivedNanos);
  }

  /**
   * Whether the entry may never be served stale: {@code must-revalidate}, and in a shared cache
   * {@code proxy-revalidate} and {@code s-maxage} (RFC 9111 sections 5.2.2.2, 5.2.2.8, 5.2.2.10);
   * {@code no-cache} needs validation before every use.
   */
  boolean neverStale(Entry e) {
    return e.cc.has("must-revalidate") || e.cc.hasUnqualified("no-cache")
        || (shared && (e.cc.has("proxy-revalidate") || e.cc.has("s-maxage")));
  }

  // ---------------------------------------------------------------- storing

  /**
   * Wraps the caller's subscriber so the body is copied into the store as it streams by, when the
   * response may be kept; else returns {@code downstream} itself.
   *
   * @param requestNanos when the request was sent, for the response's age
   * @param lead the request others wait for, released when the body is stored or given up; or
   *     null
   */
  <T> HttpResponse.BodySubscriber<T> tee(HttpRequest request, HttpResponse.ResponseInfo info,
      HttpResponse.BodySubscriber<T> downstream, long requestNanos, Lead lead) {
    CacheControl cc = directives(info.headers());
    if (!mayStore(request, info, cc)) {
      return downstream;
    }
    HttpHeaders kept = keptHeaders(info.headers(), cc);
    long headerBytes = size(kept);
    long declared = info.headers().firstValueAsLong("Content-Length").orElse(0);
    if (headerBytes + declared > maxEntryBytes) {
      return downstream; // too large to keep: streamed to the caller untouched
    }
    long received = time.nanoTime();
    Instant receivedAt = time.instant();
    Entry template = new Entry(info.statusCode(), kept, info.version(), null,
        Variants.selecting(request, info.headers(), keyHeaders), received,
        Freshness.initialAge(info.headers(), receivedAt, received - requestNanos),
        lifetime(info.statusCode(), info.headers(), cc, receivedAt), cc, headerBytes);
    return new CacheTee<>(this, request.uri(), template, downstream, lead);
  }

  /** The stored copy {@code e} with the header fields of a 304 that validated it (9111 §4.3.4). */
  Entry refreshed(Entry e, HttpHeaders notModified, long requestNanos) {
    Map<String, List<String>> merged = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    merged.putAll(e.headers.map());
    notModified.map().forEach((name, values) -> {
      String n = name.toLowerCase(Locale.ROOT);
      // The 304 describes the stored body; its framing fields are its own (it has no body).
      if (!n.equals("content-length") && !n.equals("transfer-encoding")
          && !n.equals("content-range") && !n.equals("connection") && !n.startsWith(":")) {
        merged.put(name, values);
      }
    });
    HttpHeaders headers = HttpHeaders.of(merged, (k, v) -> true);
    CacheControl cc = directives(headers);
    long received = time.nanoTime();
    Instant receivedAt = time.instant();
    long size = size(headers) + e.body.length;
    return new Entry(e.status, headers, e.version, e.body, e.varying, received,
        Freshness.initialAge(notModified, receivedAt, received - requestNanos),
        lifetime(e.status, headers, cc, receivedAt), cc, size);
  }

  /**
   * Whether this cache may keep this response to this GET, one guard per rule, each with its
   * reason (RFC 9111 section 3).
   */
  boolean mayStore(HttpRequest request, HttpResponse.ResponseInfo info, CacheControl cc) {
    int status = info.statusCode();
    if (!request.method().equals("GET")) {
      return false;
    }
    // A final status; not a part of a response (206, Riprap does not do ranges) or a 304; the
    // store of the stale-if-error settings alone keeps good answers only.
    if (status < 200 || status == 206 || status == 304
        || (!serves && (status < 200 || status > 299))) {
      return false;
    }
    // no-store in the request: nothing of the exchange may be kept (9111 §5.2.1.5).
    if (CacheControl.of(request.headers()).has("no-store")) {
      return false;
    }
    // must-understand: kept only for a status the cache understands, and then no-store yields
    // to it (9111 §5.2.2.3); else no-store in the response forbids keeping it (§5.2.2.5).
    if (cc.has("must-understand") ? !UNDERSTOOD.contains(status) : cc.has("no-store")) {
      return false;
    }
    // private: meant for the one caller; a shared cache keeps it only when it names fields.
    if (shared && cc.hasUnqualified("private")) {
      return false;
    }
    // no-cache: the store of stale-if-error alone serves only without the origin's word.
    if (!serves && cc.hasUnqualified("no-cache")) {
      return false;
    }
    // Vary: * matches no later request (9111 §4.1): a copy could never be served.
    if (Variants.names(info.headers()).contains("*")) {
      return false;
    }
    // A cookie being set is one caller's: handing it to another would share a session.
    if (shared && info.headers().firstValue("Set-Cookie").isPresent()) {
      return false;
    }
    // An answer to a caller's credentials is theirs unless the response says it may be shared
    // (9111 §3.5: public, s-maxage or must-revalidate).
    if (shared && Credentials.carried(request, credentialHeaders, delegate)
        && !(cc.has("public") || cc.has("s-maxage") || cc.has("must-revalidate"))) {
      return false;
    }
    // Something must make it reusable: an explicit lifetime, public, a status with a heuristic
    // lifetime, or (private cache) private (9111 §3). A 200 with an ETag alone is kept, stale at
    // once, for validation.
    boolean explicit = expires(info.headers()).isPresent()
        || cc.has("max-age") || (shared && cc.has("s-maxage"));
    return explicit || cc.has("public") || HEURISTIC.contains(status)
        || (!shared && cc.has("private"));
  }

  private long lifetime(int status, HttpHeaders headers, CacheControl cc, Instant receivedAt) {
    return Freshness.lifetime(headers, cc, expires(headers), receivedAt, shared,
        heuristic && (HEURISTIC.contains(status) || cc.has("public")));
  }

  /** The response's caching directives: a targeted field's (RFC 9213), else Cache-Control's. */
  CacheControl directives(HttpHeaders response) {
    CacheControl targeted = TargetedField.directives(response, targetedFields);
    return targeted != null ? targeted : CacheControl.of(response);
  }

  /** The {@code Expires} that counts: none when a targeted field decides (RFC 9213 §2.1). */
  private Optional<String> expires(HttpHeaders response) {
    return TargetedField.directives(response, targetedFields) != null
        ? Optional.empty() : response.firstValue("Expires");
  }

  /** The headers a copy keeps: all but those a qualified private or no-cache names. */
  private HttpHeaders keptHeaders(HttpHeaders headers, CacheControl cc) {
    Set<String> dropped = new java.util.HashSet<>(shared ? cc.fieldNames("private") : Set.of());
    dropped.addAll(cc.fieldNames("no-cache"));
    if (dropped.isEmpty()) {
      return headers;
    }
    return HttpHeaders.of(headers.map(), (k, v) -> !dropped.contains(k.toLowerCase(Locale.ROOT)));
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

  static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }
}
