package dev.riprap.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.ShutdownGate;
import dev.riprap.health.HealthHandlers;
import dev.riprap.health.HealthMonitor;
import dev.riprap.lifecycle.GracefulShutdown;
import dev.riprap.lifecycle.HttpServerDrain;
import dev.riprap.lifecycle.ShutdownReport;
import dev.riprap.lifecycle.Supervisor;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.HttpRejectedException;
import dev.riprap.http.ResilientHttpClient;
import dev.riprap.micrometer.HttpClientMetrics;
import dev.riprap.micrometer.MeteredHttpClient;
import dev.riprap.micrometer.RiprapMetrics;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.RetryConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A small service on the JDK {@link HttpServer} that shows the operations side of Riprap end to
 * end: it answers {@code GET /stock?sku=...} by calling a downstream inventory service through a
 * {@link Policy}, and {@code GET /price?sku=...} through a {@code ResilientHttpClient}, exposes {@code /health/live}, {@code /health/ready}, {@code /health} and a
 * Prometheus {@code /metrics}, runs a supervised background worker, and on Ctrl-C or SIGTERM shuts
 * down gracefully, finishing every request in flight.
 *
 * <pre>
 * ./mvnw -q -pl examples -am package exec:java -Dexec.mainClass=dev.riprap.examples.ReferenceService
 * ./mvnw -q -pl examples -am package exec:java -Dexec.mainClass=dev.riprap.examples.ReferenceService \
 *     -Dexec.args="8081 http://127.0.0.1:9090"
 * </pre>
 *
 * <p>Arguments: the port (default 8080) and the downstream's base URL; without one, the service
 * starts a built-in fake inventory on a free loopback port that answers after 50 ms and fails every
 * fourth request with 503, so that retries show in the metrics. The propagation delay of the
 * shutdown is read from the system property {@code riprap.shutdown.propagation-delay} (ISO-8601,
 * default {@code PT5S}).
 */
public final class ReferenceService {
  private static final Pattern SKU = Pattern.compile("[A-Za-z0-9-]{1,32}");

  private final HttpServer server;
  private final HttpServer fakeInventory;
  private final GracefulShutdown shutdown;
  private final Policy inventory;
  private final HealthMonitor health;

  private ReferenceService(
      HttpServer server,
      HttpServer fakeInventory,
      GracefulShutdown shutdown,
      Policy inventory,
      HealthMonitor health) {
    this.server = server;
    this.fakeInventory = fakeInventory;
    this.shutdown = shutdown;
    this.inventory = inventory;
    this.health = health;
  }

