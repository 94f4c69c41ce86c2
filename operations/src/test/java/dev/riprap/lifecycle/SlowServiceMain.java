package dev.riprap.lifecycle;

import com.sun.net.httpserver.HttpServer;
import dev.riprap.health.HealthHandlers;
import dev.riprap.health.HealthMonitor;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@link ShutdownOnSigtermTest}: a service whose {@code /slow} responses are held
 * half-written until the shutdown has stopped accepting, so they are surely in flight while it
 * drains. Prints {@code port N}, then {@code accepted} per request, then the shutdown outcome.
 */
public final class SlowServiceMain {
  static final int CHUNKS = 4;
  static final String CHUNK = "0123456789abcdef".repeat(1024);

  private SlowServiceMain() {}

  public static void main(String[] args) throws Exception {
    CountDownLatch stoppedAccepting = new CountDownLatch(1);
    ExecutorService pool =
        Executors.newFixedThreadPool(
            8,
            r -> {
              Thread t = new Thread(r, "slow-service-handler");
              t.setDaemon(true);
              return t;
            });
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(pool);
    HttpServerDrain drain = HttpServerDrain.of(server);
    drain.createContext(
        "/slow",
        ex -> {
          ex.sendResponseHeaders(200, 0); // chunked
          try (OutputStream out = ex.getResponseBody()) {
            out.write(CHUNK.getBytes(StandardCharsets.UTF_8));
            out.flush();
            System.out.println("accepted");
            if (!stoppedAccepting.await(20, TimeUnit.SECONDS)) {
              throw new IllegalStateException("shutdown never came");
            }
            for (int i = 1; i < CHUNKS; i++) {
              out.write(CHUNK.getBytes(StandardCharsets.UTF_8));
              out.flush();
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    HealthMonitor health = new HealthMonitor();
    server.createContext("/health/ready", HealthHandlers.readiness(health));
    server.start();

    GracefulShutdown.builder()
        .deadline(Duration.ofSeconds(5))
        .propagationDelay(Duration.ofMillis(100))
        .readiness(health::startDraining)
        .httpServer("api", drain)
        .stopAccepting("release slow handlers", stoppedAccepting::countDown)
        .close("handler pool", pool::shutdown)
        .onFinished(
            r -> {
              System.out.println(
                  "shutdown " + (r.isClean() ? "clean" : "NOT clean") + " inbound "
                      + r.steps(GracefulShutdown.Phase.DRAIN_INBOUND).get(0).drain());
              System.out.flush();
            })
        .build()
        .installShutdownHook();
    System.out.println("port " + server.getAddress().getPort());
    System.out.flush();
  }
}
