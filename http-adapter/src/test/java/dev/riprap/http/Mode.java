package dev.riprap.http;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Runs one request through send or sendAsync, so every scenario is checked both ways. */
enum Mode {
  SYNC {
    @Override
    <T> HttpResponse<T> send(Harness h, HttpRequest request, HttpResponse.BodyHandler<T> handler)
        throws Exception {
      return h.client.send(request, handler);
    }
  },
  ASYNC {
    @Override
    <T> HttpResponse<T> send(Harness h, HttpRequest request, HttpResponse.BodyHandler<T> handler)
        throws Exception {
      CompletableFuture<HttpResponse<T>> f = h.client.sendAsync(request, handler);
      h.drive(f);
      try {
        return f.get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof Exception) {
          throw (Exception) cause;
        }
        throw e;
      }
    }
  };

  abstract <T> HttpResponse<T> send(
      Harness h, HttpRequest request, HttpResponse.BodyHandler<T> handler) throws Exception;
}
