package dev.riprap.benchmarks.cachetests;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.riprap.benchmarks.http.Args;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.ResilientHttpClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A reverse proxy in front of the HTTP cache test suite's origin (http-tests/cache-tests), for
 * {@code benchmarks/cache-tests/run.sh}: a JDK {@link HttpServer} on 127.0.0.1 that sends every
 * request (method, path and query, fields except the hop-by-hop ones, body) to the origin through
 * one {@link ResilientHttpClient} and relays its answer (status, fields except the hop-by-hop
 * ones, body). The client's policy has no retries and no breaker, so the suite sees the cache and
 * nothing else of the pipeline.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.riprap.benchmarks.cachetests.CacheTestProxy \
 *     --origin http://127.0.0.1:8000 [--port 0] [--cache off] [--max-seconds 1800]
 * </pre>
 *
 * <p>{@code --port 0} (the default) takes a free port. Once listening it prints {@code listening
 * on http://127.0.0.1:PORT} on standard output. It stops by itself after {@code --max-seconds}
 * (default 1800), or when the JVM is asked to end (SIGTERM). {@code --cache off} (the default on a
 * client without a cache) relays without caching: the "no cache" baseline.
 *
 * <p>What a client of this proxy sees differently from the origin: the JDK server writes its own
 * {@code Date} on every response (the suite does not compare {@code Date}); interim (1xx)
 * responses are not relayed, neither the JDK client nor the JDK server handing them over.
 */
public final class CacheTestProxy implements AutoCloseable {
  /** Longest a request may take upstream; the suite's own client gives up after 10 s. */
  private static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(30);

  private final HttpServer server;
  private final ExecutorService threads;
  private final ResilientHttpClient client;
  private final URI origin;

  /**
   * Starts a proxy to {@code origin} on 127.0.0.1.
   *
   * @param port the port, 0 for a free one
   * @param origin the origin's base URI ({@code http://host:port}), no path
   * @param client the client every request goes through; closed with the proxy
   * @throws IOException if the server cannot bind
   * @throws IllegalArgumentException if {@code origin} has a path, query or fragment, or is not
   *     http
   */
  public CacheTestProxy(int port, URI origin, ResilientHttpClient client) throws IOException {
    if (!"http".equals(origin.getScheme())
        || origin.getHost() == null
        || !(origin.getRawPath() == null || origin.getRawPath().isEmpty())
        || origin.getRawQuery() != null
        || origin.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "origin must be http://host[:port] with no path, query or fragment, was " + origin);
    }
    this.origin = origin;
    this.client = client;
    threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "cache-test-proxy");
              t.setDaemon(true);
              return t;
            });
    server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
    server.setExecutor(threads);
    server.createContext("/", this::relay);
    server.start();
  }

  /**
   * This proxy's base URI.
   *
   * @return {@code http://127.0.0.1:PORT}
   */
  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /**
   * A client with no retries, no breaker and no probe wait, sending HTTP/1.1 and following no
   * redirects: what the suite measures is the client's cache.
   *
   * @param cacheBytes the cache's size in bytes, or a negative number for no cache
   * @return the client
   */
  static ResilientHttpClient client(long cacheBytes) {
    HttpPolicy relay =
        HttpPolicy.builder("cache-tests")
            .maxRetries(0)
            .noCircuitBreaker()
            .attemptTimeout(UPSTREAM_TIMEOUT)
            .totalTimeout(UPSTREAM_TIMEOUT)
            .build();
    HttpClient delegate =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    ResilientHttpClient.Builder builder =
        ResilientHttpClient.builder().delegate(delegate).policy(relay);
    if (cacheBytes >= 0) {
      throw new IllegalArgumentException(
          "this build of riprap-http has no cache; run with --cache off");
    }
    return builder.build();
  }

  private void relay(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      HttpResponse<byte[]> answer;
      try {
        answer = client.send(forward(exchange, body), BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail(exchange, 503, "interrupted");
        return;
      } catch (IOException | RuntimeException e) {
        fail(exchange, 502, e.toString());
        return;
      }
      respond(exchange, answer);
    }
  }

  private HttpRequest forward(HttpExchange exchange, byte[] body) {
    URI in = exchange.getRequestURI();
    String target =
        (in.getRawPath() == null ? "/" : in.getRawPath())
            + (in.getRawQuery() == null ? "" : "?" + in.getRawQuery());
    HttpRequest.Builder out =
        HttpRequest.newBuilder(origin.resolve(target))
            .method(
                exchange.getRequestMethod(),
                body.length == 0 ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(body));
    Map<String, List<String>> fields = exchange.getRequestHeaders();
    Set<String> skip = HopByHop.requestExclusions(fields);
    fields.forEach(
        (name, values) -> {
          if (!skip.contains(name.toLowerCase(Locale.ROOT))) {
            values.forEach(value -> out.header(name, value));
          }
        });
    return out.build();
  }

  private static void respond(HttpExchange exchange, HttpResponse<byte[]> answer)
      throws IOException {
    Map<String, List<String>> fields = answer.headers().map();
    Set<String> skip = HopByHop.responseExclusions(fields);
    fields.forEach(
        (name, values) -> {
          if (!name.startsWith(":") && !skip.contains(name.toLowerCase(Locale.ROOT))) {
            exchange.getResponseHeaders().put(name, List.copyOf(values));
          }
        });
    int status = answer.statusCode();
    byte[] body = answer.body();
    boolean bodiless =
        "HEAD".equals(exchange.getRequestMethod())
            || status == 204
            || status == 304
            || status < 200;
    if (bodiless) {
      // The JDK server writes no Content-Length for these: relay the origin's as it came.
      answer
          .headers()
          .firstValue("content-length")
          .filter(length -> status != 204 && status >= 200)
          .ifPresent(length -> exchange.getResponseHeaders().set("Content-Length", length));
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static void fail(HttpExchange exchange, int status, String why) throws IOException {
    System.err.println(
        "cache-test-proxy: " + exchange.getRequestMethod() + " " + exchange.getRequestURI()
            + ": " + why);
    byte[] text = (why + "\n").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(status, text.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(text);
    }
  }

  /** Stops the server (no wait for exchanges in flight), its threads, and the client. */
  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
    client.shutdownNow();
  }

  /**
   * Runs the proxy until {@code --max-seconds} pass or the JVM is asked to end.
   *
   * @param args {@code --origin URI} (required), {@code --port} (0), {@code --cache} ({@code off}
   *     or a size in bytes), {@code --max-seconds} (1800)
   * @throws Exception if the proxy cannot start
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts =
        Args.parse(
            args, Map.of("origin", "", "port", "0", "cache", "off", "max-seconds", "1800"));
    if (opts.get("origin").isEmpty()) {
      throw new IllegalArgumentException("--origin is required, e.g. --origin http://127.0.0.1:8000");
    }
    long cacheBytes = "off".equals(opts.get("cache")) ? -1 : Long.parseLong(opts.get("cache"));
    long maxSeconds = Long.parseLong(opts.get("max-seconds"));
    CountDownLatch stop = new CountDownLatch(1);
    CacheTestProxy proxy =
        new CacheTestProxy(
            Integer.parseInt(opts.get("port")),
            URI.create(opts.get("origin")),
            client(cacheBytes));
    Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "cache-test-proxy-stop"));
    System.out.println("listening on " + proxy.uri() + " (cache " + opts.get("cache") + ")");
    System.out.flush();
    boolean asked = stop.await(maxSeconds, TimeUnit.SECONDS);
    proxy.close();
    if (!asked) {
      System.err.println("cache-test-proxy: stopped after --max-seconds " + maxSeconds);
    }
  }
}
