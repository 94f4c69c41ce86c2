package dev.riprap.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JDK HttpServer on 127.0.0.1 whose answers a test scripts, recording each request's method and
 * the client port it came from (one port per connection).
 */
final class Upstream implements AutoCloseable {
  /** Answers one request. */
  interface Script {
    Answer answer(int n, HttpExchange exchange);
  }

  record Answer(int status, String body, String... headers) {}

  final List<String> methods = new CopyOnWriteArrayList<>();
  final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
  final AtomicInteger requests = new AtomicInteger();
  private final HttpServer server;
  private final ExecutorService executor;
  private volatile Script script;

  Upstream(Script script) throws IOException {
    this.script = script;
    AtomicInteger threads = new AtomicInteger();
    executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "upstream-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  void script(Script script) {
    this.script = script;
  }

  private void handle(HttpExchange exchange) throws IOException {
    int n = requests.incrementAndGet();
    methods.add(exchange.getRequestMethod());
    clientPorts.add(exchange.getRemoteAddress().getPort());
    exchange.getRequestBody().readAllBytes();
    Answer a = script.answer(n, exchange);
    for (int i = 0; i + 1 < a.headers().length; i += 2) {
      exchange.getResponseHeaders().add(a.headers()[i], a.headers()[i + 1]);
    }
    byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(a.status(), body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
