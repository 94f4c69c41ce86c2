package dev.riprap.http;

import dev.riprap.AttemptContext;
import dev.riprap.AttemptFunction;
import dev.riprap.Policy;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.internal.EndpointAccess;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The attempts of one {@link Exchange} to a logical service: the service's group chooses each
 * attempt's endpoint (one the request has not tried yet when one is in rotation) and records its
 * outcome for ejection; the endpoint's own policy (its breaker and rate limiter, {@link
 * HttpEngine#newEndpointPolicy}) runs the attempt, which sends the request to that endpoint.
 */
final class ServiceCall {
  private final Exchange<?> exchange;
  private final EndpointAccess.Attempts<URI> attempts;
  /** The endpoint (its authority) of the latest attempt, for messages. */
  volatile String endpoint;

  ServiceCall(Exchange<?> exchange, EndpointGroup<URI> service) {
    this.exchange = exchange;
    this.attempts = EndpointAccess.newCall(service);
  }

  AttemptResponse attempt(AttemptContext ctx) throws Exception {
    return attempts.attempt(ctx, (uri, c) -> policy(uri).execute(new Sync(uri, c)));
  }

  CompletionStage<AttemptResponse> attemptAsync(AttemptContext ctx) {
    return attempts.attemptAsync(ctx, (uri, c) -> policy(uri).executeAsync(new Async(uri, c)));
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
      return exchange.sendAsync(exchange.forAttempt(call, uri));
    }
  }
}
