package dev.riprap.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.riprap.event.EndpointEjected;
import dev.riprap.event.EndpointRestored;
import dev.riprap.event.RetryScheduled;
import dev.riprap.event.Subscription;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.ResilientHttpClient;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many replicas in a few seconds: three replicas of an inventory service on 127.0.0.1 (JDK {@code
 * HttpServer}s) behind one {@link ResilientHttpClient} service, {@code endpoints("inventory",
 * ...)}. One replica is killed mid-run: the calls keep succeeding (an attempt it refuses is
 * retried on another replica), the client ejects it ({@link EndpointEjected}), it is started again
 * and comes back once its ejection time is up ({@link EndpointRestored}) and takes its share again.
 * The base ejection time is shortened to {@value #EJECTION_SECONDS} s for the demo (the default is
 * 30 s), which the demo says.
 */
public final class ReplicaDemo {
  static final long EJECTION_SECONDS = 2;
  /** The pause between two calls: 20 calls a second. */
  private static final long PAUSE_MILLIS = 50;
  /** A bound on each wait for an event, well above the time it takes. */
  private static final long EVENT_BOUND_MILLIS = 10_000;

  private ReplicaDemo() {}

  /**
   * Runs the demo; prints to {@code out}. Starts and stops its own servers and executors; leaves no
   * thread behind but the JDK 17 HttpClient's daemon selector thread, which ends once the client is
   * collected.
   *
   * @param out where the timeline goes
   * @return the calls that failed (0 when the client kept every call going)
   * @throws IOException if a local server cannot start
   * @throws IllegalStateException if an expected event does not come within its bound
   * @throws InterruptedException if interrupted
   */
  public static int run(PrintStream out) throws IOException, InterruptedException {
    ExecutorService clientThreads = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "demo-replica-client");
      t.setDaemon(true);
      return t;
    });
    List<Replica> replicas = new ArrayList<>();
    try {
      for (String name : List.of("a", "b", "c")) {
        replicas.add(new Replica(name));
      }
      Map<String, String> names = new TreeMap<>();
      List<URI> endpoints = new ArrayList<>();
      for (Replica r : replicas) {
        endpoints.add(r.endpoint);
        names.put(r.endpoint.toString(), r.name);
      }
      ResilientHttpClient client = ResilientHttpClient.builder()
          .delegate(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
              .executor(clientThreads).build())
          .policy(HttpPolicy.builder("replicas")
              .maxRetries(2)
              .backoff(Duration.ofMillis(10), Duration.ofMillis(50))
              .attemptTimeout(Duration.ofSeconds(1))
              .totalTimeout(Duration.ofSeconds(3))
              .build())
          .endpoints("inventory", endpoints,
              group -> group.baseEjectionTime(Duration.ofSeconds(EJECTION_SECONDS)))
          .build();
      Scene scene = new Scene(out, names);
      Subscription ejected = client.events().subscribe(EndpointEjected.class, scene::ejected);
      Subscription restored = client.events().subscribe(EndpointRestored.class, scene::restored);
      Subscription retried = client.events().subscribe(RetryScheduled.class,
          e -> scene.retries.incrementAndGet());
      try {
        out.println("Many replicas: three replicas of an inventory service on 127.0.0.1, one client"
            + " with .endpoints(\"inventory\", [a, b, c]);");
        out.println("a request to http://inventory/... goes to one of them per attempt, 20 calls a"
            + " second. The base ejection time is " + EJECTION_SECONDS
            + " s here to keep the demo short (the default is 30 s).");
        scene.say("replicas: " + names);

        scene.calls(client, 30);
        scene.summary("all three healthy");

        Replica b = replicas.get(1);
        b.kill();
        scene.say("replica b killed: its port now refuses connections");
        scene.callsUntil(client, scene.ejected);
        scene.calls(client, 10);
        scene.summary("b dying and ejected");

        b.start();
        scene.say("replica b started again on the same port (still out of rotation)");
        scene.callsUntil(client, scene.restored);
        scene.calls(client, 30);
        scene.summary("b back");
      } finally {
        ejected.close();
        restored.close();
        retried.close();
        client.close();
      }
      out.printf("%nreplicas summary: %d calls, %d failed as the caller saw them, %d attempts"
              + " retried on another replica%n", scene.total, scene.totalFailed,
          scene.retries.get());
      return scene.totalFailed;
    } finally {
      for (Replica r : replicas) {
        r.kill();
      }
      clientThreads.shutdownNow();
      clientThreads.awaitTermination(2, TimeUnit.SECONDS);
    }
  }

  /**
   * Runs the demo on standard output.
   *
   * @param args ignored
   * @throws Exception if the demo fails
   */
  public static void main(String[] args) throws Exception {
    run(System.out);
  }

  /** The calls, what answered them, and the timeline. */
  private static final class Scene {
    final PrintStream out;
    final Map<String, String> names;
    final long start = System.nanoTime();
    final CountDownLatch ejected = new CountDownLatch(1);
    final CountDownLatch restored = new CountDownLatch(1);
    final AtomicInteger retries = new AtomicInteger();
    final Map<String, Integer> answeredBy = new TreeMap<>();
    int calls;
    int failed;
    int total;
    int totalFailed;

    Scene(PrintStream out, Map<String, String> names) {
      this.out = out;
      this.names = names;
    }

    synchronized void say(String line) {
      out.printf("[%5d ms] %s%n", (System.nanoTime() - start) / 1_000_000, line);
    }

    void ejected(EndpointEjected e) {
      say("EndpointEjected: replica " + names.get(e.endpoint()) + " out of rotation after "
          + e.failures() + " failures in a row, for " + e.duration().toSeconds() + " s");
      ejected.countDown();
    }

    void restored(EndpointRestored e) {
      say("EndpointRestored: replica " + names.get(e.endpoint())
          + " back in rotation, on probation");
      restored.countDown();
    }

    void calls(ResilientHttpClient client, int n) throws InterruptedException {
      for (int i = 0; i < n; i++) {
        call(client);
      }
    }

    void callsUntil(ResilientHttpClient client, CountDownLatch event)
        throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EVENT_BOUND_MILLIS);
      while (event.getCount() > 0) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("no endpoint event within " + EVENT_BOUND_MILLIS
              + " ms; the demo's client is not ejecting or restoring as it should");
        }
        call(client);
      }
    }

    private void call(ResilientHttpClient client) throws InterruptedException {
      calls++;
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://inventory/stock/42")).build();
      try {
        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          answeredBy.merge(r.body(), 1, Integer::sum);
        } else {
          failed++;
        }
      } catch (IOException e) {
        failed++;
        say("call failed: " + e.getMessage());
      }
      Thread.sleep(PAUSE_MILLIS);
    }

    void summary(String phase) {
      say(String.format("%-20s %3d calls, %d failed; answered by %s", phase + ":", calls, failed,
          answeredBy.isEmpty() ? "none" : answeredBy.toString().replace("=", " ")));
      total += calls;
      totalFailed += failed;
      calls = 0;
      failed = 0;
      answeredBy.clear();
    }
  }

  /** One replica: a server on 127.0.0.1 answering its name, which can be killed and restarted. */
  private static final class Replica {
    final String name;
    final URI endpoint;
    private final int port;
    private HttpServer server;
    private ExecutorService threads;

    Replica(String name) throws IOException {
      this.name = name;
      start(0);
      this.port = server.getAddress().getPort();
      this.endpoint = URI.create("http://127.0.0.1:" + port);
    }

    void start() throws IOException {
      start(port);
    }

    private void start(int on) throws IOException {
      threads = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "demo-replica-" + name);
        t.setDaemon(true);
        return t;
      });
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", on), 0);
      server.setExecutor(threads);
      server.createContext("/", this::answer);
      server.start();
    }

    private void answer(HttpExchange exchange) throws IOException {
      byte[] body = name.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream o = exchange.getResponseBody()) {
        o.write(body);
      }
    }

    /**
     * Stops the server and closes its connections: the port refuses connections until started.
     */
    void kill() throws InterruptedException {
      if (server != null) {
        server.stop(0);
        server = null;
        threads.shutdownNow();
        threads.awaitTermination(2, TimeUnit.SECONDS);
      }
    }
  }
}
