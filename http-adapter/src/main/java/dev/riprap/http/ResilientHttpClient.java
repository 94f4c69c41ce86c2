package dev.riprap.http;

import dev.riprap.DrainReport;
import dev.riprap.Policy;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.event.EventStream;
import dev.riprap.internal.Check;
import java.io.IOException;
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
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A drop-in {@link HttpClient} that runs every request through a resilience pipeline: HTTP-aware
 * retries, per-host circuit breakers and rate limits, a client-wide concurrency limit, attempt and
 * total timeouts, an RFC 9111 cache ({@link Builder#cache(CacheSettings)}), a stale-if-error store
 * and fallbacks. It wraps a delegate {@code HttpClient} and
 * reports the delegate's settings; {@link #send} and {@link #sendAsync} make the same decisions.
 *
 * <pre>{@code
 * HttpClient http = ResilientHttpClient.standard();          // where an HttpClient goes
 * HttpResponse<String> r = http.send(request, BodyHandlers.ofString());
 * }</pre>
 *
 * <p><b>Decisions.</b> One {@link HttpClassifier} (5xx, 408, 429 and transport failures are
 * transient failures) and one retry decision per attempt, made in the core's loop with the
 * response's body unread: answers, requests that must not be sent twice and bodies that cannot be
 * produced again go to the caller; then the attempts, a drain, the total timeout and the host's
 * retry budget (its token taken in the same decision). The wait is the server's {@code
 * Retry-After}, capped, or the jittered backoff. A response that is not retried reaches the caller
 * whole, in whatever race; a retried one is drained (up to {@link Builder#maxDrainBytes}) when the
 * next attempt starts. docs/http.md has the details.
 *
 * <p><b>Failures.</b> Rejections are {@link HttpRejectedException}s, timeouts {@link
 * HttpCallTimeoutException}s, both {@link IOException}s; a transport failure after retries keeps
 * its type where it can, naming the attempts, host and policy. An interrupt stops the retries at
 * once and {@code send} throws {@link InterruptedException}, the interrupt flag still set.
 *
 * <p><b>Per host.</b> Each URI authority gets its own core {@link Policy} (breaker, limiter, retry
 * budget) made from the request's {@link HttpPolicy}, tagged {@code host} and {@code policy}, in a
 * bounded map ({@link Builder#maxHosts}, {@link Builder#hostIdleTimeout}). The concurrency limit,
 * the {@link #events() event stream} and the drain gate are the client's.
 *
 * <p><b>Services.</b> A request to {@code http://<service>/...}, a service given to {@link
 * Builder#endpoints}, goes per attempt to one of the service's endpoints, chosen by its {@link
 * EndpointGroup} (balanced, failing endpoints ejected, retries to endpoints not tried yet); each
 * endpoint has its own breaker and rate limiter. {@code docs/endpoints.md} has the details.
 *
 * <p>WebSockets ({@link #newWebSocketBuilder()}) go to the delegate without the pipeline. HTTP/2
 * push promises are not accepted: the three-argument {@code sendAsync} ignores its push promise
 * handler, since a retried request cannot hand out promises twice.
 *
 * <p>Immutable configuration, thread-safe. {@link #close()} drains, then closes the delegate where
 * the running JDK can (21 and later); {@link #shutdown()}, {@link #shutdownNow()}, {@link
 * #awaitTermination} and {@link #isTerminated()} are the Java 21 lifecycle, on Java 17 too.
 */
// Size: the HttpClient contract (the delegate's settings), the Java 21 lifecycle, Riprap's own API
// (policies, hosts, services) and the nested public Builder (a type users name); sending is
// Dispatch's and Exchange's, the settings' setters are ClientSettings'.
public final class ResilientHttpClient extends HttpClient implements AutoCloseable {
  /** The default of {@link Builder#maxDrainBytes}: 8 KiB. */
  static final int DEFAULT_DRAIN_BYTES = 8 * 1024;

  /** What requests run with; package-private for {@link HttpApi}'s one-attempt sends. */
  final HttpEngine engine;
  private final Duration closeTimeout;
  private final AtomicBoolean shutdown = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private ResilientHttpClient(Builder b, HttpClient delegate) {
    this.engine = new HttpEngine(delegate, b.policy, b.routes, b.classifier, b.timeSource,
        b.concurrencyLimit, b.maxHosts, b.hostIdleTimeout, b.cache, b.staleIfError, b.fallback,
        b.observers,
        b.maxDrainBytes, b.services);
    this.closeTimeout = engine.longestTotalTimeout();
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
    return engine.delegate;
  }

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return engine.delegate.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return engine.delegate.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return engine.delegate.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return engine.delegate.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return engine.delegate.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return engine.delegate.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return engine.delegate.authenticator();
  }

  @Override
  public Version version() {
    return engine.delegate.version();
  }

  @Override
  public Optional<Executor> executor() {
    return engine.delegate.executor();
  }

  /**
   * The delegate's WebSocket builder; WebSockets do not go through the pipeline.
   *
   * @return the delegate's builder
   */
  @Override
  public WebSocket.Builder newWebSocketBuilder() {
    return engine.delegate.newWebSocketBuilder();
  }

  // ---------------------------------------------------------------- Riprap's own API

  /**
   * The client's event stream: the events of every per-host policy (breaker transitions, retries
   * with their delay, abandoned retries and why, rejections, fallbacks, completed calls), each
   * tagged with {@code host} (the URI authority) and {@code policy} (the {@link HttpPolicy} name).
   * For a response, {@code RetryScheduled.result()} and {@code RetryAbandoned.result()} are that
   * response with its status and headers; its {@code body()} is null (the body is never read for
   * a listener). A call whose final response is a transient failure (a 503 after all its retries)
   * completes with outcome {@code FAILURE}, though the caller gets the response.
   *
   * @return the stream
   */
  public EventStream events() {
    return engine.events;
  }

  /**
   * The default policy, applied to requests no route matches.
   *
   * @return the default policy
   */
  public HttpPolicy policy() {
    return engine.defaultPolicy;
  }

  /**
   * The classifier every decision of this client asks ({@link Builder#classifier}).
   *
   * @return the classifier
   */
  public HttpClassifier classifier() {
    return engine.classifier;
  }

  /**
   * The policy settings that apply to a request with this method and URI: the first matching
   * route's, else the default.
   *
   * @param method the request method
   * @param uri the request URI
   * @return the settings
   */
  public HttpPolicy policyFor(String method, URI uri) {
    return engine.policyFor(method, uri);
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
    HttpPolicy p = policyFor(method, uri);
    String authority = HttpEngine.authority(uri);
    Policy host = engine.hosts.peek(p, authority);
    return Optional.ofNullable(host != null ? host : engine.endpointHosts.peek(p, authority));
  }

  /**
   * How many per-host policies the client holds now (one per host and route policy in use, and
   * one per service endpoint and route policy in use).
   *
   * @return the count, at most twice {@link Builder#maxHosts}
   */
  public int hostCount() {
    return engine.hosts.size() + engine.endpointHosts.size();
  }

  /**
   * The endpoint group of a service given to {@link Builder#endpoints}: its endpoints, their state
   * ({@code status()}), panic mode, its events.
   *
   * @param service the service's name, in any case
   * @return the group, or empty if the client has no such service
   * @throws NullPointerException if {@code service} is null
   */
  public Optional<EndpointGroup<URI>> service(String service) {
    return Optional.ofNullable(
        engine.services.get(Objects.requireNonNull(service, "service").toLowerCase(Locale.ROOT)));
  }

  /**
   * Replaces the endpoints of a service (service discovery, DNS): an endpoint already there keeps
   * its state (ejected or not, on probation, its counts, its breaker), new ones start fresh,
   * dropped ones leave, their attempts in flight ending as usual ({@link EndpointGroup#update}).
   * Checked as at build; on a failed check the set is unchanged. Two calls at the same moment:
   * the last one wins.
   *
   * @param service the service's name, in any case, as given to {@link Builder#endpoints}
   * @param endpoints at least one, no two equal, each as for {@link Builder#endpoints}
   * @throws IllegalArgumentException if the client has no such service, or for the endpoints as
   *     {@link Builder#endpoints} says
   * @throws NullPointerException if an argument is null
   */
  public void updateEndpoints(String service, List<URI> endpoints) {
    engine.updateEndpoints(service, endpoints);
  }

  // ---------------------------------------------------------------- lifecycle

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
    shutdown.set(true);
    return engine.gate.drain(timeout);
  }

  /**
   * Starts an orderly shutdown and returns at once: as {@link #drain} begins, new requests are
   * rejected ({@link dev.riprap.RejectionReason#SHUTTING_DOWN}), retry waits are cut short (those
   * calls end with their last outcome) and requests in flight go on to their end. Java 21's {@code
   * HttpClient.shutdown()}, with Riprap's meaning, also on Java 17. Idempotent.
   */
  public void shutdown() {
    shutdown.set(true);
    try {
      engine.gate.drain(Duration.ZERO);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * {@link #shutdown()}, and the requests in flight are cut short: the delegate's {@code
   * shutdownNow()} (Java 21 and later) aborts its exchanges, so each such request ends with its
   * failure and is not retried. On Java 17, where the delegate cannot abort, requests in flight
   * run to their end as after {@code shutdown()}. Idempotent.
   */
  public void shutdownNow() {
    shutdown();
    Delegates.invoke(engine.delegate, "shutdownNow");
  }

  /**
   * Waits up to {@code duration} for the requests in flight to end after a {@link #shutdown()},
   * {@link #shutdownNow()}, {@link #drain} or {@link #close()}; when they have, the delegate is
   * shut down too (Java 21 and later). Java 21's {@code HttpClient.awaitTermination}, also on Java
   * 17.
   *
   * @param duration the longest wait, zero or more
   * @return {@code true} if the client is terminated ({@link #isTerminated()}), {@code false} if
   *     the wait ended first or no shutdown was started
   * @throws IllegalArgumentException if {@code duration} is negative
   * @throws InterruptedException if interrupted while waiting (the flag is then clear)
   */
  public boolean awaitTermination(Duration duration) throws InterruptedException {
    Check.notNegative(duration, "duration");
    if (!shutdown.get()) {
      return false;
    }
    if (engine.gate.drain(duration).stillRunning() > 0) {
      return false;
    }
    Delegates.invoke(engine.delegate, "shutdown");
    return true;
  }

  /**
   * Whether a shutdown ({@link #shutdown()}, {@link #shutdownNow()}, {@link #drain}, {@link
   * #close()}) began and no request of this client is in flight any more. Java 21's {@code
   * HttpClient.isTerminated()}, also on Java 17.
   *
   * @return {@code true} once shut down and idle
   */
  public boolean isTerminated() {
    return shutdown.get() && engine.gate.isDraining() && engine.gate.inFlight() == 0;
  }

  /**
   * Drains (up to the longest total timeout of the client's policies), then closes the delegate if
   * the running JDK's {@code HttpClient} has a {@code close()} method (Java 21 and later); on Java
   * 17 the delegate's threads end when it is no longer referenced. Idempotent. An interrupt during
   * the drain ends the wait and leaves the interrupt flag set.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      drain(closeTimeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    engine.hosts.clear();
    engine.endpointHosts.clear();
    Delegates.invoke(engine.delegate, "close");
  }

  @Override
  public String toString() {
    return "ResilientHttpClient{" + engine.defaultPolicy + ", routes=" + engine.routes + ", hosts="
        + engine.hosts.size() + '}';
  }

  // ---------------------------------------------------------------- send

  /**
   * Sends the request through the pipeline and returns the final response: the first answer, the
   * last retryable response after the last attempt (its body whole, through {@code handler}), a
   * stale copy or a fallback response. With the cache on ({@link Builder#cache(CacheSettings)}),
   * a stored response may answer first, without the pipeline, and a request may wait (within its
   * own timeout) for the same URI's request already upstream.
   *
   * @param request the request
   * @param handler the caller's body handler; only the final response's body goes through it
   * @param <T> the body type
   * @return the response
   * @throws HttpRejectedException when the client refused the request and no fallback applied
   * @throws HttpCallTimeoutException when a timeout ended the request and no fallback applied
   * @throws IOException the last attempt's transport failure when no fallback applied
   * @throws InterruptedException when the thread was interrupted; its interrupt flag stays set
   * @throws IllegalArgumentException as {@link HttpClient#send} does for a bad request
   */
  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    return Dispatch.send(Dispatch.exchange(engine, request, handler, UnaryOperator.identity()));
  }

  /**
   * Sends the request through the pipeline without blocking: retries wait on a timer. The future
   * completes with what {@link #send} would return, or exceptionally with what it would throw.
   * Cancelling it stops the retries and cancels the attempt in flight.
   *
   * @param request the request
   * @param handler the caller's body handler
   * @param <T> the body type
   * @return a future of the response
   */
  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    return Dispatch.sendAsync(Dispatch.exchange(engine, request, handler, UnaryOperator.identity()));
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

  // ---------------------------------------------------------------- builder

  /**
   * Builds a {@link ResilientHttpClient}, starting from the standard settings. Each setter checks its
   * value at once ({@link IllegalArgumentException}); {@link #build()} checks the settings against
   * each other ({@link IllegalStateException}) and builds every policy once, so nothing fails later
   * mid-call. Not thread-safe.
   */
  public static final class Builder extends ClientSettings {
    private Builder() {}

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
        client.engine.newHostPolicy(p, "validation.invalid");
      }
      return client;
    }
  }
}
