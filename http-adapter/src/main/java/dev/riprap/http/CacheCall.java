package dev.riprap.http;

import dev.riprap.event.CacheEvent;
import dev.riprap.internal.Check;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One request's use of the cache ({@link HttpCache}), the one place that decides what a request
 * gets from it (RFC 9111 section 4): before the pipeline, a fresh stored response (no permit, no
 * breaker record, no retry budget), a stale one while one background request refreshes it, a wait
 * for the same URI's request already upstream, or a request upstream, conditional when the stored
 * response has validators; after it, a 304 turned into the stored response, invalidation after an
 * unsafe method, and a stale copy instead of a failure.
 */
final class CacheCall<T> {
  /** Request headers that make the cache step aside: the caller wants a part or a precondition. */
  private static final List<String> BYPASS =
      List.of("Range", "If-Range", "If-Match", "If-Unmodified-Since");
  /** The methods RFC 9110 calls safe (section 9.2.1): their answers invalidate nothing. */
  private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

  private final Exchange<T> x;
  private final HttpCache cache;
  private final HttpRequest request;
  private final CacheControl requestCc;
  /** Whether the request ignores stored responses and keeps none (Range, preconditions). */
  private final boolean bypass;
  /** {@code Pragma: no-cache} without {@code Cache-Control} (RFC 9111 section 5.4), or no-cache. */
  private final boolean noCacheRequest;
  /** The time source's nanoTime when this request started, for the response's age. */
  final long requestNanos;
  /** The request upstream others wait for, when this is it; else null. */
  private volatile HttpCache.Lead lead;
  /** The stored response being validated by a conditional request, else null. */
  private volatile HttpCache.Entry validating;
  /** The headers of the 304 that validated it, once it came. */
  private volatile HttpHeaders notModified;
  /** The request as sent upstream: the caller's, with validators when validating. */
  private volatile HttpRequest outgoing;
  /**
   * Whether this call looks nothing up: a background refresh (stale-while-revalidate), or the
   * unconditional request sent again after a 304 that selected no stored response.
   */
  private boolean refresh;
  /** Whether the 304 to this cache's validation named another validator: nothing is updated. */
  private volatile boolean mismatched;
  /** The request upstream this one waits for, else null. */
  private volatile HttpCache.Lead waiting;

  CacheCall(Exchange<T> x, HttpCache cache) {
    this.x = x;
    this.cache = cache;
    this.request = x.request;
    this.outgoing = x.request;
    this.requestCc = CacheControl.of(request.headers());
    boolean bypass = false;
    for (String h : BYPASS) {
      bypass |= request.headers().firstValue(h).isPresent();
    }
    this.bypass = bypass;
    this.noCacheRequest = requestCc.has("no-cache")
        || (request.headers().allValues("Cache-Control").isEmpty()
            && request.headers().allValues("Pragma").stream()
                .anyMatch(p -> p.toLowerCase(java.util.Locale.ROOT).contains("no-cache")));
    this.requestNanos = cache.time.nanoTime();
  }

  /** The request to send upstream. */
  HttpRequest outgoing() {
    return outgoing;
  }

  /** Makes this the background refresh of {@code stale}, upstream for its URI as {@code lead}. */
  void refresh(HttpCache.Entry stale, HttpCache.Lead lead) {
    this.refresh = true;
    this.lead = lead;
    validate(stale);
  }

  // ---------------------------------------------------------------- before the pipeline

