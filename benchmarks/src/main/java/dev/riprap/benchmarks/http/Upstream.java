package dev.riprap.benchmarks.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A JDK {@link HttpServer} on 127.0.0.1 (never another interface) on a free port, answering every
 * request through one {@link Handler}. Its handler threads are daemons from a fixed pool large
 * enough that a slow answer never queues the others. Start the JVM with {@code
 * -Dsun.net.httpserver.nodelay=true}, or small answers wait for Nagle's algorithm.
 */
public final class Upstream implements AutoCloseable {
  /** Answers one exchange. */
  @FunctionalInterface
  public interface Handler {
    /**
     * Answers {@code exchange}; the request body has been read and discarded.
     *
     * @param exchange the exchange
     * @throws IOException when the answer cannot be written
     */
    void handle(HttpExchange exchange) throws IOException;
  }

  private final HttpServer server;
  private final ExecutorService threads;

  /**
   * Starts a server with {@code handlerThreads} handler threads.
   *
   * @param handlerThreads the pool size, at least 1
   * @param handler the answer
   * @throws IOException if the server cannot bind
   */
  public Upstream(int handlerThreads, Handler handler) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
    threads =
        Executors.newFixedThreadPool(
            handlerThreads,
            r -> {
              Thread t = new Thread(r, "upstream");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(threads);
    server.createContext(
        "/",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
          }
          try {
            handler.handle(exchange);
          } finally {
            exchange.close();
          }
        });
    server.start();
  }

  /**
   * The URI of {@code path} on this server.
   *
   * @param path an absolute path
   * @return {@code http://127.0.0.1:port/path}
   */
  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  /**
   * Writes a complete answer.
   *
   * @param exchange the exchange
   * @param status the status code
   * @param body the body, possibly empty
   * @throws IOException when the answer cannot be written
   */
  public static void answer(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
    try {
      threads.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
