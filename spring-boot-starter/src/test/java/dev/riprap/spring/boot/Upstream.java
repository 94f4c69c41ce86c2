package dev.riprap.spring.boot;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on 127.0.0.1 that counts what it receives, per path:
 *
 * <ul>
 *   <li>{@code /ok}: 200 {@code ok};
 *   <li>{@code /always-503}: 503 every time;
 *   <li>{@code /retry-after}: 503 with {@code Retry-After: 0} every time;
 *   <li>{@code /flaky}: 503 twice, then 200 {@code recovered};
 *   <li>{@code /hang}: answers only once {@link #release()} is called (or at close).
 * </ul>
 */
public final class Upstream implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final CountDownLatch released = new CountDownLatch(1);
  private final CountDownLatch hanging = new CountDownLatch(1);

  private Upstream(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  public static Upstream start() {
    try {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      ExecutorService executor =
          Executors.newCachedThreadPool(
              r -> {
                Thread t = new Thread(r, "upstream");
                t.setDaemon(true);
                return t;
              });
      server.setExecutor(executor);
      Upstream upstream = new Upstream(server, executor);
      server.createContext("/", upstream::handle);
      server.start();
      return upstream;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    int n = counts.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
    try (exchange) {
      switch (path) {
        case "/ok" -> send(exchange, 200, "ok");
        case "/always-503" -> send(exchange, 503, "down");
        case "/retry-after" -> {
          exchange.getResponseHeaders().set("Retry-After", "0");
          send(exchange, 503, "later");
        }
        case "/flaky" -> send(exchange, n <= 2 ? 503 : 200, n <= 2 ? "down" : "recovered");
        case "/hang" -> {
          hanging.countDown();
          try {
            released.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          send(exchange, 200, "late");
        }
        default -> send(exchange, 404, "no " + path);
      }
    }
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  public String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** How many requests arrived for {@code path}. */
  public int count(String path) {
    AtomicInteger c = counts.get(path);
    return c == null ? 0 : c.get();
  }

  /** Waits until a request to {@code /hang} arrived. */
  void awaitHanging() throws InterruptedException {
    if (!hanging.await(10, TimeUnit.SECONDS)) {
      throw new AssertionError("no request reached /hang");
    }
  }

  /** Lets {@code /hang} answer. */
  void release() {
    released.countDown();
  }

  @Override
  public void close() {
    release();
    server.stop(0);
    executor.shutdownNow();
  }
}
