package dev.riprap.http;

import dev.riprap.AttemptContext;
import dev.riprap.DrainReport;
import dev.riprap.Policy;
import dev.riprap.PolicyObserver;
import dev.riprap.RejectedException;
import dev.riprap.ShutdownGate;
import dev.riprap.TimeSource;
import dev.riprap.event.EventStream;
import dev.riprap.event.FallbackApplied;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.internal.Check;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A drop-in {@link HttpClient} that runs every request through a resilience pipeline: HTTP-aware
 * retries, per-host circuit breakers and rate limits, a client-wide concurrency limit, attempt and
 * total timeouts, a stale-if-error cache and fallbacks. It wraps a delegate {@code HttpClient} and
 * reports the delegate's settings; {@link #send} and {@link #sendAsync} make the same decisions.
 *
 * <pre>{@code
 * HttpClient http = ResilientHttpClient.standard();          // where an HttpClient goes
 * HttpResponse<String> r = http.send(request, BodyHandlers.ofString());
 * }</pre>
 *
 * <p><b>Classification.</b> By {@link HttpClassifier#standard()}: 5xx, 408 and 429 responses and
 * transport failures are transient failures, counted by the host's breaker and worth a retry; other
 * responses are answers, returned as they are and counted as successes.
 *
 * <p><b>The retry decision</b>, made per response before its body is read:
 *
 * <ol>
 *   <li>an answer (not a transient failure) goes to the caller;
 *   <li>a request that must not be sent twice goes to the caller as it came: only GET, HEAD,
 *       OPTIONS, PUT, DELETE and TRACE are retried, or a request with an {@code Idempotency-Key}
 *       header, or any request on a route whose policy says {@link
 *       HttpPolicy.Builder#retryNonIdempotent(boolean)};
 *   <li>when no attempt can follow (attempts used up, total timeout passed, draining, retry budget
 *       empty) it goes to the caller;
 *   <li>the wait is the server's {@code Retry-After} (delta-seconds or HTTP-date), cut to {@link
 *       HttpPolicy#maxRetryAfter()}, or when absent or unparseable the jittered backoff;
 *   <li>a wait that would end past the total timeout ends the call at once with this response;
 *   <li>otherwise the body is discarded unread and the request is sent again after the wait.
 * </ol>
 *
 * Transport failures take the same ladder from step 2 with the backoff as the wait. After the last
 * attempt the caller gets the last response as the JDK would have given it (a 503 stays a 503) or the
 * last exception.
 *
 * <p><b>Rejections</b> (breaker open, rate limited, concurrency limit, total timeout, draining) are
 * thrown by {@code send} as {@link HttpRejectedException}, an {@link IOException}; {@code sendAsync}
 * completes exceptionally with the same. An interrupt stops the retries at once, sends nothing more,
 * and {@code send} throws {@link InterruptedException} with the thread's interrupt flag still set.
 *
 * <p><b>Per host.</b> Each URI authority gets its own core {@link Policy} (breaker, limiter, retry
 * budget) made from the request's {@link HttpPolicy}, tagged {@code host} and {@code policy}, in a
 * bounded map ({@link Builder#maxHosts}, {@link Builder#hostIdleTimeout}). The concurrency limit,
 * the {@link #events() event stream} and the drain gate are the client's.
 *
 * <p>WebSockets ({@link #newWebSocketBuilder()}) go to the delegate without the pipeline. HTTP/2
 * push promises are not accepted: the three-argument {@code sendAsync} ignores its push promise
 * handler, since a retried request cannot hand out promises twice.
 *
 * <p>Immutable configuration, thread-safe. {@link #close()} drains, then closes the delegate where
 * the running JDK can (21 and later).
 */
// Size: the HttpClient contract, the per-request attempt logic and the builder in one file. The
// attempt logic moves onto the engine's typed hooks (HTTP issue), which splits it out of here.
public final class ResilientHttpClient extends HttpClient implements AutoCloseable {
  static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  private final HttpClient delegate;
  private final HttpPolicy defaultPolicy;
  private final List<Route> routes;
  private final HttpClassifier classifier;
  private final TimeSource time;
  private final EventStream events = new EventStream();
  private final ShutdownGate gate;
  private final Bulkhead bulkhead;
  private final HostPolicies hosts;
  private final StaleCache stale;
  private final HttpFallback fallback;
  private final Executor asyncExecutor;
  private final Duration closeTimeout;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ResilientHttpClient(Builder b, HttpClient delegate) {
    this.delegate = delegate;
    this.defaultPolicy = b.policy;
    this.routes = List.copyOf(b.routes);
    this.classifier = b.classifier;
    this.time = b.timeSource;
    this.gate = new ShutdownGate(time);
    this.bulkhead =
        Bulkhead.of(
            "riprap-http",
            BulkheadConfig.custom()
                .maxConcurrentCalls(b.concurrencyLimit)
                .maxWaitDuration(Duration.ZERO)
                .build());
    this.hosts =
        new HostPolicies(
            b.maxHosts, b.hostIdleTimeout.toNanos(), time, this::newHostPolicy, b.observers);
    this.stale = b.staleIfError == null ? null : new StaleCache(b.staleIfError, time, delegate);
    this.fallback = b.fallback;
    this.asyncExecutor = delegate.executor().orElse(ForkJoinPool.commonPool());
    Duration longest = defaultPolicy.totalTimeout();
    for (Route r : routes) {
      if (r.policy.totalTimeout().compareTo(longest) > 0) {
        longest = r.policy.totalTimeout();
      }
    }
    this.closeTimeout = longest;
  }

  /**
   * A client with the standard settings ({@link HttpPolicy#standard()}, a concurrency limit of
   * 1000, no stale-if-error, no fallback) around a new default {@code HttpClient}.
   *
   * @return a new client
   */
  public static ResilientHttpClient standard() {
    return builder().build();
  }

  /**
   * A builder starting from the standard settings.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- the delegate's settings

  /**
   * The wrapped client.
   *
   * @return the delegate
   */
  public HttpClient delegate() {
    return delegate;
  }

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return delegate.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return delegate.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return delegate.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return delegate.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return delegate.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return delegate.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return delegate.authenticator();
  }

  @Override
  public Version version() {
    return delegate.version();
  }

  @Override
  public Optional<Executor> executor() {
    return delegate.executor();
  }

  /**
   * The delegate's WebSocket builder; WebSockets do not go through the pipeline.
   *
   * @return the delegate's builder
   */
  @Override
  public WebSocket.Builder newWebSocketBuilder() {
    return delegate.newWebSocketBuilder();
  }

  // ---------------------------------------------------------------- Riprap's own API

  /**
   * The client's event stream: the events of every per-host policy (breaker transitions, retries
   * with their delay, rejections, fallbacks, completed calls), each tagged with {@code host} (the
   * URI authority) and {@code policy} (the {@link HttpPolicy} name). A {@link
   * dev.riprap.event.RetryScheduled} for a response carries that response as {@code result()}, its
   * body a {@link DiscardedBody} telling whether the wait came from the backoff or {@code
   * Retry-After}. When a retryable response is returned because no attempt could follow, a {@link
   * RetryAbandoned} with a {@code null} result says why.
   *
   * @return the stream
   */
  public EventStream events() {
    return events;
  }

  /**
   * The default policy, applied to requests no route matches.
   *
   * @return the default policy
   */
  public HttpPolicy policy() {
    return defaultPolicy;
  }

  /**
   * The policy settings that apply to a request with this method and URI: the first matching route's,
   * else the default.
   *
   * @param method the request method
   * @param uri the request URI
   * @return the settings
   */
  public HttpPolicy policyFor(String method, URI uri) {
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    for (Route r : routes) {
      if (r.matches(method, path)) {
        return r.policy;
      }
    }
    return defaultPolicy;
  }

  /**
   * The live per-host core policy for a request with this method and URI, if one exists now (it is
   * made by the first request to that host and dropped when evicted). Useful to look at the host's
   * breaker.
   *
   * @param method the request method
   * @param uri the request URI
   * @return the policy, or empty if none exists
   */
  public Optional<Policy> hostPolicy(String method, URI uri) {
    return Optional.ofNullable(hosts.peek(policyFor(method, uri), authority(uri)));
  }

  /**
   * How many per-host policies the client holds now (one per host and route policy in use).
   *
   * @return the count, at most {@link Builder#maxHosts}
   */
  public int hostCount() {
    return hosts.size();
  }

  /**
   * Stops admitting requests (new ones are rejected with {@link
   * dev.riprap.RejectionReason#SHUTTING_DOWN}), cuts retry waits short and waits up to {@code
   * timeout} for the requests in flight. Returns at once when idle.
   *
   * @param timeout the longest wait, zero or more
   * @return what the drain did
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws InterruptedException if interrupted while waiting
   */
  public DrainReport drain(Duration timeout) throws InterruptedException {
    return gate.drain(timeout);
  }

  /**
   * Drains (up to the longest total timeout of the client's policies), then closes the delegate if
   * the running JDK's {@code HttpClient} has a {@code close()} method (Java 21 and later); on Java 17
   * the delegate's threads end when it is no longer referenced. Idempotent. An interrupt during the
   * drain ends the wait and leaves the interrupt flag set.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      gate.drain(closeTimeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    hosts.clear();
    Method close;
    try {
      close = HttpClient.class.getMethod("close");
    } catch (NoSuchMethodException e) {
      return; // Java 17-20: HttpClient cannot be closed.
    }
    try {
      close.invoke(delegate);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot close the delegate HttpClient", e);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw new IllegalStateException("closing the delegate HttpClient failed", cause);
    }
  }

  @Override
  public String toString() {
    return "ResilientHttpClient{" + defaultPolicy + ", routes=" + routes + ", hosts="
        + hosts.size() + '}';
  }

  // ---------------------------------------------------------------- send

  /**
   * Sends the request through the pipeline and returns the final response: the first answer, the
   * last retryable response after the last attempt, a stale copy or a fallback response.
   *
   * @param request the request
   * @param handler the caller's body handler; only the final response's body goes through it
   * @param <T> the body type
   * @return the response
   * @throws HttpRejectedException when the client refused or cut off the request and no fallback
   *     applied
   * @throws IOException the last attempt's transport failure when no fallback applied
   * @throws InterruptedException when the thread was interrupted; its interrupt flag stays set
   * @throws IllegalArgumentException as {@link HttpClient#send} does for a bad request
   */
  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    Call<T> call = new Call<>(request, handler);
    HttpResponse<Object> response = null;
    Throwable failure = null;
    try {
      response = call.policy.execute(call::attemptSync);
    } catch (InterruptedException e) {
      // Interrupted during an attempt: nothing more is sent.
      Thread.currentThread().interrupt();
      throw e;
    } catch (Exception e) {
      failure = e;
    }
    if (Thread.currentThread().isInterrupted() && (failure != null || call.discarded(response))) {
      // Interrupted during a backoff wait: the retries stopped; the caller hears of the interrupt.
      InterruptedException e = new InterruptedException("interrupted between attempts of " + call);
      if (failure != null) {
        e.addSuppressed(failure);
      }
      throw e;
    }
    CompletableFuture<HttpResponse<T>> done = call.finish(response, failure);
    try {
      return done.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw new IOException(cause);
    }
  }

  /**
   * Sends the request through the pipeline without blocking: retries wait on a timer. The future
   * completes with what {@link #send} would return, or exceptionally with what it would throw (an
   * {@link HttpRejectedException} for rejections). Cancelling it stops the retries and cancels the
   * attempt in flight.
   *
   * @param request the request
   * @param handler the caller's body handler
   * @param <T> the body type
   * @return a future of the response
   */
  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    Call<T> call = new Call<>(request, handler);
    CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
    CompletableFuture<HttpResponse<Object>> pipeline = call.policy.executeAsync(call::attemptAsync);
    result.whenComplete(
        (r, t) -> {
          if (t instanceof CancellationException) {
            pipeline.cancel(true);
          }
        });
    pipeline.whenComplete(
        (r, t) ->
            call.finish(r, t)
                .whenComplete(
                    (v, e) -> {
                      if (e != null) {
                        result.completeExceptionally(unwrapCompletion(e));
                      } else {
                        result.complete(v);
                      }
                    }));
    return result;
  }

  /**
   * The same as {@link #sendAsync(HttpRequest, HttpResponse.BodyHandler)}: the push promise handler
   * is not used (push promises are refused), since a retried request cannot hand out promises twice.
   *
   * @param request the request
   * @param handler the caller's body handler
   * @param pushPromiseHandler ignored
   * @param <T> the body type
   * @return a future of the response
   */
  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request,
      HttpResponse.BodyHandler<T> handler,
      HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
    return sendAsync(request, handler);
  }

  private static Throwable unwrapCompletion(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  static String authority(URI uri) {
    return Redact.authority(uri);
  }

  // ---------------------------------------------------------------- per-host policies

  private Policy newHostPolicy(HttpPolicy p, String authority) {
    String name = p.name() + "@" + authority;
    Policy.Builder b =
        Policy.builder(name)
            .tag("host", authority)
            .tag("policy", p.name())
            .timeSource(time)
            .parentEvents(events)
            .shutdownGate(gate)
            .bulkhead(bulkhead)
            .totalTimeout(p.totalTimeout())
            .asyncExecutor(asyncExecutor)
            // A response the caller will never see (it arrived after the total timeout, or its
            // call was cancelled) must not hold its connection until garbage collection.
            .onDiscardedResult(Responses::closeBody);
    if (p.maxRetries() > 0) {
      b.retry(retryConfig(p)).retryBudget(p.newBudget(time));
    }
    if (p.hasCircuitBreaker()) {
      b.circuitBreaker(CircuitBreaker.of(name, breakerConfig(p)));
      if (!p.probeWait().isZero()) {
        b.awaitProbe(p.probeWait());
      }
    }
    p.rateLimiter().ifPresent(config -> b.rateLimiter(RateLimiter.of(name, config)));
    return b.build();
  }

  private RetryConfig retryConfig(HttpPolicy p) {
    return RetryConfig.<Object>custom()
        .maxAttempts(p.maxRetries() + 1)
        .retryOnException(t -> !(t instanceof NoRetry) && classifier.isTransientFailure(t))
        // The body handler decided: only a response whose body it discarded is sent again.
        .retryOnResult(r -> r instanceof HttpResponse && ((HttpResponse<?>) r).body()
            instanceof DiscardedBody)
        .intervalBiFunction(
            (attempt, outcome) -> {
              if (outcome.isRight()) {
                Object r = outcome.get();
                if (r instanceof HttpResponse
                    && ((HttpResponse<?>) r).body() instanceof DiscardedBody) {
                  return ((DiscardedBody) ((HttpResponse<?>) r).body()).delay().toMillis();
                }
              }
              return backoffNanos(p, attempt) / 1_000_000L;
            })
        .build();
  }

  private CircuitBreakerConfig breakerConfig(HttpPolicy p) {
    CircuitBreakerConfig.Builder b = CircuitBreakerConfig.custom()
        .failureRateThreshold(p.failureRateThreshold());
    if (p.breakerWindowCalls() > 0) {
      b.slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
          .slidingWindowSize(p.breakerWindowCalls());
    } else {
      b.slidingWindowType(CircuitBreakerConfig.SlidingWindowType.TIME_BASED)
          .slidingWindowSize((int) p.breakerWindow().orElseThrow().toSeconds());
    }
    return b
        .minimumNumberOfCalls(p.minimumCalls())
        .waitDurationInOpenState(p.breakDuration())
        .permittedNumberOfCallsInHalfOpenState(p.halfOpenCalls())
        .recordResult(
            r -> r instanceof HttpResponse
                && classifier.isTransientFailure(info((HttpResponse<?>) r)))
        .recordException(t -> classifier.isTransientFailure(NoRetry.unwrap(t)))
        // Exceptions that are not transient (bad input, interrupts, cancels) say nothing about the
        // host: the breaker counts them neither way.
        .ignoreException(t -> !classifier.isTransientFailure(NoRetry.unwrap(t)))
        .clock(time.clock())
        .build();
  }

  /**
   * The exponential backoff with jitter before the retry that follows attempt {@code attempt}, in
   * whole milliseconds (as nanoseconds).
   */
  static long backoffNanos(HttpPolicy p, int attempt) {
    double base = p.initialBackoff().toNanos() * Math.pow(2, Math.max(0, attempt - 1));
    double max = p.maxBackoff().toNanos();
    base = Math.min(base, max);
    if (p.jitter() > 0) {
      base *= 1 + p.jitter() * (2 * ThreadLocalRandom.current().nextDouble() - 1);
    }
    return wholeMillis((long) Math.min(base, max));
  }

  /**
   * Rounds a wait up to whole milliseconds, at least one: the core's retry waits are in
   * milliseconds, so the wait the body handler plans is exactly the one the pipeline makes, and a
   * retry never fires with no wait at all (a {@code Retry-After: 0} or a date in the past).
   */
  static long wholeMillis(long nanos) {
    long millis = nanos / 1_000_000L + (nanos % 1_000_000L == 0 ? 0 : 1);
    return Math.max(1, Math.min(millis, Long.MAX_VALUE / 1_000_000L)) * 1_000_000L;
  }

  static Responses.Info info(HttpResponse<?> r) {
    return new Responses.Info(r.statusCode(), r.headers(), r.version());
  }

  // ---------------------------------------------------------------- one call

  /** One request's trip through the pipeline. */
  private final class Call<T> {
    final HttpRequest request;
    final HttpResponse.BodyHandler<T> handler;
    final HttpPolicy settings;
    final String authority;
    final Policy policy;
    final boolean retryable;
    final boolean cacheable;

    Call(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      this.request = Objects.requireNonNull(request, "request");
      this.handler = Objects.requireNonNull(handler, "handler");
      this.settings = policyFor(request.method(), request.uri());
      this.authority = authority(request.uri());
      this.policy = hosts.get(settings, authority);
      this.retryable =
          settings.retryNonIdempotent()
              || IDEMPOTENT.contains(request.method())
              || request.headers().firstValue(IDEMPOTENCY_KEY).isPresent();
      this.cacheable = stale != null && StaleCache.cacheable(request);
    }

    HttpRequest forAttempt(AttemptContext ctx) {
      // A request may carry any timeout, 300 years included: saturated, never an overflow.
      long own = Check.saturatedNanos(request.timeout().orElse(settings.attemptTimeout()));
      long remaining = ctx.remainingNanos();
      // The common case: the request's own timeout already ends before the total budget does,
      // and a copy of the request (about 400 B and 0.4 us) would change nothing.
      if (request.timeout().isPresent() && own <= remaining) {
        return request;
      }
      long timeout = Math.max(1, Math.min(own, remaining));
      return HttpRequest.newBuilder(request, (name, value) -> true)
          .timeout(Duration.ofNanos(timeout))
          .build();
    }

    HttpResponse<Object> attemptSync(AttemptContext ctx) throws IOException, InterruptedException {
      try {
        return delegate.send(forAttempt(ctx), new AttemptHandler(ctx));
      } catch (IOException e) {
        throw retryable ? e : new NoRetry(e);
      }
    }

    CompletableFuture<HttpResponse<Object>> attemptAsync(AttemptContext ctx) {
      CompletableFuture<HttpResponse<Object>> f =
          delegate.sendAsync(forAttempt(ctx), new AttemptHandler(ctx));
      if (retryable) {
        return f;
      }
      return f.handle(
          (r, t) -> {
            if (t == null) {
              return r;
            }
            Throwable cause = unwrapCompletion(t);
            throw new CompletionException(cause instanceof IOException ? new NoRetry(cause) : cause);
          });
    }

    boolean discarded(HttpResponse<?> r) {
      return r != null && r.body() instanceof DiscardedBody;
    }

    /** Turns the pipeline's outcome into what the caller gets. */
    @SuppressWarnings("unchecked")
    CompletableFuture<HttpResponse<T>> finish(HttpResponse<Object> response, Throwable failure) {
      if (failure != null) {
        Throwable f = NoRetry.unwrap(unwrapCompletion(failure));
        if (f instanceof RejectedException) {
          f = new HttpRejectedException(
              request.method(), request.uri().toString(), authority, settings.name(),
              (RejectedException) f);
        }
        return recover(f);
      }
      if (discarded(response)) {
        // A retry was planned but then refused (the budget emptied, a drain began): the body was
        // already dropped, so the caller gets the status and headers with an empty body.
        if (cacheable) {
          CompletableFuture<HttpResponse<T>> s = serveStale(statusFailure(response));
          if (s != null) {
            return s;
          }
        }
        return Responses.feed(request, info(response), new byte[0], handler);
      }
      if (cacheable && classifier.isTransientFailure(info(response))) {
        CompletableFuture<HttpResponse<T>> s = serveStale(statusFailure(response));
        if (s != null) {
          closeBody(response);
          return s;
        }
      }
      return CompletableFuture.completedFuture((HttpResponse<T>) (HttpResponse<?>) response);
    }

    private IOException statusFailure(HttpResponse<?> response) {
      return new IOException(
          request.method() + " " + Redact.uri(request.uri()) + " failed with status " + response.statusCode());
    }

    private CompletableFuture<HttpResponse<T>> recover(Throwable f) {
      boolean eligible = f instanceof HttpRejectedException || classifier.isTransientFailure(f);
      if (cacheable && eligible) {
        CompletableFuture<HttpResponse<T>> s = serveStale(f);
        if (s != null) {
          return s;
        }
      }
      if (fallback != null && f instanceof IOException) {
        FallbackResponse fr;
        try {
          fr = fallback.apply(request, f);
        } catch (RuntimeException e) {
          e.addSuppressed(f);
          return CompletableFuture.failedFuture(e);
        }
        if (fr != null) {
          fallbackApplied(f);
          return Responses.feed(
              request, new Responses.Info(fr.statusCode(), fr.headers(), Version.HTTP_1_1),
              fr.body(), handler);
        }
      }
      return CompletableFuture.failedFuture(f);
    }

    private CompletableFuture<HttpResponse<T>> serveStale(Throwable cause) {
      StaleCache.Entry e = stale.get(request);
      if (e == null) {
        return null;
      }
      fallbackApplied(cause);
      return Responses.feed(request, new Responses.Info(e.status(), e.headers(), e.version()),
          e.body(), handler);
    }

    private void fallbackApplied(Throwable cause) {
      if (policy.events().hasListeners()) {
        policy.events().publish(
            new FallbackApplied(policy.name(), policy.tags(), time.instant(), cause));
      }
    }

    private void closeBody(HttpResponse<?> response) {
      if (response.body() instanceof AutoCloseable) {
        try {
          ((AutoCloseable) response.body()).close();
        } catch (Exception ignored) {
          // The response is being replaced; a failure to close it changes nothing for the caller.
        }
      }
    }

    @Override
    public String toString() {
      return request.method() + " " + Redact.uri(request.uri());
    }

    /** Decides per attempt, before the body is read, whether the response goes to the caller. */
    private final class AttemptHandler implements HttpResponse.BodyHandler<Object> {
      private final AttemptContext ctx;

      AttemptHandler(AttemptContext ctx) {
        this.ctx = ctx;
      }

      @Override
      public HttpResponse.BodySubscriber<Object> apply(HttpResponse.ResponseInfo info) {
        // An answer, not a failure: the caller reads it.
        if (!classifier.isTransientFailure(info)) {
          return caller(info);
        }
        // A request that must not be sent twice gets its failure as it came.
        if (!retryable || settings.maxRetries() == 0) {
          return caller(info);
        }
        // No attempt can follow: attempts used up, deadline passed, draining, budget empty.
        if (!ctx.retryPossible()) {
          abandoned(stopReason());
          return caller(info);
        }
        // The wait: the server's Retry-After, capped, if it parses; else the backoff.
        Optional<Duration> asked = RetryAfter.parse(info.headers(), time.instant());
        long delay;
        DiscardedBody.DelaySource source;
        if (asked.isPresent()) {
          delay = wholeMillis(
              Math.min(Check.saturatedNanos(asked.get()), settings.maxRetryAfter().toNanos()));
          source = DiscardedBody.DelaySource.RETRY_AFTER;
        } else {
          delay = backoffNanos(settings, ctx.attempt());
          source = DiscardedBody.DelaySource.BACKOFF;
        }
        // A wait that would end past the total timeout is not started: this response is final.
        if (delay >= ctx.remainingNanos()) {
          abandoned(RetryAbandoned.Reason.DEADLINE);
          return caller(info);
        }
        // Another attempt follows: drop the body unread, so the connection can be reused.
        return HttpResponse.BodySubscribers.replacing(
            new DiscardedBody(Duration.ofNanos(delay), source));
      }

      @SuppressWarnings("unchecked")
      private HttpResponse.BodySubscriber<Object> caller(HttpResponse.ResponseInfo info) {
        HttpResponse.BodySubscriber<T> s = handler.apply(info);
        if (cacheable) {
          s = stale.tee(request, info, s);
        }
        return (HttpResponse.BodySubscriber<Object>) (HttpResponse.BodySubscriber<?>) s;
      }

      private RetryAbandoned.Reason stopReason() {
        if (ctx.attempt() > settings.maxRetries()) {
          return RetryAbandoned.Reason.MAX_ATTEMPTS;
        }
        if (gate.isDraining()) {
          return RetryAbandoned.Reason.DRAINING;
        }
        if (ctx.remainingNanos() <= 0) {
          return RetryAbandoned.Reason.DEADLINE;
        }
        return RetryAbandoned.Reason.BUDGET_EXHAUSTED;
      }

      private void abandoned(RetryAbandoned.Reason reason) {
        if (policy.events().hasListeners()) {
          policy.events().publish(
              new RetryAbandoned(
                  policy.name(), policy.tags(), time.instant(), ctx.attempt(), reason, null,
                  null));
        }
      }
    }
  }

  // ---------------------------------------------------------------- builder

  /**
   * Builds a {@link ResilientHttpClient}, starting from the standard settings. Each setter checks its
   * value at once ({@link IllegalArgumentException}); {@link #build()} checks the settings against
   * each other ({@link IllegalStateException}) and builds every policy once, so nothing fails later
   * mid-call. Not thread-safe.
   */
  public static final class Builder {
    private HttpClient delegate;
    private HttpPolicy policy = HttpPolicy.standard();
    private final List<Route> routes = new ArrayList<>();
    private HttpClassifier classifier = HttpClassifier.standard();
    private int concurrencyLimit = 1000;
    private int maxHosts = 1000;
    private Duration hostIdleTimeout = Duration.ofMinutes(10);
    private StaleIfError staleIfError;
    private HttpFallback fallback;
    private TimeSource timeSource = TimeSource.system();
    private final List<PolicyObserver> observers = new ArrayList<>();

    private Builder() {}

    /**
     * The client that sends the requests. Default: {@code HttpClient.newHttpClient()}, made at
     * {@link #build()}.
     *
     * @param delegate the client to wrap
     * @return this builder
     * @throws IllegalArgumentException if {@code delegate} is itself a {@code ResilientHttpClient}
     *     (the pipelines would nest)
     */
    public Builder delegate(HttpClient delegate) {
      Objects.requireNonNull(delegate, "delegate");
      if (delegate instanceof ResilientHttpClient) {
        throw new IllegalArgumentException(
            "delegate must not be a ResilientHttpClient (the pipelines would nest), was "
                + delegate);
      }
      this.delegate = delegate;
      return this;
    }

    /**
     * The policy for requests no route matches. Default {@link HttpPolicy#standard()}.
     *
     * @param policy the default policy
     * @return this builder
     */
    public Builder policy(HttpPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * A route: requests with this method whose path matches {@code pathPattern} get {@code policy}.
     * Routes are tried in the order added; the first match wins. In the pattern {@code *} matches
     * within one path segment and {@code **} matches anything; the rest is literal ({@code
     * "/payments/**"}, {@code "/items/*}{@code /stock"}). Default: no routes.
     *
     * @param method an upper-case method such as {@code "POST"}, or {@code "*"} for any
     * @param pathPattern the raw path pattern, starting with {@code /}
     * @param policy the policy for matching requests
     * @return this builder
     * @throws IllegalArgumentException if the method or the pattern is malformed
     */
    public Builder route(String method, String pathPattern, HttpPolicy policy) {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(pathPattern, "pathPattern");
      Objects.requireNonNull(policy, "policy");
      routes.add(new Route(Route.checkMethod(method), pathPattern, policy));
      return this;
    }

    /**
     * Which outcomes are transient failures. Default {@link HttpClassifier#standard()}.
     *
     * @param classifier the classifier
     * @return this builder
     */
    public Builder classifier(HttpClassifier classifier) {
      this.classifier = Objects.requireNonNull(classifier, "classifier");
      return this;
    }

    /**
     * The most requests in flight across all hosts; one more is rejected at once with {@link
     * dev.riprap.RejectionReason#BULKHEAD_FULL}. Default 1000 (Microsoft's standard handler).
     *
     * @param limit at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder concurrencyLimit(int limit) {
      if (limit < 1) {
        throw new IllegalArgumentException("concurrencyLimit must be >= 1, was " + limit);
      }
      this.concurrencyLimit = limit;
      return this;
    }

    /**
     * The most per-host policies kept (one per host and route policy in use); the least recently
     * used is dropped beyond it. Default 1000.
     *
     * @param maxHosts at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxHosts(int maxHosts) {
      if (maxHosts < 1) {
        throw new IllegalArgumentException("maxHosts must be >= 1, was " + maxHosts);
      }
      this.maxHosts = maxHosts;
      return this;
    }

    /**
     * How long a per-host policy may go unused before it is dropped. Default 10 minutes.
     *
     * @param idle positive; above 36,500 days taken as 36,500 days (never dropped, in practice)
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder hostIdleTimeout(Duration idle) {
      this.hostIdleTimeout = Check.capped(Check.positive(idle, "hostIdleTimeout"));
      return this;
    }

    /**
     * Turns on the stale-if-error cache. Default: off, since serving old data is a change of meaning
     * the caller must choose.
     *
     * @param settings the cache bounds, for example {@link StaleIfError#defaults()}
     * @return this builder
     */
    public Builder staleIfError(StaleIfError settings) {
      this.staleIfError = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * Tells {@code observer} of every per-host policy the client creates and evicts (and, on
     * {@link ResilientHttpClient#close()}, of every one still held), so that per-host meters
     * ({@code RiprapMetrics}) and health entries ({@code HealthMonitor}) come and go with the
     * hosts and their number stays within {@link #maxHosts}. May be called several times; the
     * observers are told in order, on the thread that created or evicted the policy. Default:
     * none.
     *
     * @param observer the observer
     * @return this builder
     * @throws NullPointerException if {@code observer} is null
     */
    public Builder observer(PolicyObserver observer) {
      observers.add(Objects.requireNonNull(observer, "observer"));
      return this;
    }

    /**
     * The fallback for calls that end in an exception, consulted after the stale-if-error cache.
     * Default: none.
     *
     * @param fallback the fallback
     * @return this builder
     */
    public Builder fallback(HttpFallback fallback) {
      this.fallback = Objects.requireNonNull(fallback, "fallback");
      return this;
    }

    /**
     * The time source for timeouts, backoff waits, breakers, budgets, cache ages and event times.
     * Default {@link TimeSource#system()}. Request timeouts are the JDK's and use real time.
     *
     * @param timeSource the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
      return this;
    }

    /**
     * Builds the client, checking every policy by building it once.
     *
     * @return the client
     * @throws IllegalStateException if two different policies share a name (events and messages
     *     could not tell them apart)
     */
    public ResilientHttpClient build() {
      Map<String, HttpPolicy> byName = new HashMap<>();
      List<HttpPolicy> all = new ArrayList<>();
      all.add(policy);
      routes.forEach(r -> all.add(r.policy));
      for (HttpPolicy p : all) {
        HttpPolicy other = byName.putIfAbsent(p.name(), p);
        if (other != null && other != p) {
          throw new IllegalStateException(
              "two different policies are named '" + p.name() + "': " + other + " and " + p);
        }
      }
      ResilientHttpClient client =
          new ResilientHttpClient(this, delegate != null ? delegate : HttpClient.newHttpClient());
      for (HttpPolicy p : byName.values()) {
        // Build each policy once now, so a setting resilience4j refuses fails here, not mid-call.
        client.newHostPolicy(p, "validation.invalid");
      }
      return client;
    }
  }
}
