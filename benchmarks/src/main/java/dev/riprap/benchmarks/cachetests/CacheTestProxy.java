package dev.riprap.benchmarks.cachetests;

import dev.riprap.benchmarks.cachetests.Http1Front.Field;
import dev.riprap.benchmarks.cachetests.Http1Front.Request;
import dev.riprap.benchmarks.cachetests.Http1Front.Response;
import dev.riprap.benchmarks.http.Args;
import dev.riprap.http.CacheSettings;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.ResilientHttpClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A reverse proxy in front of the HTTP cache test suite's origin (http-tests/cache-tests), for
 * {@code benchmarks/cache-tests/run.sh}: a small HTTP/1.1 server on 127.0.0.1 ({@link
 * Http1Front}) that sends every request (method, path and query, fields except the hop-by-hop
 * ones and {@code Host}, body) to the origin through one {@link ResilientHttpClient} and relays
 * its answer (status, fields except the hop-by-hop ones, body). The client's policy has no
 * retries and no breaker, so the suite sees the cache and nothing else of the pipeline.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.riprap.benchmarks.cachetests.CacheTestProxy \
 *     --origin http://127.0.0.1:8000 [--port 0] [--cache off] [--targeted none]
 *     [--max-seconds 1800]
 * </pre>
 *
 * <p>{@code --port 0} (the default) takes a free port. Once listening it prints {@code listening
 * on http://127.0.0.1:PORT} on standard output. It stops by itself after {@code --max-seconds}
 * (default 1800), or when the JVM is asked to end (SIGTERM). {@code --cache BYTES} turns on the
 * client's cache with {@link CacheSettings#of(long)} (its defaults: shared semantics, heuristic
 * freshness); {@code --cache off} (the default) relays without caching: the "no cache" baseline.
 * {@code --targeted CDN-Cache-Control} (comma-separated names, default {@code none}) adds {@link
 * CacheSettings#withTargetedFields}, the setting for a client used as a reverse proxy or CDN.
 * The cache writes {@code Age} on what it serves from storage (RFC 9111 section 5.1), so the proxy
 * relays it like any other field.
 *
 * <p>What a client of this proxy sees differently from the origin: interim (1xx) responses are
 * not relayed, since the JDK {@code HttpClient} under {@code ResilientHttpClient} does not hand
 * them over. The front is not the JDK {@code HttpServer}, which would write its own {@code Date}
 * over the one the cache relays.
 */
public final class CacheTestProxy implements AutoCloseable {
  /** Longest a request may take upstream; the suite's own client gives up after 10 s. */
  private static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(30);

  /** The JDK client's idle-connection timeout in seconds, read once when it is first used. */
  private static final String KEEP_ALIVE_PROPERTY = "jdk.httpclient.keepalive.timeout";

  private final Http1Front front;
  private final ResilientHttpClient client;
  private final URI origin;

  /**
   * Starts a proxy to {@code origin} on 127.0.0.1.
   *
   * @param port the port, 0 for a free one
   * @param origin the origin's base URI ({@code http://host:port}), no path
   * @param client the client every request goes through; closed with the proxy
   * @throws IOException if the port cannot be bound
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
    this.front = new Http1Front(port, this::relay);
  }

  /**
   * This proxy's base URI.
   *
   * @return {@code http://127.0.0.1:PORT}
   */
  public URI uri() {
    return URI.create("http://127.0.0.1:" + front.port());
  }

  /**
   * A client with no retries, no breaker and no probe wait, sending HTTP/1.1 and following no
   * redirects: what the suite measures is the client's cache.
   *
   * @param cacheBytes the cache's size in bytes, or a negative number for no cache
   * @param targeted the targeted cache-control fields the cache reads (RFC 9213, e.g. {@code
   *     CDN-Cache-Control}), in order; empty for none
   * @return the client
   * @throws IllegalArgumentException if {@code cacheBytes} is 0 or a field name is not valid
   */
  static ResilientHttpClient client(long cacheBytes, List<String> targeted) {
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
      builder.cache(
          CacheSettings.of(cacheBytes).withTargetedFields(targeted.toArray(String[]::new)));
    }
    return builder.build();
  }

  private Response relay(Request request) {
    HttpResponse<byte[]> answer;
    try {
      answer = client.send(forward(request), BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed(request, 503, "interrupted");
    } catch (IOException | RuntimeException e) {
      return failed(request, 502, e.toString());
    }
    return relayed(request, answer);
  }

  private HttpRequest forward(Request request) {
    String target = request.target();
    if (!target.startsWith("/")) { // absolute form: keep the path and query
      URI absolute = URI.create(target);
      target =
          (absolute.getRawPath() == null || absolute.getRawPath().isEmpty()
                  ? "/"
                  : absolute.getRawPath())
              + (absolute.getRawQuery() == null ? "" : "?" + absolute.getRawQuery());
    }
    HttpRequest.Builder out =
        HttpRequest.newBuilder(origin.resolve(target))
            .method(
                request.method(),
                request.body().length == 0
                    ? BodyPublishers.noBody()
                    : BodyPublishers.ofByteArray(request.body()));
    Set<String> skip = HopByHop.requestExclusions(values(request.fields(), "connection"));
    for (Field f : request.fields()) {
      if (!skip.contains(f.name().toLowerCase(Locale.ROOT))) {
        out.header(f.name(), f.value());
      }
    }
    return out.build();
  }

  private static Response relayed(Request request, HttpResponse<byte[]> answer) {
    Map<String, List<String>> fields = answer.headers().map();
    Set<String> skip =
        HopByHop.responseExclusions(answer.headers().allValues("connection"));
    List<Field> out = new ArrayList<>();
    fields.forEach(
        (name, values) -> {
          if (!name.startsWith(":") && !skip.contains(name.toLowerCase(Locale.ROOT))) {
            values.forEach(v -> out.add(new Field(name, v)));
          }
        });
    int status = answer.statusCode();
    if ("HEAD".equals(request.method()) || status == 304) {
      // No body follows, so the front writes no Content-Length: relay the origin's, if any.
      answer.headers().allValues("content-length").forEach(
          v -> out.add(new Field("Content-Length", v)));
    }
    return new Response(status, out, answer.body());
  }

  private static Response failed(Request request, int status, String why) {
    System.err.println(
        "cache-test-proxy: " + request.method() + " " + request.target() + ": " + why);
    return new Response(
        status,
        List.of(new Field("Content-Type", "text/plain; charset=utf-8")),
        (why + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> values(List<Field> fields, String name) {
    List<String> out = new ArrayList<>();
    for (Field f : fields) {
      if (f.name().equalsIgnoreCase(name)) {
        out.add(f.value());
      }
    }
    return out;
  }

  /** Stops the front (exchanges in flight end) and the client. */
  @Override
  public void close() {
    front.close();
    client.shutdownNow();
  }

  /**
   * Runs the proxy until {@code --max-seconds} pass or the JVM is asked to end.
   *
   * @param args {@code --origin URI} (required), {@code --port} (0), {@code --cache} ({@code off}
   *     or a size in bytes), {@code --targeted} ({@code none} or field names, comma-separated),
   *     {@code --max-seconds} (1800)
   * @throws Exception if the proxy cannot start
   */
  public static void main(String[] args) throws Exception {
    // The suite's origin (node) closes a connection idle for 5 s; the JDK client keeps one for
    // 30 s (1200 s on 17) and, sending on a connection the origin is closing, retries only GET
    // and HEAD: the suite's PUTs failed now and then. Idle connections are dropped after 2 s.
    if (System.getProperty(KEEP_ALIVE_PROPERTY) == null) {
      System.setProperty(KEEP_ALIVE_PROPERTY, "2");
    }
    Map<String, String> opts =
        Args.parse(
            args,
            Map.of(
                "origin", "", "port", "0", "cache", "off", "targeted", "none",
                "max-seconds", "1800"));
    if (opts.get("origin").isEmpty()) {
      throw new IllegalArgumentException("--origin is required, e.g. --origin http://127.0.0.1:8000");
    }
    long cacheBytes = "off".equals(opts.get("cache")) ? -1 : Long.parseLong(opts.get("cache"));
    List<String> targeted =
        "none".equals(opts.get("targeted")) ? List.of() : List.of(opts.get("targeted").split(","));
    long maxSeconds = Long.parseLong(opts.get("max-seconds"));
    CountDownLatch stop = new CountDownLatch(1);
    CacheTestProxy proxy =
        new CacheTestProxy(
            Integer.parseInt(opts.get("port")),
            URI.create(opts.get("origin")),
            client(cacheBytes, targeted));
    Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "cache-test-proxy-stop"));
    System.out.println(
        "listening on " + proxy.uri() + " (cache " + opts.get("cache") + ", targeted fields "
            + opts.get("targeted") + ")");
    System.out.flush();
    boolean asked = stop.await(maxSeconds, TimeUnit.SECONDS);
    proxy.close();
    if (!asked) {
      System.err.println("cache-test-proxy: stopped after --max-seconds " + maxSeconds);
    }
  }
}
