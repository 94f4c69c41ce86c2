package dev.riprap.http;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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

  /**
   * The sync call: the cache answers first where it can (a fresh hit takes nothing of the
   * pipeline), or the caller waits for the same URI's request upstream and looks again; else the
   * caller's thread runs the attempts and waits.
   */
  static <T> HttpResponse<T> send(Exchange<T> x) throws IOException, InterruptedException {
    CacheCall<T> c = x.cacheCall;
    if (c == null) {
      return runSync(x);
    }
    CompletableFuture<HttpResponse<T>> served = c.lookup(true);
    HttpCache.Lead leader = c.waitFor();
    if (served == null && leader != null) {
      try {
        leader.done.get(c.waitNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // the caller hears of it and keeps the flag
        throw e;
      } catch (TimeoutException e) {
        throw c.waitedTooLong();
      } catch (ExecutionException e) {
        throw new AssertionError("a lead completes normally", e);
      }
      served = c.lookup(false);
    }
    if (served != null) {
      return join(served);
    }
    try {
      return runSync(x);
    } finally {
      c.end();
    }
  }

  private static <T> HttpResponse<T> runSync(Exchange<T> x) throws IOException, InterruptedException {
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
    if (x.endsAsAnswered(response, failure)) {
      return Exchange.answer(response);
    }
    return join(x.finish(response, failure));
  }

  /**
   * The response {@code f} completes with, or what it failed with, as {@code send} throws it. An
   * interrupt while waiting cancels {@code f} (a request the cache sends again stops) and keeps
   * the flag.
   */
  private static <T> HttpResponse<T> join(CompletableFuture<HttpResponse<T>> f)
      throws IOException, InterruptedException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw e;
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
   * The async call: the cache answers first where it can, or the call waits (without blocking)
   * for the same URI's request upstream and looks again; else attempts on the client's threads,
   * waits on the timer.
   */
  static <T> CompletableFuture<HttpResponse<T>> sendAsync(Exchange<T> x) {
    CacheCall<T> c = x.cacheCall;
    if (c == null) {
      return run(x);
    }
    CompletableFuture<HttpResponse<T>> served;
    try {
      served = c.lookup(true);
    } catch (RuntimeException | Error e) {
      return CompletableFuture.failedFuture(e);
    }
    HttpCache.Lead leader = c.waitFor();
    if (served != null) {
      return served;
    }
    if (leader == null) {
      return runThenEnd(x, c);
    }
    CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
    CompletableFuture<Void> wait = leader.done.copy();
    long nanos = c.waitNanos();
    if (nanos < Long.MAX_VALUE) {
      wait.orTimeout(nanos, TimeUnit.NANOSECONDS);
    }
    wait.whenCompleteAsync((v, t) -> {
      if (result.isDone()) {
        return; // the caller cancelled while it waited: nothing is sent for it
      }
      CompletableFuture<HttpResponse<T>> next;
      if (t != null) {
        next = CompletableFuture.failedFuture(c.waitedTooLong());
      } else {
        try {
          CompletableFuture<HttpResponse<T>> again = c.lookup(false);
          next = again != null ? again : runThenEnd(x, c);
        } catch (RuntimeException | Error e) {
          next = CompletableFuture.failedFuture(e);
        }
      }
      CompletableFuture<HttpResponse<T>> running = next;
      result.whenComplete((r, e) -> {
        if (e instanceof CancellationException) {
          running.cancel(true);
        }
      });
      running.whenComplete((r, e) -> {
        if (e != null) {
          result.completeExceptionally(Exchange.unwrap(e));
        } else if (!result.complete(r)) {
          Responses.closeBody(r);
        }
      });
    }, x.engine.asyncExecutor);
    return result;
  }

  private static <T> CompletableFuture<HttpResponse<T>> runThenEnd(Exchange<T> x, CacheCall<T> c) {
    CompletableFuture<HttpResponse<T>> result;
    try {
      result = run(x);
    } catch (RuntimeException | Error e) {
      c.end();
      throw e;
    }
    result.whenComplete((r, t) -> c.end());
    return result;
  }

  private static <T> CompletableFuture<HttpResponse<T>> run(Exchange<T> x) {
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
          if (x.endsAsAnswered(r, t)) {
            // No stage for what is already there.
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
