package dev.riprap.bucket4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.RemoteBucketBuilder;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A store without Bucket4j's async support (as JDBC stores are): sync calls ask it on the caller's
 * thread, async calls on the blocking executor, and the quota holds across both.
 */
class SyncOnlyStoreTest {
  /** The Redis proxy manager, claiming no async support. */
  private static <K> ProxyManager<K> syncOnly(ProxyManager<K> store) {
    return new ProxyManager<>() {
      @Override
      public RemoteBucketBuilder<K> builder() {
        return store.builder();
      }

      @Override
      public Optional<BucketConfiguration> getProxyConfiguration(K key) {
        return store.getProxyConfiguration(key);
      }

      @Override
      public void removeProxy(K key) {
        store.removeProxy(key);
      }

      @Override
      public boolean isAsyncModeSupported() {
        return false;
      }

      @Override
      public AsyncProxyManager<K> asAsync() {
        throw new UnsupportedOperationException("no async support");
      }
    };
  }

  @Test
  void syncAndAsyncCallsShareTheQuotaOfAStoreWithoutAsyncSupport() throws Exception {
    AtomicInteger askedOnExecutor = new AtomicInteger();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (LocalRedis redis = LocalRedis.start()) {
      DistributedLimiter limiter = DistributedLimiter.builder(
              syncOnly(RedisStores.lettuce(redis.connection())), "sync-only")
          .configuration(SharedQuotaTest.perHour(3))
          .localLimit(1, Duration.ofHours(1))
          .storeTimeout(Duration.ofSeconds(30))
          .blockingExecutor(r -> {
            askedOnExecutor.incrementAndGet();
            pool.execute(r);
          })
          .build();
      Policy policy = Policy.builder("jdbc-like").rateLimiter(limiter).build();
      AtomicInteger passed = new AtomicInteger();
      int rejected = 0;

      for (int i = 0; i < 2; i++) {
        try {
          policy.call(passed::incrementAndGet);
        } catch (RejectedException e) {
          rejected++;
        }
      }
      for (int i = 0; i < 2; i++) {
        try {
          policy.callAsync(() -> CompletableFuture.completedFuture(passed.incrementAndGet()))
              .get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(RejectedException.class);
          rejected++;
        }
      }

      assertThat(passed).hasValue(3);
      assertThat(rejected).isEqualTo(1);
      assertThat(askedOnExecutor).hasValue(2);
    } finally {
      pool.shutdownNow();
    }
  }
}
