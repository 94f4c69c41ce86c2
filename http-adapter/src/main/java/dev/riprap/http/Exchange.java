package dev.riprap.http;

import dev.riprap.AttemptContext;
import dev.riprap.AttemptFunction;
import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.event.FallbackApplied;
import dev.riprap.internal.Check;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * One request's trip through the pipeline: the attempts (sync and async), and the end, where the
 * final response's held body goes to the caller's handler, or a failure becomes what the caller
 * catches (a stale copy or fallback where one applies).
 */
final class Exchange<T> implements AttemptFunction<AttemptResponse, Exception>, HttpOutcomes.Work {
  /** The methods RFC 9110 calls idempotent (section 9.2.2), the one set the client retries. */
  static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  final HttpEngine engine;
  final HttpRequest request;
  final HttpResponse.BodyHandler<T> handler;
  final HttpPolicy settings;
  /** The host the request names: an authority, or a service's name. */
  final String authority;
  /** The service the request names, else null; then each attempt goes to one of its endpoints. */
  final EndpointGroup<URI> service;
  /** This request's attempts on the service's endpoints, else null. */
  private final ServiceCall endpoints;
  final Policy policy;
  /** Whether the request may be sent twice (method, Idempotency-Key or the route's opt-in). */
  final boolean idempotent;
  /** The request's use of the client's cache, else null (no cache). */
  final CacheCall<T> cacheCall;
  /** The body as sent when it may be one-shot, to see whether it was read; else null. */
  private final RequestBody.Tracked tracked;
  /**
   * The request's own timeout in nanoseconds (saturated: a request may carry 300 years), or
   * {@link Long#MAX_VALUE} when it has none; read once, not per attempt.
   */
  private final long ownTimeoutNanos;
  /** How many attempts were sent. */
  private volatile int attempts;
  /** Which bound the last attempt had, and its configured value. */
  private volatile HttpCallTimeoutException.Timeout bound;
  private volatile Duration boundValue;

  /**
   * @param policy the policy the request runs under, given its route's: the route's own for the
   *     client's requests; derived from it for an {@link HttpApi} method whose annotations set the
   *     retries ({@link RoutePolicies})
   */
  Exchange(HttpEngine engine, HttpRequest request, HttpResponse.BodyHandler<T> handler,
      UnaryOperator<HttpPolicy> policy) {
    this.engine = engine;
    this.request = request;
    this.handler = handler;
    this.settings = policy.apply(engine.policyFor(request.method(), request.uri()));
    this.authority = HttpEngine.authority(request.uri());
    this.service = engine.service(request.uri());
    this.policy = engine.hosts.get(settings, authority);
    this.idempotent = isIdempotent(request, settings);
    this.tracked = RequestBody.replayable(request)
        ? null : new RequestBody.Tracked(request.bodyPublisher().orElseThrow());
    Optional<Duration> own = request.timeout();
    this.ownTimeoutNanos = own.isPresent() ? Check.saturatedNanos(own.get()) : Long.MAX_VALUE;
    this.cacheCall = engine.cache == null ? null : new CacheCall<>(this, engine.cache);
    // Last: the service's attempts read the settings above (hedged or not).
    this.endpoints = service == null ? null : new ServiceCall(this, service);
  }

  /** The one idempotency rule: an idempotent method, an {@code Idempotency-Key}, or the route's opt-in. */
  static boolean isIdempotent(HttpRequest request, HttpPolicy settings) {
    return settings.retryNonIdempotent()
        || IDEMPOTENT.contains(request.method())
        || request.headers().firstValue(IDEMPOTENCY_KEY).isPresent();
  }

  @Override
  public Exchange<?> exchange() {
    return this;
  }

  /** Whether the body can be sent any number of times (none, or a replayable publisher). */
  boolean bodyReplayable() {
    return tracked == null;
  }

  /** Whether the body may be sent again: replayable, or never read (nothing was sent). */
  boolean bodyCanBeSentAgain() {
    return tracked == null || !tracked.subscribed();
  }

