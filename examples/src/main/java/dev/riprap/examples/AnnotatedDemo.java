package dev.riprap.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.riprap.annotation.Fallback;
import dev.riprap.annotation.Retry;
import dev.riprap.annotation.Timeout;
import dev.riprap.http.Body;
import dev.riprap.http.GET;
import dev.riprap.http.HttpApi;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.HttpStatusException;
import dev.riprap.http.Idempotent;
import dev.riprap.http.POST;
import dev.riprap.http.Path;
import dev.riprap.http.Query;
import dev.riprap.http.ResilientHttpClient;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A declarative HTTP client with resilience annotations, against a local quote service that
 * misbehaves on purpose: a 503 the client retries, a 404 a fallback answers, a query that needs
 * encoding, and an idempotent POST retried with one {@code Idempotency-Key}. Self-contained (its own
 * JDK {@code HttpServer} on 127.0.0.1), done in well under a second, and leaves no thread running.
 */
public final class AnnotatedDemo {
  private AnnotatedDemo() {}

  /** The quote service as its callers see it: one annotated interface, no implementation. */
  public interface Quotes {
    /**
     * The quote of a symbol, or a fallback text when the service answers with an error status.
     *
     * @param symbol the ticker symbol
     * @return the quote line
     */
    @GET("/quotes/{symbol}")
    @Timeout("10s")
    @Fallback(method = "noQuote", on = HttpStatusException.class)
    String quote(@Path("symbol") String symbol);

    /**
     * Searches symbols by name.
     *
     * @param query free text, encoded by the client
     * @return the service's answer
     */
    @GET("/quotes")
    String search(@Query("q") String query);

    /**
     * Places an order; safe to resend, so the client may retry it.
     *
     * @param order the order line
     * @return the confirmation
     */
    @POST("/orders")
    @Idempotent
    @Retry(maxAttempts = 2, delay = "50ms", maxDelay = "50ms")
    String order(@Body String order);

    /**
     * The fallback of {@link #quote}: same parameters plus the failure.
     *
     * @param symbol the ticker symbol
     * @param failure the error answer
     * @return a line saying there is no quote, and why
     */
    default String noQuote(String symbol, HttpStatusException failure) {
      return symbol + ": no quote (" + failure.statusCode() + " " + failure.bodyAsString() + ")";
    }
  }

  /**
   * Runs the demo, printing what happens to {@code out}.
   *
   * @param out where to print
   * @throws UncheckedIOException if the local server cannot start
   */
  public static void run(PrintStream out) {
    AtomicInteger acmeCalls = new AtomicInteger();
    List<String> orderKeys = new CopyOnWriteArrayList<>();
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext(
        "/quotes",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          if (path.equals("/quotes")) {
            answer(exchange, 200, "matches for '" + exchange.getRequestURI().getQuery() + "': ACME");
          } else if (path.equals("/quotes/ACME")) {
            boolean first = acmeCalls.incrementAndGet() == 1;
            answer(exchange, first ? 503 : 200, first ? "warming up" : "ACME 42.17");
          } else {
            answer(exchange, 404, "delisted");
          }
        });
    server.createContext(
        "/orders",
        exchange -> {
          orderKeys.add(String.valueOf(exchange.getRequestHeaders().getFirst("Idempotency-Key")));
          String order = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          if (orderKeys.size() == 1) {
            answer(exchange, 503, "busy");
          } else {
            answer(exchange, 201, "accepted: " + order);
          }
        });
    server.start();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    HttpClient plain =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(pool).build();
    try (ResilientHttpClient client =
        ResilientHttpClient.builder()
            .delegate(plain)
            .policy(
                HttpPolicy.builder("quotes")
                    .maxRetries(2)
                    .backoff(Duration.ofMillis(20), Duration.ofMillis(100))
                    .build())
            .build()) {
      URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
      Quotes quotes = HttpApi.builder(client, base).withoutCodec().build().create(Quotes.class);

      out.println("[annotated] quote(ACME)   -> " + quotes.quote("ACME")
          + "   (server saw " + acmeCalls.get() + " requests: a 503, then the client's retry)");
      out.println("[annotated] quote(ZZZZ)   -> " + quotes.quote("ZZZZ") + "   (the @Fallback)");
      out.println("[annotated] search(...)   -> " + quotes.search("blue chips & co/ltd"));
      String confirmation = quotes.order("10 ACME @ 42");
      out.println("[annotated] order(...)    -> " + confirmation + "   (" + orderKeys.size()
          + " attempts, " + orderKeys.stream().distinct().count() + " Idempotency-Key)");
    } finally {
      server.stop(0);
      pool.shutdownNow();
      try {
        pool.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=UTF-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = exchange.getResponseBody()) {
      os.write(bytes);
    }
  }

  /**
   * Runs the demo on standard output.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    run(System.out);
  }
}
