package dev.riprap.benchmarks.http;

import dev.riprap.http.ResilientHttpClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What a cache hit costs against the request it spares: a GET of a 64 B body from a JDK {@code
 * HttpServer} on 127.0.0.1 with the raw JDK {@code HttpClient}, and the same GET answered from
 * {@code ResilientHttpClient}'s cache (the response says {@code max-age=3600}, so after the first
 * request every one is a fresh hit: the body handler is fed the stored bytes, nothing is sent).
 * Run with {@code -Dsun.net.httpserver.nodelay=true}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CacheHitBenchmark {
  private static final byte[] BODY = "x".repeat(64).getBytes(StandardCharsets.UTF_8);

  private Upstream upstream;
  private HttpClient raw;
  private ResilientHttpClient cached;
  private HttpRequest request;

  /** Starts the server and the two clients, and stores the one response. */
  @Setup
  public void setUp() throws Exception {
    upstream = new Upstream(4, exchange -> {
      exchange.getResponseHeaders().add("Cache-Control", "max-age=3600");
      exchange.sendResponseHeaders(200, BODY.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(BODY);
      }
    });
    raw = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    cached = ResilientHttpClient.builder()
        .delegate(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build())
        .cache(16 * 1024 * 1024)
        .build();
    request = HttpRequest.newBuilder(upstream.uri("/page")).build();
    if (cached.send(request, HttpResponse.BodyHandlers.ofByteArray()).body().length
        != BODY.length) {
      throw new IllegalStateException("the first response did not arrive whole");
    }
  }

  /** Stops the server. */
  @TearDown
  public void tearDown() {
    upstream.close();
  }

  /**
   * One GET through the raw JDK client, sent to the server.
   *
   * @return the body
   * @throws IOException if the request fails
   * @throws InterruptedException if interrupted
   */
  @Benchmark
  public byte[] rawLoopbackRequest() throws IOException, InterruptedException {
    return raw.send(request, HttpResponse.BodyHandlers.ofByteArray()).body();
  }

  /**
   * The same GET answered from the cache.
   *
   * @return the body
   * @throws IOException if the request fails
   * @throws InterruptedException if interrupted
   */
  @Benchmark
  public byte[] cacheHit() throws IOException, InterruptedException {
    return cached.send(request, HttpResponse.BodyHandlers.ofByteArray()).body();
  }
}
