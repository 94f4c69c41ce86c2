package dev.riprap.lifecycle;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.riprap.DrainReport;
import dev.riprap.ShutdownGate;
import dev.riprap.TimeSource;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * Graceful drain for a JDK {@link HttpServer}: a filter that counts the exchanges in flight and,
 * once draining, answers new ones with {@code 503 Service Unavailable} and {@code Connection:
 * close}; and a {@link #stop(Duration)} that returns as soon as the last exchange in flight has
 * finished, instead of always waiting out {@code HttpServer.stop(delay)}'s delay.
 *
 * <pre>{@code
 * HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 8080), 0);
 * server.setExecutor(Executors.newFixedThreadPool(16)); // handlers run in parallel
 * HttpServerDrain drain = HttpServerDrain.of(server);
 * drain.createContext("/orders", ordersHandler);          // counted, 503 once draining
 * server.createContext("/health/ready", readinessHandler); // not counted: probes keep answering
 * server.start();
 * ...
 * DrainReport report = drain.stop(Duration.ofSeconds(20));
 * }</pre>
 *
 * <p>An exchange counts from the moment the filter admits it until its handler returns, so handlers
 * must write and close the response before returning (the JDK server's usual synchronous style).
 * Health endpoints should be left without the filter, so readiness and liveness probes still get
 * answers while the server drains. Counting is race-free (a {@link ShutdownGate}): an exchange is
 * either admitted before the drain began, and waited for, or answered 503. Thread-safe.
 */
public final class HttpServerDrain implements Drainable {
  private static final byte[] BODY =
      "503 Service Unavailable: shutting down\n".getBytes(StandardCharsets.UTF_8);

  private final HttpServer server;
  private final ShutdownGate gate;
  private final Filter filter = new DrainFilter();
  /** Exchanges in flight when the server stopped accepting; -1 before that. */
  private int inFlightWhenStopped = -1;

  /**
   * Drain support for {@code server}, timed by {@code timeSource}.
   *
   * @param server the server; contexts get the filter through {@link #createContext} or {@link
   *     #filter()}
   * @param timeSource measures the drain deadline
   */
  public HttpServerDrain(HttpServer server, TimeSource timeSource) {
    this.server = Objects.requireNonNull(server, "server");
    this.gate = new ShutdownGate(Objects.requireNonNull(timeSource, "timeSource"));
  }

  /**
   * Drain support for {@code server} on the system time source.
   *
   * @param server the server
   * @return the drain support
   */
  public static HttpServerDrain of(HttpServer server) {
    return new HttpServerDrain(server, TimeSource.system());
  }

  /**
   * The counting filter, to add to contexts created elsewhere: {@code
   * context.getFilters().add(drain.filter())}. One filter instance serves every context.
   *
   * @return the filter
   */
  public Filter filter() {
    return filter;
  }

  /**
   * Creates a context on the server with the counting filter installed.
   *
   * @param path the context path, as for {@link HttpServer#createContext(String, HttpHandler)}
   * @param handler the handler
   * @return the context
   * @throws IllegalArgumentException if the path is invalid or already taken (from the server)
   */
  public HttpContext createContext(String path, HttpHandler handler) {
    HttpContext context = server.createContext(path, handler);
    context.getFilters().add(filter);
    return context;
  }

  /**
   * The exchanges in flight now.
   *
   * @return the count
   */
  public int inFlight() {
    return gate.inFlight();
  }

  /**
   * Whether new exchanges are being refused.
   *
   * @return {@code true} once {@link #stopAccepting()}, {@link #drain} or {@link #stop} was called
   */
  public boolean isDraining() {
    return gate.isDraining();
  }

  /**
   * From now on, answers new exchanges with 503 and {@code Connection: close} (so keep-alive clients
   * reconnect elsewhere). Exchanges in flight carry on. Does not wait. The listening socket stays
   * open until {@link #stop}, so late clients get a clean 503 rather than a refused connection.
   */
  public void stopAccepting() {
    try {
      drain(Duration.ZERO);
    } catch (InterruptedException e) {
      // A zero wait can only throw when the caller was already interrupted: keep the flag.
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops accepting (as {@link #stopAccepting()}) and waits until no exchange is in flight or
   * {@code timeout} passes. Returns at once when idle. The server keeps listening. The report
   * counts from the moment the server stopped accepting, even if that was an earlier call.
   *
   * @param timeout the longest wait, zero or more
   * @return exchanges in flight when the server stopped accepting, finished since, and still
   *     running
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws InterruptedException if interrupted while waiting
   */
  @Override
  public DrainReport drain(Duration timeout) throws InterruptedException {
    boolean first;
    synchronized (this) {
      first = inFlightWhenStopped < 0;
      if (first) {
        // Only the first drain flips the gate; record what was in flight at that moment.
        DrainReport r = gate.drain(Duration.ZERO);
        inFlightWhenStopped = r.inFlightAtStart();
      }
    }
    DrainReport r = gate.drain(timeout);
    int atStop;
    synchronized (this) {
      atStop = inFlightWhenStopped;
    }
    // No exchange is admitted after the stop, so whatever is not running any more has completed.
    return new DrainReport(
        atStop, atStop - r.stillRunning(), 0, r.stillRunning(), r.took());
  }

  /**
   * Drains (as {@link #drain(Duration)}) and then stops the server with {@code HttpServer.stop(0)}:
   * the listening socket and the idle connections are closed at once, since nothing is in flight
   * any more. If the deadline passed with exchanges still running, they are cut off by the stop and
   * the report says how many.
   *
   * @param timeout the longest wait for exchanges in flight, zero or more
   * @return the drain report
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws InterruptedException if interrupted while waiting (the server is still stopped)
   */
  public DrainReport stop(Duration timeout) throws InterruptedException {
    try {
      return drain(timeout);
    } finally {
      server.stop(0);
    }
  }

  private final class DrainFilter extends Filter {
    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
      if (!gate.tryEnter()) {
        refuse(exchange);
        return;
      }
      try {
        chain.doFilter(exchange);
      } finally {
        gate.exit();
      }
    }

    @Override
    public String description() {
      return "Riprap drain: counts exchanges in flight, answers 503 once draining";
    }
  }

  private static void refuse(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("Connection", "close");
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(503, BODY.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(BODY);
      }
    }
  }
}
