package dev.riprap.health;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Health endpoints for the JDK {@code com.sun.net.httpserver.HttpServer}. Each answers {@code 200}
 * when healthy and {@code 503} when not, with a JSON body ({@code application/json}). Mount them
 * without the drain filter, so probes keep getting answers while the server drains:
 *
 * <pre>{@code
 * server.createContext("/health/live", HealthHandlers.liveness(health));
 * server.createContext("/health/ready", HealthHandlers.readiness(health));
 * server.createContext("/health", HealthHandlers.report(health));
 * }</pre>
 */
public final class HealthHandlers {
  private HealthHandlers() {}

  /**
   * Liveness: {@code 200 {"live":true}}, or {@code 503 {"live":false}} when a supervisor gave up on
   * a worker.
   *
   * @param monitor the monitor
   * @return the handler
   */
  public static HttpHandler liveness(HealthMonitor monitor) {
    Objects.requireNonNull(monitor, "monitor");
    return exchange -> {
      boolean live = monitor.isLive();
      respond(exchange, live ? 200 : 503, "{\"live\":" + live + "}");
    };
  }

  /**
   * Readiness: {@code 200 {"ready":true,"status":"UP"}} (or {@code DEGRADED}, or {@code DOWN} when
   * only a worker was given up on: that fails liveness, not readiness); {@code 503} with {@code
   * "ready":false} when draining or a critical breaker is open.
   *
   * @param monitor the monitor
   * @return the handler
   */
  public static HttpHandler readiness(HealthMonitor monitor) {
    Objects.requireNonNull(monitor, "monitor");
    return exchange -> {
      HealthReport r = monitor.report();
      respond(
          exchange,
          r.ready() ? 200 : 503,
          "{\"ready\":" + r.ready() + ",\"status\":\"" + r.status().name() + "\"}");
    };
  }

  /**
   * The full report ({@link HealthReport#toJson()}), answered by its status: {@code 200} when
   * {@link HealthStatus#UP} or {@link HealthStatus#DEGRADED}, {@code 503} when {@link
   * HealthStatus#DOWN} or {@link HealthStatus#DRAINING} (so a worker given up on shows here as well
   * as on the liveness endpoint).
   *
   * @param monitor the monitor
   * @return the handler
   */
  public static HttpHandler report(HealthMonitor monitor) {
    Objects.requireNonNull(monitor, "monitor");
    return exchange -> {
      HealthReport r = monitor.report();
      boolean serving = r.status() == HealthStatus.UP || r.status() == HealthStatus.DEGRADED;
      respond(exchange, serving ? 200 : 503, r.toJson());
    };
  }

  private static void respond(HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      if ("HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(status, -1);
        return;
      }
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
