package dev.riprap.bucket4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.event.LimiterModeChanged;
import dev.riprap.event.LimiterModeChanged.Mode;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Several clients, each with its own Redis connection as separate replicas have, share one quota
 * on a real Redis server: together they never pass more than it, sync and async, with one hot key
 * or with many keys.
 */
class SharedQuotaTest {
  private static LocalRedis redis;

  @BeforeAll
  static void startRedis() {
    redis = LocalRedis.start();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  /** {@code n} permits and no refill within any test: the count allowed is exact. */
  static BucketConfiguration perHour(long n) {
    return BucketConfiguration.builder()
        .addLimit(l -> l.capacity(n).refillIntervally(n, Duration.ofHours(1)))
        .build();
  }

  /** A replica's policy: its own connection, its own limiter on the shared key. */
  private static Policy replica(String name, String key, long quota,
      ConcurrentLinkedQueue<LimiterModeChanged> changes) {
    ProxyManager<String> store = RedisStores.lettuce(redis.connection());
    DistributedLimiter limiter = DistributedLimiter.builder(store, key)
        .configuration(perHour(quota))
        .localLimit(1, Duration.ofHours(1))
        // Generous: this test is about the quota, not about a store slowed by a busy machine.
        .storeTimeout(Duration.ofSeconds(30))
        .build();
    Policy policy = Policy.builder(name).rateLimiter(limiter).build();
    policy.events().subscribe(LimiterModeChanged.class, changes::add);
    return policy;
  }

  @ParameterizedTest
  @EnumSource(Api.class)
  void threeReplicasSharingAQuotaOfOneHundredPassExactlyOneHundredCallsTogether(Api api)
      throws Exception {
    String key = "shared-" + api;
    ConcurrentLinkedQueue<LimiterModeChanged> changes = new ConcurrentLinkedQueue<>();
    List<Policy> replicas = List.of(
        replica("replica-1", key, 100, changes),
        replica("replica-2", key, 100, changes),
        replica("replica-3", key, 100, changes));
    AtomicInteger upstream = new AtomicInteger();
    AtomicInteger rejected = new AtomicInteger();
    int threadsPerReplica = 3;
    int callsPerThread = 40;
    CyclicBarrier start = new CyclicBarrier(replicas.size() * threadsPerReplica);
    List<Thread> threads = new ArrayList<>();
    ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    for (Policy policy : replicas) {
      for (int t = 0; t < threadsPerReplica; t++) {
        Thread thread = new Thread(() -> {
          try {
            start.await(30, TimeUnit.SECONDS);
            for (int i = 0; i < callsPerThread; i++) {
              try {
                api.call(policy, upstream::incrementAndGet);
              } catch (RejectedException e) {
                assertThat(e.reason()).isEqualTo(RejectionReason.RATE_LIMITED);
                rejected.incrementAndGet();
              }
            }
          } catch (Throwable e) {
            unexpected.add(e);
          }
        });
        thread.start();
        threads.add(thread);
      }
    }
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(60));
    }

    assertThat(unexpected).isEmpty();
    assertThat(upstream).hasValue(100);
    assertThat(rejected).hasValue(replicas.size() * threadsPerReplica * callsPerThread - 100);
    assertThat(changes).isEmpty();
    for (Policy p : replicas) {
      assertThat(((DistributedLimiter) p.externalLimiter().orElseThrow()).mode())
          .isEqualTo(Mode.SHARED);
    }
  }

  @Test
  void manyKeysEachHoldTheirOwnQuota() throws Exception {
    ProxyManager<String> storeA = RedisStores.lettuce(redis.connection());
    ProxyManager<String> storeB = RedisStores.lettuce(redis.connection());
    int keys = 200;
    List<CompletableFuture<Integer>> calls = new ArrayList<>();
    AtomicInteger[] passed = new AtomicInteger[keys];
    for (int k = 0; k < keys; k++) {
      passed[k] = new AtomicInteger();
      AtomicInteger count = passed[k];
      // Two replicas per key, each with its own limiter instance on its own connection.
      for (ProxyManager<String> store : List.of(storeA, storeB)) {
        DistributedLimiter limiter = DistributedLimiter.builder(store, "tenant-" + k)
            .configuration(perHour(3))
            .localLimit(1, Duration.ofHours(1))
            .storeTimeout(Duration.ofSeconds(30))
            .build();
        Policy policy = Policy.builder("tenant-" + k).rateLimiter(limiter).build();
        for (int i = 0; i < 3; i++) {
          calls.add(policy.callAsync(() -> CompletableFuture.completedFuture(
              count.incrementAndGet())).exceptionally(e -> -1));
        }
      }
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    for (int k = 0; k < keys; k++) {
      assertThat(passed[k]).as("tenant-" + k).hasValue(3);
    }
  }

  @Test
  void twoThousandConcurrentCallsOnOneHotKeyAreEachAnsweredByTheStore() throws Exception {
    ConcurrentLinkedQueue<LimiterModeChanged> changes = new ConcurrentLinkedQueue<>();
    // Batching is on by default: the concurrent requests share round trips instead of retrying
    // their compare-and-swap against each other.
    Policy policy = replica("hot", "hot-key", 1_500, changes);
    AtomicInteger upstream = new AtomicInteger();
    List<CompletableFuture<Integer>> calls = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      calls.add(policy.callAsync(() -> CompletableFuture.completedFuture(
          upstream.incrementAndGet())).exceptionally(e -> -1));
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    assertThat(upstream).hasValue(1_500);
    assertThat(calls.stream().filter(c -> c.join() == -1).count()).isEqualTo(500);
    assertThat(changes).isEmpty();
  }

  /** The two ways to call a policy. */
  enum Api {
    ASYNC {
      @Override
      <T> T call(Policy policy, java.util.function.Supplier<T> work) {
        try {
          return policy.callAsync(() -> CompletableFuture.completedFuture(work.get()))
              .get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (e.getCause() instanceof RuntimeException) {
            throw (RuntimeException) e.getCause();
          }
          throw new AssertionError(e.getCause());
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }
    },
    SYNC {
      @Override
      <T> T call(Policy policy, java.util.function.Supplier<T> work) {
        return policy.call(work::get);
      }
    },
    /** Sync and async calls in turn, racing each other on the same limiters. */
    MIXED {
      private final AtomicInteger calls = new AtomicInteger();

      @Override
      <T> T call(Policy policy, java.util.function.Supplier<T> work) {
        return (calls.getAndIncrement() & 1) == 0
            ? SYNC.call(policy, work) : ASYNC.call(policy, work);
      }
    };

    abstract <T> T call(Policy policy, java.util.function.Supplier<T> work);
  }
}
