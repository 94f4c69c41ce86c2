package dev.riprap.bucket4j;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import redis.embedded.RedisServer;

/**
 * A real Redis server for the tests: the binary shipped in the embedded-redis jar, started on
 * 127.0.0.1 and a free port, without persistence, stopped by {@link #close()}. Nothing to install,
 * nothing for CI to start. Clients made here are shut down with it.
 */
final class LocalRedis implements AutoCloseable {
  final int port;
  private RedisServer server;
  private final List<RedisClient> clients = new ArrayList<>();
  private final List<ClientResources> resources = new ArrayList<>();

  private LocalRedis(int port) {
    this.port = port;
  }

  static LocalRedis start() {
    LocalRedis redis = new LocalRedis(freePort());
    redis.startServer();
    return redis;
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the server (again, after {@link #stopServer()}: a restart loses every key). */
  void startServer() {
    try {
      server = RedisServer.newRedisServer()
          .bind("127.0.0.1")
          .port(port)
          .setting("save \"\"")
          .setting("appendonly no")
          .build();
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void stopServer() {
    try {
      server.stop();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A new client, as a separate replica would have: its own event loop and connection. Lettuce
   * reconnects quickly here (at most 100 ms apart), so a restart test needs no long wait.
   */
  RedisClient client() {
    ClientResources resources = DefaultClientResources.builder()
        .ioThreadPoolSize(2)
        .computationThreadPoolSize(2)
        .reconnectDelay(Delay.constant(Duration.ofMillis(100)))
        .build();
    RedisClient client = RedisClient.create(resources, RedisURI.create("127.0.0.1", port));
    synchronized (clients) {
      clients.add(client);
      this.resources.add(resources);
    }
    return client;
  }

  StatefulRedisConnection<String, byte[]> connection() {
    return RedisStores.connect(client());
  }

  @Override
  public void close() {
    synchronized (clients) {
      for (RedisClient c : clients) {
        c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      }
      for (ClientResources r : resources) {
        r.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
      }
      clients.clear();
      resources.clear();
    }
    stopServer();
  }
}
