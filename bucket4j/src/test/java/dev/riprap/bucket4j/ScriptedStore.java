package dev.riprap.bucket4j;

import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.RemoteAsyncBucketBuilder;
import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A Bucket4j store whose answer to each {@code tryConsume} the test decides: a token, none, a
 * failure, an answer that never comes, a null stage or a throw. Stands for a store of the user's
 * (any backend handed in as a {@link ProxyManager}) behaving badly, which a real Redis cannot be
 * made to do on cue.
 */
final class ScriptedStore {
  /** What the next requests get. */
  volatile Supplier<CompletableFuture<Boolean>> answer = () -> CompletableFuture.completedFuture(true);

  /** How many requests the limiter sent. */
  final AtomicInteger asked = new AtomicInteger();

  ProxyManager<String> proxyManager() {
    AsyncBucketProxy bucket = proxy(AsyncBucketProxy.class, (self, name) -> {
      if (!name.equals("tryConsume")) {
        throw new UnsupportedOperationException(name);
      }
      asked.incrementAndGet();
      return answer.get();
    });
    RemoteAsyncBucketBuilder<?> builder = proxy(RemoteAsyncBucketBuilder.class,
        (self, name) -> name.equals("build") ? bucket : self);
    AsyncProxyManager<?> async = proxy(AsyncProxyManager.class,
        (self, name) -> {
          if (!name.equals("builder")) {
            throw new UnsupportedOperationException(name);
          }
          return builder;
        });
    @SuppressWarnings("unchecked")
    ProxyManager<String> store = proxy(ProxyManager.class, (self, name) -> {
      switch (name) {
        case "isAsyncModeSupported":
          return true;
        case "asAsync":
          return async;
        default:
          throw new UnsupportedOperationException(name);
      }
    });
    return store;
  }

  private interface Handler {
    Object answer(Object self, String method);
  }

  private static <T> T proxy(Class<T> type, Handler handler) {
    return type.cast(Proxy.newProxyInstance(ScriptedStore.class.getClassLoader(),
        new Class<?>[] {type}, (self, method, args) -> {
          if (method.getName().equals("toString")) {
            return "scripted " + type.getSimpleName();
          }
          return handler.answer(self, method.getName());
        }));
  }
}
