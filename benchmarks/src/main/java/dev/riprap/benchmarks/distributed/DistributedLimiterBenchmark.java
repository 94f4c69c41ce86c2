package dev.riprap.benchmarks.distributed;

import dev.riprap.Policy;
import dev.riprap.ThrowingSupplier;
import dev.riprap.bucket4j.DistributedLimiter;
import dev.riprap.bucket4j.RedisStores;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import redis.embedded.RedisServer;

/**
 * The per-call cost of a fleet-wide rate limit: a policy whose limiter is a {@link
 * DistributedLimiter} on a real Redis (started here on 127.0.0.1), sync and async, against the same
 * policy on a local resilience4j limiter, and against Bucket4j's proxy bucket used directly (the
 * floor: one store round trip). The quota is large enough never to refuse, so every row measures
 * the success path. Not part of {@code benchmarks/run.sh} (it needs a Redis server and measures
 * the loopback as much as the code); run it alone:
 *
 * <pre>
 * ./mvnw -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar DistributedLimiterBenchmark -f 1 -wi 2 -i 3 -t 1
 * java -jar benchmarks/target/benchmarks.jar DistributedLimiterBenchmark -f 1 -wi 2 -i 3 -t 4
 * </pre>
 *
 * <p>With several threads, Bucket4j's batching (on in the limiter, and in the {@code
 * bucket4jBatched} row) merges the concurrent requests of one JVM into one round trip.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DistributedLimiterBenchmark {
  /** Never refuses within a benchmark: every row is the success path. */
  private static final long QUOTA_PER_SECOND = 1_000_000_000L;

  private RedisServer server;
  private RedisClient client;
  private StatefulRedisConnection<String, byte[]> connection;
  private Policy distributed;
  private Policy local;
  private BucketProxy bucket4j;
  private BucketProxy bucket4jBatched;
  private AsyncBucketProxy bucket4jAsync;
  private final ThrowingSupplier<Object, RuntimeException> work = () -> Boolean.TRUE;

  /**
   * Starts Redis and builds the variants.
   *
   * @throws IOException if Redis cannot start
   */
  @Setup(Level.Trial)
  public void setUp() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    server = RedisServer.newRedisServer().bind("127.0.0.1").port(port)
        .setting("save \"\"").setting("appendonly no").build();
    server.start();
    client = RedisClient.create(RedisURI.create("127.0.0.1", port));
    connection = RedisStores.connect(client);
    ProxyManager<String> store = RedisStores.lettuce(connection);
    DistributedLimiter limiter = DistributedLimiter.builder(store, "bench:policy")
        .limit(QUOTA_PER_SECOND, Duration.ofSeconds(1))
        // Generous: a benchmark measures cost, not the fail mode.
        .storeTimeout(Duration.ofSeconds(10))
        .build();
    distributed = Policy.builder("distributed").rateLimiter(limiter).build();
    local = Policy.builder("local")
        .rateLimiter(RateLimiterConfig.custom()
            .limitForPeriod(Integer.MAX_VALUE)
            .limitRefreshPeriod(Duration.ofSeconds(1))
            .timeoutDuration(Duration.ZERO)
            .build())
        .build();
    BucketConfiguration config = BucketConfiguration.builder()
        .addLimit(l -> l.capacity(QUOTA_PER_SECOND).refillGreedy(QUOTA_PER_SECOND,
            Duration.ofSeconds(1)))
        .build();
    bucket4j = store.builder().build("bench:direct", config);
    bucket4jBatched =
        store.builder().withOptimization(Optimizations.batching()).build("bench:batched", config);
    bucket4jAsync = store.asAsync().builder().build("bench:async", config);
  }

  /** Stops the client and Redis. */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    server.stop();
  }

  /**
   * A policy with the distributed limiter, sync: one store round trip per call.
   *
   * @return the call's result
   */
  @Benchmark
  public Object policyDistributedSync() {
    return distributed.call(work);
  }

  /**
   * A policy with the distributed limiter, async, joined.
   *
   * @return the call's result
   */
  @Benchmark
  public Object policyDistributedAsync() {
    return distributed.callAsync(() -> CompletableFuture.completedFuture(Boolean.TRUE)).join();
  }

  /**
   * The same policy on a local resilience4j limiter: what the store adds is the difference.
   *
   * @return the call's result
   */
  @Benchmark
  public Object policyLocalLimiter() {
    return local.call(work);
  }

  /**
   * Bucket4j's proxy bucket used directly, no optimization: the floor for one token.
   *
   * @return whether a token was taken
   */
  @Benchmark
  public boolean bucket4jDirect() {
    return bucket4j.tryConsume(1);
  }

  /**
   * Bucket4j's proxy bucket with batching, as the limiter uses it.
   *
   * @return whether a token was taken
   */
  @Benchmark
  public boolean bucket4jBatched() {
    return bucket4jBatched.tryConsume(1);
  }

  /**
   * Bucket4j's async proxy bucket, joined.
   *
   * @return whether a token was taken
   */
  @Benchmark
  public boolean bucket4jAsync() {
    return bucket4jAsync.tryConsume(1).join();
  }
}