  /**
   * Starts the service from the command line and installs the shutdown hook.
   *
   * @param args {@code [port] [downstream base URL]}
   * @throws Exception if the server cannot start
   */
  public static void main(String[] args) throws Exception {
    int port = 8080;
    if (args.length > 0) {
      try {
        port = Integer.parseInt(args[0]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("port must be a number from 0 to 65535, was " + args[0]);
      }
    }
    URI downstream = args.length > 1 ? URI.create(args[1]) : null;
    Duration propagation =
        Duration.parse(System.getProperty("riprap.shutdown.propagation-delay", "PT5S"));
    ReferenceService service = start(port, downstream, propagation);
    service.shutdown.installShutdownHook();
    System.out.println(
        "ReferenceService on http://127.0.0.1:" + service.port()
            + " (GET /stock?sku=abc, /price?sku=abc, /health/live, /health/ready, /health, /metrics)"
            + (service.fakeInventory == null ? "" : "; built-in fake inventory on port "
                + service.fakeInventory.getAddress().getPort())
            + ". Ctrl-C stops it gracefully.");
  }

  /**
   * Starts the service on 127.0.0.1.
   *
   * @param port the port, 0 for any free one
   * @param downstream the inventory's base URL, or {@code null} for the built-in fake
   * @param propagationDelay how long to keep serving after readiness goes false on shutdown
   * @return the running service
   * @throws IOException if a server cannot bind
   * @throws IllegalArgumentException if the port is out of range
   */
  public static ReferenceService start(int port, URI downstream, Duration propagationDelay)
      throws IOException {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be a number from 0 to 65535, was " + port);
    }
    InetAddress loopback = InetAddress.getLoopbackAddress();
    HttpServer fake = null;
    if (downstream == null) {
      fake = fakeInventory(loopback);
      downstream = URI.create("http://127.0.0.1:" + fake.getAddress().getPort());
    }
    String host = downstream.getAuthority();

    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpClientMetrics httpMetrics = new HttpClientMetrics(meters);
    RiprapMetrics riprapMetrics = new RiprapMetrics(meters);
    HealthMonitor health = new HealthMonitor();
    ShutdownGate outbound = new ShutdownGate();

    // Retry transport errors and 5xx answers, with jittered exponential backoff.
    RetryConfig retry =
        RetryConfig.<HttpResponse<String>>custom()
            .maxAttempts(3)
            .intervalFunction(
                IntervalFunction.ofExponentialRandomBackoff(Duration.ofMillis(100), 2.0, 0.5))
            .retryExceptions(IOException.class)
            .retryOnResult(r -> r.statusCode() >= 500)
            .build();
    Policy inventory =
        Policy.builder("inventory")
            .tag("host", host)
            .retry(retry)
            .circuitBreaker(
                CircuitBreakerConfig.custom()
                    .failureRateThreshold(50)
                    .slidingWindowSize(20)
                    .minimumNumberOfCalls(10)
                    .waitDurationInOpenState(Duration.ofSeconds(10))
                    .recordResult(r -> r instanceof HttpResponse<?> h && h.statusCode() >= 500)
                    .build())
            .bulkhead(32)
            // At most 200 calls a second to the inventory; a call waits up to 100 ms for its slot.
            .pacedRate(200, Duration.ofMillis(100))
            .attemptTimeout(Duration.ofSeconds(2))
            .totalTimeout(Duration.ofSeconds(5))
            .shutdownGate(outbound)
            .build();
    riprapMetrics.bind(inventory);
    health.monitor(inventory);
    // Health status, readiness and the outbound drain as gauges, for the dashboard.
    riprapMetrics.bind(health);
    riprapMetrics.bind("inventory", outbound);

    // Every exchange (each attempt of the policy) is a sample of riprap.http.client.requests.
    HttpClient client =
        new MeteredHttpClient(
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(), httpMetrics);
    URI base = downstream;
    InventoryCall call =
        sku ->
            client.send(
                HttpRequest.newBuilder(base.resolve("/inventory/" + sku))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    // The same downstream through Riprap's drop-in HTTP client: per-host policies, idempotent
    // retries with Retry-After, its own drain. Each per-host policy is reported to the metrics
    // (call timer, retry counters, breaker meters) and to health as it is created, and removed
    // again when evicted; the MeteredHttpClient around it gives one sample of
    // riprap.http.client.requests per request.
    ResilientHttpClient resilient =
        ResilientHttpClient.builder()
            .policy(
                HttpPolicy.builder("pricing")
                    .maxRetries(2)
                    .backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
                    .attemptTimeout(Duration.ofSeconds(2))
                    .totalTimeout(Duration.ofSeconds(5))
                    .build())
            .observer(riprapMetrics)
            .observer(health)
            .build();
    HttpClient pricing = new MeteredHttpClient(resilient, httpMetrics);

    Supervisor workers = Supervisor.builder("background").build();
    riprapMetrics.bind(workers);
    health.monitor(workers);

    ExecutorService handlers =
        Executors.newFixedThreadPool(
            16,
            r -> {
              Thread t = new Thread(r, "reference-service-handler");
              t.setDaemon(true);
              return t;
            });
    HttpServer server = HttpServer.create(new InetSocketAddress(loopback, port), 0);
    server.setExecutor(handlers);
    HttpServerDrain drain = HttpServerDrain.of(server);
    drain.createContext("/stock", exchange -> stock(exchange, inventory, call));
    drain.createContext(
        "/price", exchange -> price(exchange, pricing, base));
    // Probes and metrics without the drain filter: they keep answering while the server drains.
    server.createContext("/health/live", HealthHandlers.liveness(health));
    server.createContext("/health/ready", HealthHandlers.readiness(health));
    server.createContext("/health", HealthHandlers.report(health));
    server.createContext(
        "/metrics",
        exchange ->
            respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", meters.scrape()));
    server.start();

    // Keeps the inventory connection warm; a crash is restarted with backoff.
    workers.start(
        "inventory-warmer",
        () -> {
          while (!Thread.currentThread().isInterrupted()) {
            inventory.call(() -> call.fetch("warmup"));
            Thread.sleep(30_000);
          }
        });

    HttpServer fakeServer = fake;
    GracefulShutdown shutdown =
        GracefulShutdown.builder()
            .deadline(Duration.ofSeconds(25))
            .propagationDelay(propagationDelay)
            .readiness(health::startDraining)
            .httpServer("http", drain)
            .stopWorkers(workers)
            .drainOutbound("inventory", outbound::drain)
            .drainOutbound("pricing client", resilient::drain)
            .close("handler pool", handlers::shutdown)
            .close(
                "fake inventory",
                () -> {
                  if (fakeServer != null) {
                    fakeServer.stop(0);
                  }
                })
            .close("meter registry", meters::close)
            // Printed as well as logged: JUL may drop log lines written during a shutdown hook.
            .onFinished(ReferenceService::print)
            .build();
    return new ReferenceService(server, fake, shutdown, inventory, health);
  }

  /**
   * The port the service listens on.
   *
   * @return the port
   */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * The shutdown coordinator: {@code shutdown().shutdown()} stops the service gracefully.
   *
   * @return the coordinator
   */
  public GracefulShutdown shutdown() {
    return shutdown;
  }

  /**
   * The policy in front of the inventory.
   *
   * @return the policy
   */
  public Policy inventoryPolicy() {
    return inventory;
  }

  /**
   * The health monitor behind the probes.
   *
   * @return the monitor
   */
  public HealthMonitor health() {
    return health;
  }

  @FunctionalInterface
  private interface InventoryCall {
    HttpResponse<String> fetch(String sku) throws IOException, InterruptedException;
  }

  private static void stock(HttpExchange exchange, Policy inventory, InventoryCall call)
      throws IOException {
    String query = exchange.getRequestURI().getQuery();
    String sku = query != null && query.startsWith("sku=") ? query.substring(4) : "";
    if (!SKU.matcher(sku).matches()) {
      respond(exchange, 400, "application/json",
          "{\"error\":\"sku must be 1 to 32 letters, digits or dashes\"}");
      return;
    }
    try {
      HttpResponse<String> r = inventory.call(() -> call.fetch(sku));
      if (r.statusCode() == 200) {
        respond(exchange, 200, "application/json", r.body());
      } else {
        respond(exchange, 502, "application/json",
            "{\"error\":\"inventory answered " + r.statusCode() + "\"}");
      }
    } catch (RejectedException e) {
      respond(exchange, 503, "application/json",
          "{\"error\":\"inventory call " + e.reason().text() + "\"}");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      respond(exchange, 503, "application/json", "{\"error\":\"interrupted\"}");
    } catch (IOException e) {
      respond(exchange, 502, "application/json", "{\"error\":\"inventory unreachable\"}");
    } catch (Exception e) { // the call's checked type is Exception: IOException | InterruptedException
      respond(exchange, 500, "application/json", "{\"error\":\"internal error\"}");
    }
  }

  private static void price(
      HttpExchange exchange,
      HttpClient pricing,
      URI base)
      throws IOException {
    String query = exchange.getRequestURI().getQuery();
    String sku = query != null && query.startsWith("sku=") ? query.substring(4) : "";
    if (!SKU.matcher(sku).matches()) {
      respond(exchange, 400, "application/json",
          "{\"error\":\"sku must be 1 to 32 letters, digits or dashes\"}");
      return;
    }
    URI uri = base.resolve("/price/" + sku);
    try {
      HttpResponse<String> r =
          pricing.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      respond(exchange, r.statusCode() == 200 ? 200 : 502, "application/json", r.body());
    } catch (HttpRejectedException e) {
      respond(exchange, 503, "application/json",
          "{\"error\":\"pricing call " + e.reason().text() + "\"}");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      respond(exchange, 503, "application/json", "{\"error\":\"interrupted\"}");
    } catch (IOException e) {
      respond(exchange, 502, "application/json", "{\"error\":\"pricing unreachable\"}");
    }
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** A stand-in inventory: 50 ms per answer, every fourth request a 503. */
  private static HttpServer fakeInventory(InetAddress loopback) throws IOException {
    HttpServer fake = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
    fake.setExecutor(
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "fake-inventory");
              t.setDaemon(true);
              return t;
            }));
    AtomicInteger requests = new AtomicInteger();
    fake.createContext(
        "/inventory/",
        exchange -> {
          try {
            Thread.sleep(50); // simulated work of the downstream
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          String sku = exchange.getRequestURI().getPath().substring("/inventory/".length());
          if (requests.incrementAndGet() % 4 == 0) {
            respond(exchange, 503, "application/json", "{\"error\":\"busy\"}");
          } else {
            respond(exchange, 200, "application/json",
                "{\"sku\":\"" + sku + "\",\"stock\":" + (sku.length() * 7 % 50) + "}");
          }
        });
    fake.createContext(
        "/price/",
        exchange -> {
          String sku = exchange.getRequestURI().getPath().substring("/price/".length());
          if (requests.incrementAndGet() % 4 == 0) {
            respond(exchange, 503, "application/json", "{\"error\":\"busy\"}");
          } else {
            respond(exchange, 200, "application/json",
                "{\"sku\":\"" + sku + "\",\"cents\":" + (sku.length() * 250) + "}");
          }
        });
    fake.start();
    return fake;
  }

  private static void print(ShutdownReport report) {
    StringBuilder sb =
        new StringBuilder("ReferenceService shutdown ")
            .append(report.isClean() ? "clean" : "NOT clean")
            .append(" in ")
            .append(report.took().toMillis())
            .append(" ms");
    for (ShutdownReport.StepResult s : report.steps()) {
      sb.append("\n  ")
          .append(s.phase())
          .append(' ')
          .append(s.name())
          .append(": ")
          .append(s.status())
          .append(" in ")
          .append(s.took().toMillis())
          .append(" ms");
      if (s.drain() != null) {
        sb.append(" (")
            .append(s.drain().inFlightAtStart())
            .append(" in flight, ")
            .append(s.drain().stillRunning())
            .append(" left)");
      }
    }
    System.out.println(sb);
    System.out.flush();
  }
}