  /**
   * What the cache answers before the pipeline: a response served from the store, or null when
   * the request goes upstream; then {@link #waitFor()} may name a request to wait for first.
   *
   * @param mayWait false after a wait: no second one
   */
  CompletableFuture<HttpResponse<T>> lookup(boolean mayWait) {
    String method = request.method();
    if (refresh || !cache.serves || bypass || !(method.equals("GET") || method.equals("HEAD"))) {
      return null;
    }
    HttpCache.Entry e = cache.find(request);
    CompletableFuture<HttpResponse<T>> served = e == null ? null : reuse(e, !mayWait);
    if (served != null) {
      return served;
    }
    if (e == null && requestCc.has("only-if-cached")) {
      return gatewayTimeout();
    }
    if (method.equals("GET") && mayWait && !noCacheRequest) {
      HttpCache.Lead mine = cache.lead(HttpCache.key(request.uri()));
      if (mine == null) {
        waiting = cache.leader(HttpCache.key(request.uri()));
        if (waiting != null) {
          waiting.waiters.incrementAndGet();
          return null; // the caller waits for it, then looks again
        }
      } else {
        lead = mine;
        // Between the look and the lead, the one before may have stored what we need.
        HttpCache.Entry again = cache.find(request);
        served = again == null || again == e ? null : reuse(again, false);
        if (served != null) {
          mine.release();
          lead = null;
          return served;
        }
      }
    }
    if (validating == null) {
      event(CacheEvent.Outcome.MISS); // a validation's outcome is told when its answer comes
    }
    return null;
  }

  /** The request upstream to wait for before looking again, else null. */
  HttpCache.Lead waitFor() {
    return waiting;
  }

  /** How long a waiter waits: its own request timeout or its policy's total timeout. */
  long waitNanos() {
    long own = request.timeout().map(Check::saturatedNanos).orElse(Long.MAX_VALUE);
    return Math.min(own, Check.saturatedNanos(x.settings.totalTimeout()));
  }

  /** What a waiter that waited too long throws. */
  HttpCallTimeoutException waitedTooLong() {
    Optional<Duration> own = request.timeout();
    boolean byRequest = own.isPresent() && own.get().compareTo(x.settings.totalTimeout()) < 0;
    return new HttpCallTimeoutException(x.toString(), x.authority, x.settings.name(),
        byRequest ? HttpCallTimeoutException.Timeout.REQUEST
            : HttpCallTimeoutException.Timeout.TOTAL,
        byRequest ? own.get() : x.settings.totalTimeout(), null);
  }

  /**
   * A stored response for this request, if one may be used now: fresh (and the request's
   * directives accept its age), stale within the request's {@code max-stale}, or stale within its
   * {@code stale-while-revalidate} (a background refresh starts); else null, having set up the
   * validation when the entry has validators.
   */
  private CompletableFuture<HttpResponse<T>> reuse(HttpCache.Entry e, boolean coalesced) {
    long age = cache.ageSeconds(e);
    long lifetime = e.lifetimeSeconds();
    boolean fresh = age < lifetime;
    boolean validateFirst = noCacheRequest || e.cc().hasUnqualified("no-cache");
    OptionalLong maxAge = requestCc.seconds("max-age");
    OptionalLong minFresh = requestCc.seconds("min-fresh");
    boolean acceptable = !validateFirst
        && (maxAge.isEmpty() || age <= maxAge.getAsLong())
        && (minFresh.isEmpty() || HttpCache.saturatedAdd(age, minFresh.getAsLong()) <= lifetime);
    if (acceptable && fresh) {
      event(coalesced ? CacheEvent.Outcome.COALESCED : CacheEvent.Outcome.HIT);
      return serve(e, false);
    }
    long staleness = fresh ? 0 : age - lifetime;
    boolean mayBeStale = !fresh && !validateFirst && !cache.neverStale(e)
        && (maxAge.isEmpty() || age <= maxAge.getAsLong());
    if (mayBeStale && requestCc.has("max-stale")) {
      OptionalLong maxStale = requestCc.seconds("max-stale");
      if (requestCc.argument("max-stale").isEmpty() || maxStale.isPresent()
          && staleness <= maxStale.getAsLong()) {
        event(CacheEvent.Outcome.HIT);
        return serve(e, true);
      }
    }
    if (requestCc.has("only-if-cached")) {
      return gatewayTimeout();
    }
    OptionalLong swr = e.cc().seconds("stale-while-revalidate");
    if (mayBeStale && swr.isPresent() && staleness <= swr.getAsLong()) {
      startRefresh(e);
      event(CacheEvent.Outcome.STALE_WHILE_REVALIDATE);
      return serve(e, true);
    }
    if (request.method().equals("GET")) {
      validate(e);
    }
    return null;
  }

