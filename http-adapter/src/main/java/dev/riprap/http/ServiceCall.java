package dev.riprap.http;

import dev.riprap.AttemptContext;
import dev.riprap.AttemptFunction;
import dev.riprap.Policy;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.Hedging;
import dev.riprap.internal.EndpointAccess;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * The attempts of one {@link Exchange} to a logical service: the service's group chooses each
 * attempt's endpoint (one the request has not tried yet when one is in rotation) and records its
 * outcome for ejection; the endpoint's own policy (its breaker and rate limiter, {@link
 * HttpEngine#newEndpointPolicy}) runs the attempt, which sends the request to that endpoint.
 *
 * <p>A request its route hedges ({@link HttpPolicy#hedging()}) races each attempt's endpoint
 * against hedges on others when it may be sent twice (idempotent, with a body that can be sent
 * again): its endpoint attempts then always run as {@code sendAsync}'s, whose exchanges can be
 * aborted, and a sync request waits for the race on the caller's thread.
 */
final class ServiceCall {
  private final Exchange<?> exchange;
  private final EndpointAccess.Attempts<URI> attempts;
  /** Whether this request's attempts are hedged. */
  private final boolean hedged;
  /** The endpoint (its authority) of the latest attempt, for messages. */
  volatile String endpoint;

  ServiceCall(Exchange<?> exchange, EndpointGroup<URI> service) {
    this.exchange = exchange;
    Hedging hedging = exchange.settings.hedging().orElse(null);
    // Only a request that may reach two endpoints is hedged: decided here, once, per request.
    this.hedged = hedging != null && exchange.idempotent && exchange.bodyReplayable();
    this.attempts = hedged
        ? EndpointAccess.newCall(service, hedging, exchange.policy.retryBudget().orElse(null),
            hedging.executor().orElse(exchange.engine.asyncExecutor), this::release)
        : EndpointAccess.newCall(service);
  }

  AttemptResponse attempt(AttemptContext ctx) throws Exception {
    if (hedged) {
      return await(attemptAsync(ctx).toCompletableFuture());
    }
    return attempts.attempt(ctx, (uri, c) -> policy(uri).execute(new Sync(uri, c)));
  }

  CompletionStage<AttemptResponse> attemptAsync(AttemptContext ctx) {
    return attempts.attemptAsync(ctx, (uri, c) -> policy(uri).executeAsync(new Async(uri, c)));
  }

  /**
   * A sync request's wait for its hedged attempt: the caller's interrupt (the policy's attempt
   * timeout, or from outside) cancels the race and every attempt in it.
   */
  private static AttemptResponse await(CompletableFuture<AttemptResponse> race)
      throws Exception {
    try {
      return race.get();
    } catch (InterruptedException e) {
      race.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception) {
        throw (Exception) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw new IOException(cause);
    }
  }

  /** Lets go of a losing attempt's response that arrived anyway: its body closed or drained. */
  private void release(Object result) {
    if (result instanceof AttemptResponse) {
      ((AttemptResponse) result).release(exchange.engine.drainBytes);
    }
  }

  /** The endpoint's policy, the endpoint noted as the latest. */
  private Policy policy(URI uri) {
    String a = Services.authority(uri);
    endpoint = a;
    return exchange.engine.endpointHosts.get(exchange.settings, a);
  }

  /**
   * One attempt on an endpoint, run by the endpoint's policy: the work its hooks see. The request
   * is bounded by the service call's attempt ({@code call}: its number, the time left), since the
   * endpoint's policy has no timeout of its own.
   */
  private abstract class OnEndpoint implements HttpOutcomes.Work {
    final URI uri;
    final AttemptContext call;

    OnEndpoint(URI uri, AttemptContext call) {
      this.uri = uri;
      this.call = call;
    }

    @Override
    public Exchange<?> exchange() {
      return exchange;
    }
  }

  private final class Sync extends OnEndpoint
      implements AttemptFunction<AttemptResponse, Exception> {
    Sync(URI uri, AttemptContext call) {
      super(uri, call);
    }

    @Override
    public AttemptResponse apply(AttemptContext own) throws IOException, InterruptedException {
      return exchange.send(exchange.forAttempt(call, uri));
    }
  }

  private final class Async extends OnEndpoint
      implements Function<AttemptContext, CompletionStage<AttemptResponse>> {
    Async(URI uri, AttemptContext call) {
      super(uri, call);
    }

    @Override
    public CompletionStage<AttemptResponse> apply(AttemptContext own) {
      return exchange.sendAsync(exchange.forAttempt(call, uri), hedged);
    }
  }
}
