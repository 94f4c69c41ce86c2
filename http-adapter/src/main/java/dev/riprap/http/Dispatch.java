package dev.riprap.http;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.UnaryOperator;

/**
 * Runs an {@link Exchange} through its host's policy, sync or async, and turns the pipeline's
 * outcome into what {@link ResilientHttpClient#send} returns or throws and what {@link
 * ResilientHttpClient#sendAsync} completes with.
 */
final class Dispatch {
  private Dispatch() {}

  /**
   * A new exchange of {@code request}, under the policy {@code policy} gives for its route's: the
   * route's own ({@link UnaryOperator#identity()}) for the client's requests, the one an {@link
   * HttpApi} method's annotations derived from it ({@link RoutePolicies}) for that method's.
   */
  static <T> Exchange<T> exchange(HttpEngine engine, HttpRequest request,
      HttpResponse.BodyHandler<T> handler, UnaryOperator<HttpPolicy> policy) {
    return new Exchange<>(engine, Objects.requireNonNull(request, "request"),
        Objects.requireNonNull(handler, "handler"), policy);
  }

  /** The sync call: the caller's thread runs the attempts and waits. */
  static <T> HttpResponse<T> send(Exchange<T> x) throws IOException, InterruptedException {
    AttemptResponse response = null;
    Throwable failure = null;
    try {
      response = x.policy.execute(x);
    } catch (InterruptedException e) {
      // Interrupted during an attempt: nothing more is sent.
      Thread.currentThread().interrupt();
      throw e;
    } catch (Exception e) {
      failure = e;
    }
    if (Thread.currentThread().isInterrupted()) {
      // Interrupted during a backoff wait: the retries stopped; the caller hears of the interrupt.
      InterruptedException e = new InterruptedException("interrupted between attempts of " + x);
      if (failure != null) {
        e.addSuppressed(failure);
      } else if (response != null) {
        response.release(x.engine.drainBytes);
      }
      throw e;
    }
    if (failure == null && response != null && !response.transientFailure) {
      // The common end: an answer, its body read by the caller's handler during the attempt.
      return Exchange.answer(response);
    }
    try {
      return x.finish(response, failure).get();
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

  /** The async call: attempts on the client's threads, waits on the timer. */
  static <T> CompletableFuture<HttpResponse<T>> sendAsync(Exchange<T> x) {
    CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
    CompletableFuture<AttemptResponse> pipeline = x.policy.executeAsync(x.async());
    result.whenComplete(
        (r, t) -> {
          if (t instanceof CancellationException) {
            pipeline.cancel(true);
          }
        });
    pipeline.whenComplete(
        (r, t) -> {
          if (t == null && r != null && !r.transientFailure) {
            // The common end, as in send: no stage for what is already there.
            delivered(result, Exchange.answer(r));
            return;
          }
          x.finish(r, t)
              .whenComplete(
                  (v, e) -> {
                    if (e != null) {
                      result.completeExceptionally(Exchange.unwrap(e));
                    } else {
                      delivered(result, v);
                    }
                  });
        });
    return result;
  }

  /** Completes the caller's future; a caller that gave up meanwhile never reads the body. */
  private static <T> void delivered(CompletableFuture<HttpResponse<T>> result, HttpResponse<T> v) {
    if (!result.complete(v)) {
      Responses.closeBody(v);
    }
  }
}