  /** Sends the request with the entry's validators, unless the caller sent its own. */
  private void validate(HttpCache.Entry e) {
    HttpHeaders h = request.headers();
    if (h.firstValue("If-None-Match").isPresent() || h.firstValue("If-Modified-Since").isPresent()) {
      return; // the caller's own conditional request: its 304 is the caller's
    }
    Optional<String> etag = e.headers().firstValue("ETag");
    Optional<String> lastModified = e.headers().firstValue("Last-Modified");
    if (etag.isEmpty() && lastModified.isEmpty()) {
      return;
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(request, (n, v) -> true);
    etag.ifPresent(t -> b.header("If-None-Match", t));
    lastModified.ifPresent(t -> b.header("If-Modified-Since", t));
    validating = e;
    outgoing = b.build();
  }

  /** Starts the one background refresh of {@code stale}, unless one is upstream already. */
  private void startRefresh(HttpCache.Entry stale) {
    HttpCache.Lead l = cache.lead(HttpCache.key(request.uri()));
    if (l == null) {
      return;
    }
    try {
      Exchange<Void> r = Dispatch.exchange(x.engine, request,
          HttpResponse.BodyHandlers.discarding(), p -> x.settings);
      r.cacheCall.refresh(stale, l);
      Dispatch.sendAsync(r).whenComplete((v, t) -> l.release());
    } catch (RuntimeException | Error t) {
      l.release(); // the caller has its stale copy; the next request tries again
    }
  }

  // ---------------------------------------------------------------- during and after

  /**
   * The subscriber for an answer's body: a 304 to this cache's own conditional request is read
   * as nothing (the stored body is served); else the caller's, copying into the store if the
   * response may be kept.
   */
  @SuppressWarnings("unchecked")
  HttpResponse.BodySubscriber<T> subscriber(HttpResponse.ResponseInfo info) {
    if (validating != null && info.statusCode() == 304) {
      if (selects(info.headers(), validating.headers())) {
        notModified = info.headers();
      } else {
        mismatched = true;
      }
      return (HttpResponse.BodySubscriber<T>) HttpResponse.BodySubscribers.replacing(null);
    }
    HttpResponse.BodySubscriber<T> s = x.handler.apply(info);
    if (bypass || !request.method().equals("GET") || requestCc.has("no-store")) {
      return s;
    }
    return cache.tee(request, info, s, requestNanos, lead);
  }

  /**
   * The response the caller gets for the pipeline's final answer, when the cache changes it (a
   * 304 to the cache's validation becomes the refreshed stored response); else null. An unsafe
   * method's non-error answer invalidates what is stored for its URI, {@code Location} and
   * {@code Content-Location} (same origin only, RFC 9111 section 4.4).
   */
  CompletableFuture<HttpResponse<T>> answered(HttpResponse<?> response) {
    int status = response.statusCode();
    if (!SAFE.contains(request.method()) && status >= 200 && status < 400) {
      invalidate(request.uri());
      for (String field : List.of("Location", "Content-Location")) {
        response.headers().firstValue(field).ifPresent(v -> invalidateRelative(v));
      }
    }
    if (request.method().equals("HEAD") && status == 200 && cache.serves && !bypass) {
      freshenFromHead(response.headers());
    }
    HttpCache.Entry e = validating;
    if (e == null) {
      return null;
    }
    HttpHeaders h = notModified;
    if (mismatched) {
      event(CacheEvent.Outcome.CHANGED);
      return sendUnconditionally();
    }
    if (h == null) {
      event(CacheEvent.Outcome.CHANGED);
      return null;
    }
    HttpCache.Entry fresh = cache.refreshed(e, h, requestNanos);
    cache.replace(request.uri(), e, fresh);
    end();
    event(CacheEvent.Outcome.REVALIDATED);
    return serve(fresh, false);
  }

  /**
   * Whether a 304 selects the stored response it answers (RFC 9111 section 4.3.4): a strong
   * {@code ETag} when the stored one is the same strong tag; a weak one when the stored tag is
   * the same by weak comparison; else a {@code Last-Modified} when the stored one is the same
   * date. A 304 with no validator at all is taken as the answer to the validators sent (the
   * only stored response they came from).
   */
  private boolean selects(HttpHeaders notModified, HttpHeaders stored) {
    Optional<String> tag = notModified.firstValue("ETag").map(String::trim);
    if (tag.isPresent()) {
      Optional<String> mine = stored.firstValue("ETag").map(String::trim);
      if (mine.isEmpty()) {
        return false;
      }
      if (!tag.get().startsWith("W/")) {
        return !mine.get().startsWith("W/") && mine.get().equals(tag.get());
      }
      return opaque(mine.get()).equals(opaque(tag.get()));
    }
    Optional<String> modified = notModified.firstValue("Last-Modified").map(String::trim);
    if (modified.isPresent()) {
      Optional<String> mine = stored.firstValue("Last-Modified").map(String::trim);
      if (mine.isEmpty()) {
        return false;
      }
      Instant now = cache.time.instant();
      Optional<Instant> a = HttpDate.parse(modified.get(), now);
      Optional<Instant> b = HttpDate.parse(mine.get(), now);
      return a.isPresent() && b.isPresent() ? a.get().equals(b.get())
          : modified.get().equals(mine.get());
    }
    return true;
  }

  /**
   * The caller's request sent again without the cache's validators, as one more run of the
   * pipeline, after a 304 that selected no stored response (RFC 9111 section 4.3.4): its answer
   * is delivered, and stored if it may be; it looks nothing up and validates nothing.
   */
  private CompletableFuture<HttpResponse<T>> sendUnconditionally() {
    try {
      Exchange<T> again = Dispatch.exchange(x.engine, request, x.handler, p -> x.settings);
      again.cacheCall.refresh = true;
      return Dispatch.sendAsync(again);
    } catch (RuntimeException | Error e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * A HEAD's 200 freshens the stored GET it describes (RFC 9111 section 4.3.5): when the
   * validators and length both carry agree, its header fields replace the stored ones.
   */
  private void freshenFromHead(HttpHeaders head) {
    HttpCache.Entry stored = cache.find(request);
    if (stored == null) {
      return;
    }
    for (String field : List.of("ETag", "Last-Modified", "Content-Length")) {
      Optional<String> now = head.firstValue(field);
      Optional<String> then = stored.headers().firstValue(field);
      if (now.isPresent() && then.isPresent() && !now.get().trim().equals(then.get().trim())) {
        return; // it describes another representation
      }
    }
    cache.replace(request.uri(), stored, cache.refreshed(stored, head, requestNanos));
  }

  private void invalidate(URI uri) {
    cache.invalidate(HttpCache.key(uri));
  }

  private void invalidateRelative(String value) {
    try {
      URI target = request.uri().resolve(value.trim());
      URI origin = request.uri();
      if (java.util.Objects.equals(target.getScheme(), origin.getScheme())
          && java.util.Objects.equals(target.getHost(), origin.getHost())
          && target.getPort() == origin.getPort()) {
        invalidate(target);
      }
    } catch (IllegalArgumentException malformed) {
      // A Location that is no URI names nothing stored.
    }
  }

  /**
   * A stored response to serve instead of {@code cause} (a failure, or a transient failure's
   * status), or null: one whose response allows it ({@code stale-if-error} in the response or the
   * request, RFC 5861), or kept within {@link StaleIfError#maxAge()} when those settings are on;
   * never one that must not be served stale. It carries {@code Riprap-Stale: true} and its
   * {@code Age}.
   */
  CompletableFuture<HttpResponse<T>> staleOnError() {
    if (!request.method().equals("GET") && !request.method().equals("HEAD") || bypass) {
      return null;
    }
    HttpCache.Entry e = cache.find(request);
    if (e == null || e.status() < 200 || e.status() > 299) {
      return null;
    }
    long age = cache.ageSeconds(e);
    long staleness = Math.max(0, age - e.lifetimeSeconds());
    boolean fresh = age < e.lifetimeSeconds();
    long held = cache.heldNanos(e);
    boolean bySettings = cache.staleOnErrorNanos >= 0 && held <= cache.staleOnErrorNanos;
    if (!cache.serves && !bySettings) {
      return null; // the stale-if-error store alone: maxAge bounds every copy
    }
    if (!fresh && cache.neverStale(e)) {
      return null;
    }
    OptionalLong byResponse = e.cc().seconds("stale-if-error");
    OptionalLong byRequest = requestCc.seconds("stale-if-error");
    boolean allowed = fresh || bySettings
        || byResponse.isPresent() && staleness <= byResponse.getAsLong()
        || byRequest.isPresent() && staleness <= byRequest.getAsLong();
    if (!allowed) {
      return null;
    }
    event(CacheEvent.Outcome.STALE_IF_ERROR);
    return serve(e, true);
  }

  /** Lets the requests waiting for this one look again; idempotent. */
  void end() {
    HttpCache.Lead l = lead;
    if (l != null) {
      l.release();
    }
  }

  // ---------------------------------------------------------------- responses

  /**
   * {@code e} through the caller's handler, with its {@code Age} (and {@code Riprap-Stale: true}
   * when stale); a 304 when the caller's own {@code If-None-Match} or {@code If-Modified-Since}
   * matches it; no body for HEAD.
   */
  private CompletableFuture<HttpResponse<T>> serve(HttpCache.Entry e, boolean stale) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    e.headers().map().forEach((k, v) -> {
      if (!k.equalsIgnoreCase("Age") && !k.equalsIgnoreCase(HttpCache.STALE_HEADER)) {
        headers.put(k, v);
      }
    });
    if (stale) {
      headers.put(HttpCache.STALE_HEADER, List.of("true"));
    }
    headers.put("Age", List.of(Long.toString(cache.ageSeconds(e))));
    boolean notModified = matchesCallersCondition(e);
    HttpHeaders h = HttpHeaders.of(headers, (k, v) -> !notModified
        || !k.equalsIgnoreCase("Content-Length"));
    byte[] body = notModified || request.method().equals("HEAD") ? new byte[0] : e.body();
    return Responses.feed(request,
        new Responses.Info(notModified ? 304 : e.status(), h, e.version()), body, x.handler);
  }

  /** Whether the caller's own conditional headers say it has this response (RFC 9110 §13.1). */
  private boolean matchesCallersCondition(HttpCache.Entry e) {
    List<String> noneMatch = request.headers().allValues("If-None-Match");
    if (!noneMatch.isEmpty()) {
      Optional<String> etag = e.headers().firstValue("ETag").map(CacheCall::opaque);
      for (String line : noneMatch) {
        for (String tag : line.split(",")) {
          String t = tag.trim();
          if (t.equals("*") || etag.isPresent() && etag.get().equals(opaque(t))) {
            return true;
          }
        }
      }
      return false;
    }
    Optional<String> since = request.headers().firstValue("If-Modified-Since");
    if (since.isEmpty()) {
      return false;
    }
    Instant now = cache.time.instant();
    Optional<Instant> ims = HttpDate.parse(since.get().trim(), now);
    Optional<Instant> lm = e.headers().firstValue("Last-Modified")
        .or(() -> e.headers().firstValue("Date"))
        .flatMap(v -> HttpDate.parse(v.trim(), now));
    return ims.isPresent() && lm.isPresent() && !lm.get().isAfter(ims.get());
  }

  /** An entity tag without its weakness mark, for the weak comparison of If-None-Match. */
  private static String opaque(String tag) {
    String t = tag.trim();
    return t.startsWith("W/") ? t.substring(2) : t;
  }

  /** RFC 9111 section 5.2.1.7: only-if-cached and nothing usable stored. */
  private CompletableFuture<HttpResponse<T>> gatewayTimeout() {
    HttpHeaders none = HttpHeaders.of(Map.of(), (k, v) -> true);
    return Responses.feed(request, new Responses.Info(504, none, x.request.version()
        .orElse(java.net.http.HttpClient.Version.HTTP_1_1)), new byte[0], x.handler);
  }

  private void event(CacheEvent.Outcome outcome) {
    cache.count(outcome);
    if (x.policy.events().hasListeners()) {
      x.policy.events().publish(new CacheEvent(
          x.policy.name(), x.policy.tags(), cache.time.instant(), outcome));
    }
  }
}
