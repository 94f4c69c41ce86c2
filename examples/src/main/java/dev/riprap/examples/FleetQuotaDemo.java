package dev.riprap.examples;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.bucket4j.DistributedLimiter;
import dev.riprap.bucket4j.RedisStores;
import dev.riprap.event.LimiterModeChanged;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import redis.embedded.RedisServer;

/**
 * Three replicas of a service share one quota of 100 calls a second to one upstream, through
 * Redis: each replica is a separate client (its own Lettuce client, event loop, connection,
 * limiter and policy), as three JVMs would be. The upstream counts what it receives each second.
 * Then Redis stops for three seconds (each replica falls back to its local share, 34 a second) and
 * starts again (the shared quota decides again).
 *
 * <p>Run it with {@code ./mvnw -q -pl examples -am package exec:java -DskipTests
 * -Dexec.mainClass=dev.riprap.examples.FleetQuotaDemo}. It starts a Redis server of its own on
 * 127.0.0.1 (the binary in the embedded-redis jar); {@code -Dredis=redis://host:6379} uses an
 * existing one instead (and skips the outage, which needs a server it can stop). It ends by itself
 * in about 12 seconds.
 */
public final class FleetQuotaDemo {
  private static final int QUOTA_PER_SECOND = 100;
  private static final int REPLICAS = 3;
  private static final int WORKERS_PER_REPLICA = 2;

  private FleetQuotaDemo() {}

  /** The upstream: counts the calls it receives, per second of the demo. */
  static final class Upstream {
    private volatile long start = System.nanoTime();
    private final AtomicInteger[] perSecond = new AtomicInteger[60];

    Upstream() {
      for (int i = 0; i < perSecond.length; i++) {
        perSecond[i] = new AtomicInteger();
      }
    }

    /** Second 1 starts now (the replicas are ready). */
    void begin() {
      start = System.nanoTime();
    }

    String receive() {
      int second = (int) ((System.nanoTime() - start) / 1_000_000_000L);
      perSecond[Math.min(second, perSecond.length - 1)].incrementAndGet();
      return "ok";
    }

    int receivedIn(int second) {
      return perSecond[second].get();
    }

    int second() {
      return (int) ((System.nanoTime() - start) / 1_000_000_000L);
    }
  }

  /** One replica: its own Redis client and connection, limiter, policy and workers. */
  static final class Replica {
    final String name;
    final ClientResources resources;
    final RedisClient client;
    final StatefulRedisConnection<String, byte[]> connection;
    final DistributedLimiter limiter;
    final Policy policy;
    final AtomicInteger admitted = new AtomicInteger();
    final AtomicInteger rejected = new AtomicInteger();
    final AtomicInteger rejectedInAll = new AtomicInteger();
    final List<Thread> workers = new ArrayList<>();
    volatile boolean running = true;

    Replica(String name, RedisURI uri, Upstream upstream) {
      this.name = name;
      // Reconnect every 100 ms, so the demo's restart is picked up at once.
      this.resources = DefaultClientResources.builder()
          .reconnectDelay(Delay.constant(Duration.ofMillis(100))).build();
      this.client = RedisClient.create(resources, uri);
      this.connection = RedisStores.connect(client);
      this.limiter = DistributedLimiter.builder(RedisStores.lettuce(connection), "riprap:upstream")
          .limit(QUOTA_PER_SECOND, Duration.ofSeconds(1))
          .replicas(REPLICAS)
          // Six busy threads and three clients on a small machine, JIT still warming up: a
          // production service keeps the 50 ms default.
          .storeTimeout(Duration.ofMillis(250))
          .build();
      this.policy = Policy.builder(name).rateLimiter(limiter).build();
      policy.events().subscribe(LimiterModeChanged.class, e -> System.out.printf(
          Locale.ROOT, "    %s: %s decides now (%s)%n", name, e.mode(), e.reason()));
      for (int w = 0; w < WORKERS_PER_REPLICA; w++) {
        Thread t = new Thread(() -> work(upstream), name + "-worker-" + w);
        t.setDaemon(true);
        workers.add(t);
      }
    }