  /** A URI as messages show it: scheme, host, port and path; never user info or query. */
  @Override
  public String toString() {
    return request.method() + " " + Redact.uri(request.uri());
  }

  // ---------------------------------------------------------------- attempts

  /**
   * The request of one attempt, bounded by the shortest of the policy's attempt timeout, the
   * request's own timeout and what is left of the total timeout.
   */
  HttpRequest forAttempt(AttemptContext ctx, URI target) {
    attempts = ctx.attempt();
    HttpRequest base = cacheCall == null ? request : cacheCall.outgoing();
    long attempt = settings.attemptTimeout().toNanos();
    long own = ownTimeoutNanos;
    long remaining = ctx.remainingNanos();
    long timeout;
    if (remaining < Math.min(own, attempt)) {
      timeout = Math.max(1, remaining);
      bound = HttpCallTimeoutException.Timeout.TOTAL;
      boundValue = settings.totalTimeout();
    } else if (own < attempt) {
      timeout = own;
      bound = HttpCallTimeoutException.Timeout.REQUEST;
      boundValue = request.timeout().orElseThrow();
    } else {
      timeout = attempt;
      bound = HttpCallTimeoutException.Timeout.ATTEMPT;
      boundValue = settings.attemptTimeout();
    }
    // The common case: the request's own timeout is the bound, and a copy (about 400 B and
    // 0.4 us) would change nothing.
    if (tracked == null && timeout == own && target == null) {
      return base;
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(base, (name, value) -> true)
        .timeout(Duration.ofNanos(timeout));
    if (target != null) {
      b.uri(Services.target(target, request.uri()));
    }
    if (tracked != null) {
      b.method(request.method(), tracked);
    }
    return b.build();
  }

  /**
   * One sync attempt: an answer with its body read by the caller's handler, a transient failure
   * with its body held unread, or the attempt's failure.
   */
  @Override
  public AttemptResponse apply(AttemptContext ctx) throws Exception {
    if (endpoints == null) {
      return send(forAttempt(ctx, null));
    }
    return endpoints.attempt(ctx);
  }

  AttemptResponse send(HttpRequest attempt) throws IOException, InterruptedException {
    AttemptHandler handler = new AttemptHandler(null);
    HttpResponse<Object> r;
    try {
      r = engine.delegate.send(attempt, handler);
    } catch (IOException e) {
      throw bodyFailure(e);
    }
    return handler.arrived(r);
  }

  /**
   * One async attempt. An {@code abortable} one (a hedge's race may cancel it) passes a cancel on
   * to the client's exchange and lets go of a body that becomes ready after it ({@link
   * AbortableBody}).
   */
  CompletionStage<AttemptResponse> sendAsync(HttpRequest attempt, boolean abortable) {
    AbortableBody body = abortable ? new AbortableBody(engine.drainBytes) : null;
    AttemptHandler handler = new AttemptHandler(body);
    CompletableFuture<HttpResponse<Object>> sent = engine.delegate.sendAsync(attempt, handler);
    CompletableFuture<AttemptResponse> out = sent
        .handle((r, t) -> {
          if (t != null) {
            Throwable cause = unwrap(t);
            throw new CompletionException(cause instanceof IOException
                ? bodyFailure((IOException) cause) : cause);
          }
          return handler.arrived(r);
        });
    if (body != null) {
      out.whenComplete((r, t) -> {
        if (out.isCancelled()) {
          body.abort();
          sent.cancel(true);
        }
      });
    }
    return out;
  }


  /** The async form, as the work of {@code executeAsync}: made by the async call alone. */
  Function<AttemptContext, CompletionStage<AttemptResponse>> async() {
    return new Async();
  }

  private final class Async
      implements Function<AttemptContext, CompletionStage<AttemptResponse>>, HttpOutcomes.Work {
    @Override
    public CompletionStage<AttemptResponse> apply(AttemptContext ctx) {
      if (endpoints == null) {
        return sendAsync(forAttempt(ctx, null), false);
      }
      return endpoints.attemptAsync(ctx);
    }

    @Override
    public Exchange<?> exchange() {
      return Exchange.this;
    }
  }

  /**
   * Classifies the response once, when its headers arrive: an answer is never retried, so its
   * body goes to the caller's handler at once (a body that breaks off fails the attempt, which
   * may then be retried); a transient failure's body is held unread for the retry decision.
   */
  private final class AttemptHandler implements HttpResponse.BodyHandler<Object> {
    private volatile Throwable classifierFailed;
    /** The body's watch when a hedge's race may abort the attempt, else null. */
    private final AbortableBody abortable;

    AttemptHandler(AbortableBody abortable) {
      this.abortable = abortable;
    }

    private <B> HttpResponse.BodySubscriber<B> watched(HttpResponse.BodySubscriber<B> s) {
      return abortable == null ? s : abortable.watch(s);
    }

    @Override
    @SuppressWarnings("unchecked")
    public HttpResponse.BodySubscriber<Object> apply(HttpResponse.ResponseInfo info) {
      boolean transientFailure;
      try {
        transientFailure = engine.classifier.isTransientFailure(info);
      } catch (RuntimeException | Error e) {
        // The user's classifier threw: the attempt fails with it once the client returns.
        classifierFailed = e;
        HeldBody dropped = new HeldBody(info);
        dropped.drain(engine.drainBytes);
        return (HttpResponse.BodySubscriber<Object>) (HttpResponse.BodySubscriber<?>) dropped;
      }
      if (transientFailure) {
        return (HttpResponse.BodySubscriber<Object>) (HttpResponse.BodySubscriber<?>)
            watched(HeldBody.of(info, engine.drainBytes));
      }
      return (HttpResponse.BodySubscriber<Object>) (HttpResponse.BodySubscriber<?>)
          watched(caller(info));
    }

    AttemptResponse arrived(HttpResponse<Object> r) {
      Throwable e = classifierFailed;
      if (e instanceof RuntimeException) {
        throw (RuntimeException) e;
      }
      if (e instanceof Error) {
        throw (Error) e;
      }
      return new AttemptResponse(r);
    }
  }

  /** The caller's subscriber for a response it gets, copying into the cache if it may. */
  private HttpResponse.BodySubscriber<T> caller(HttpResponse.ResponseInfo info) {
    return cacheCall == null ? handler.apply(info) : cacheCall.subscriber(info);
  }

  /** A failure of the request's own body is the caller's, and says so. */
  private IOException bodyFailure(IOException e) {
    Throwable cause = tracked == null ? null : tracked.failure();
    if (cause == null) {
      return e;
    }
    HttpRequestBodyException body =
        new HttpRequestBodyException(this + ": the request body failed: " + cause, cause);
    if (e != cause) {
      body.addSuppressed(e);
    }
    return body;
  }

  static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  // ---------------------------------------------------------------- the end

  /** Turns the pipeline's outcome into what the caller gets. */
  CompletableFuture<HttpResponse<T>> finish(AttemptResponse response, Throwable failure) {
    if (failure != null) {
      return recover(callerFailure(unwrap(failure)));
    }
    if (cacheCall != null && response.transientFailure) {
      CompletableFuture<HttpResponse<T>> s = cacheCall.staleOnError();
      if (s != null) {
        fallbackApplied(statusFailure(response));
        response.held().drain(engine.drainBytes);
        return s;
      }
    } else if (cacheCall != null) {
      CompletableFuture<HttpResponse<T>> s = cacheCall.answered(response.received());
      if (s != null) {
        return s;
      }
    }
    return deliver(response);
  }

  /**
   * Whether the pipeline's outcome is the caller's as it is, with nothing left for {@link #finish}:
   * an answer whose body the caller's handler read during the attempt, and no cache to store it in
   * or serve from. The common end of {@code send} and {@code sendAsync}.
   */
  boolean endsAsAnswered(AttemptResponse response, Throwable failure) {
    return failure == null && response != null && !response.transientFailure && cacheCall == null;
  }

  /** An answer as the caller's handler read it: the client's response, with that body. */
  @SuppressWarnings("unchecked")
  static <T> HttpResponse<T> answer(AttemptResponse response) {
    return (HttpResponse<T>) (HttpResponse<?>) response.received();
  }

  /** The final response: an answer as read, or a held body streamed whole to the caller. */
  private CompletableFuture<HttpResponse<T>> deliver(AttemptResponse response) {
    HttpResponse<Object> received = response.received();
    if (!response.transientFailure) {
      return CompletableFuture.completedFuture(answer(response));
    }
    HttpResponse.BodySubscriber<T> s;
    try {
      s = caller(HttpEngine.info(received));
    } catch (RuntimeException | Error e) {
      response.held().drain(engine.drainBytes);
      return CompletableFuture.failedFuture(e);
    }
    response.held().deliverTo(s);
    return s.getBody().toCompletableFuture().thenApply(body -> new Delivered<>(received, body));
  }

  /** What the caller catches for the pipeline's failure. */
  Throwable callerFailure(Throwable f) {
    if (f instanceof RejectedException) {
      RejectedException r = (RejectedException) f;
      if (r.reason() == RejectionReason.TIMED_OUT) {
        return new HttpCallTimeoutException(toString(), authority, settings.name(),
            HttpCallTimeoutException.Timeout.TOTAL, settings.totalTimeout(), r);
      }
      // A service's breakers and rate limits are its endpoints': name the one that refused.
      String endpoint = endpoints == null ? null : endpoints.endpoint;
      boolean byEndpoint = endpoint != null && (r.reason() == RejectionReason.CIRCUIT_OPEN
          || r.reason() == RejectionReason.RATE_LIMITED);
      return new HttpRejectedException(request.method(), Redact.uri(request.uri()),
          byEndpoint ? endpoint : authority, settings.name(), r);
    }
    if (f instanceof HttpTimeoutException && !(f instanceof HttpConnectTimeoutException)
        && !(f instanceof HttpCallTimeoutException) && bound != null) {
      HttpCallTimeoutException t = new HttpCallTimeoutException(
          toString(), authority, settings.name(), bound, boundValue, f);
      moveSuppressed(f, t);
      return t;
    }
    int n = attempts;
    String where = service == null ? "host '" + authority + "'"
        : "service '" + authority + "', last endpoint '" + endpoints.endpoint + "'";
    return n > 1 ? Exhausted.of(f, this + " failed after " + n + " attempts (" + where
        + ", policy '" + settings.name() + "')") : f;
  }

  private static void moveSuppressed(Throwable from, Throwable to) {
    for (Throwable s : from.getSuppressed()) {
      to.addSuppressed(s);
    }
  }

  private IOException statusFailure(HttpResponse<?> response) {
    return new IOException(this + " failed with status " + response.statusCode());
  }

  private CompletableFuture<HttpResponse<T>> recover(Throwable f) {
    boolean eligible =
        f instanceof HttpRejectedException || f instanceof HttpCallTimeoutException
            || engine.classifier.isTransientFailure(f);
    if (cacheCall != null && eligible) {
      CompletableFuture<HttpResponse<T>> s = cacheCall.staleOnError();
      if (s != null) {
        fallbackApplied(f);
        return s;
      }
    }
    if (engine.fallback != null && f instanceof IOException) {
      FallbackResponse fr;
      try {
        fr = engine.fallback.apply(request, f);
      } catch (RuntimeException e) {
        e.addSuppressed(f);
        return CompletableFuture.failedFuture(e);
      }
      if (fr != null) {
        fallbackApplied(f);
        return Responses.feed(
            request, new Responses.Info(fr.statusCode(), fr.headers(), HttpClient.Version.HTTP_1_1),
            fr.body(), handler);
      }
    }
    return CompletableFuture.failedFuture(f);
  }

  private void fallbackApplied(Throwable cause) {
    if (policy.events().hasListeners()) {
      policy.events().publish(
          new FallbackApplied(policy.name(), policy.tags(), engine.time.instant(), cause));
    }
  }
}