    /** Offers about 80 calls a second per worker: 480 a second in all, against a quota of 100. */
    private void work(Upstream upstream) {
      while (running) {
        try {
          policy.call(upstream::receive);
          admitted.incrementAndGet();
        } catch (RejectedException e) {
          rejected.incrementAndGet();
          rejectedInAll.incrementAndGet();
        }
        try {
          Thread.sleep(12);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void start() {
      workers.forEach(Thread::start);
    }

    void stop() throws InterruptedException {
      running = false;
      for (Thread t : workers) {
        t.join(TimeUnit.SECONDS.toMillis(5));
      }
      connection.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
  }

  /**
   * Runs the demo.
   *
   * @param args unused
   * @throws Exception if Redis cannot be started
   */
  public static void main(String[] args) throws Exception {
    String given = System.getProperty("redis");
    RedisServer server = null;
    RedisURI uri;
    int port = 0;
    if (given == null) {
      port = freePort();
      server = startRedis(port);
      uri = RedisURI.create("127.0.0.1", port);
      System.out.println("Started a Redis server on 127.0.0.1:" + port);
    } else {
      uri = RedisURI.create(given);
    }
    Upstream upstream = new Upstream();
    List<Replica> replicas = new ArrayList<>();
    for (int i = 1; i <= REPLICAS; i++) {
      replicas.add(new Replica("replica-" + i, uri, upstream));
    }
    System.out.printf(Locale.ROOT, "%d replicas, %d workers each, share %d calls/s to one"
        + " upstream (burst %d: the first second may pass up to twice the rate)%n",
        REPLICAS, WORKERS_PER_REPLICA, QUOTA_PER_SECOND, QUOTA_PER_SECOND);
    // A replica's first store request pays for class loading and the first script on a cold JVM
    // (longer than the store timeout here): each replica makes one before the clock starts.
    for (Replica r : replicas) {
      r.limiter.acquireAsync(Long.MAX_VALUE).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    upstream.begin();
    replicas.forEach(Replica::start);
    try {
      report(upstream, replicas, 0, 4, "Redis up: the shared quota decides");
      if (server != null) {
        server.stop();
        System.out.println("  Redis stopped");
        report(upstream, replicas, 4, 7,
            "Redis down: each replica's local share (" + ceilDiv(QUOTA_PER_SECOND, REPLICAS)
                + "/s) decides");
        server = startRedis(port);
        System.out.println("  Redis started again (empty: the bucket starts full)");
        report(upstream, replicas, 7, 11, "Redis back: the shared quota decides again");
      }
    } finally {
      for (Replica r : replicas) {
        r.stop();
      }
      if (server != null) {
        server.stop();
      }
    }
    System.out.println();
    for (Replica r : replicas) {
      System.out.printf(Locale.ROOT, "%s: %d calls passed, %d rate limited, mode %s%n",
          r.name, r.admitted.get(), r.rejectedInAll.get(), r.limiter.mode());
    }
  }

  /** Prints what the upstream received in each second from {@code from} until {@code until}. */
  private static void report(Upstream upstream, List<Replica> replicas, int from, int until,
      String phase) throws InterruptedException {
    System.out.println(phase);
    for (int second = from; second < until; second++) {
      while (upstream.second() <= second) {
        Thread.sleep(20);
      }
      int rejected = 0;
      for (Replica r : replicas) {
        rejected += r.rejected.getAndSet(0);
      }
      System.out.printf(Locale.ROOT,
          "  second %2d: the upstream received %3d calls; %3d were rate limited%n",
          second + 1, upstream.receivedIn(second), rejected);
    }
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  private static RedisServer startRedis(int port) throws IOException {
    RedisServer server = RedisServer.newRedisServer()
        .bind("127.0.0.1")
        .port(port)
        .setting("save \"\"")
        .setting("appendonly no")
        .build();
    server.start();
    return server;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
