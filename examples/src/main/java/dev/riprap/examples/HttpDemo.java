package dev.riprap.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.riprap.event.CallRejected;
import dev.riprap.event.CircuitStateChanged;
import dev.riprap.event.FallbackApplied;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import dev.riprap.event.Subscription;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.HttpRejectedException;
import dev.riprap.http.ResilientHttpClient;
import dev.riprap.http.StaleIfError;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP adapter in about four seconds: a flaky upstream on 127.0.0.1 (a JDK {@code HttpServer})
 * called through a {@link ResilientHttpClient}, with a timeline of what the client did — a cache
 * hit and a herd of concurrent requests coalesced into one upstream request, retries
 * after 503s, a wait set by {@code Retry-After}, the breaker opening in an outage, stale copies
 * served meanwhile, and the breaker closing once the upstream heals — then a summary.
 */
public final class HttpDemo {
  private HttpDemo() {}

  /**
   * Runs the demo; prints to {@code out}. Starts and stops its own server and executors; leaves no
   * thread behind but the JDK 17 HttpClient's daemon selector thread, which ends once the client is
   * collected (Java 17's HttpClient cannot be closed).
   *
   * @param out where the timeline goes
   * @throws IOException if the local server cannot start
   * @throws InterruptedException if interrupted
   */
  public static void run(PrintStream out) throws IOException, InterruptedException {
    Upstream upstream = new Upstream();
    long start = System.nanoTime();
    // The client's own worker pool, so that nothing of it outlives the demo.
    ExecutorService clientThreads = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "demo-client");
      t.setDaemon(true);
      return t;
    });
    try {
      HttpPolicy policy = HttpPolicy.builder("demo")
          .maxRetries(2)
          .backoff(Duration.ofMillis(50), Duration.ofMillis(400))
          .jitter(0.2)
          .attemptTimeout(Duration.ofSeconds(1))
          .totalTimeout(Duration.ofSeconds(3))
          .circuitBreaker(50, Duration.ofSeconds(10), 8, Duration.ofMillis(500))
          .halfOpenCalls(2)
          .build();
      ResilientHttpClient client = ResilientHttpClient.builder()
          .delegate(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
              .executor(clientThreads).build())
          .policy(policy)
          .cache(1 << 20)                            // 1 MiB, RFC 9111 shared cache
          .staleIfError(StaleIfError.defaults())
          .build();
      Timeline t = new Timeline(out, start);
      Stats stats = new Stats();
      Subscription s = client.events().subscribe(t::event);
      try {
        t.say("upstream listening on " + upstream.base);

        t.phase("1. a good answer is kept for stale-if-error");
        call(client, upstream, "/catalog", t, stats);

        t.phase("2. the cache: a fresh copy costs no request; a herd on an expired one costs one");
        call(client, upstream, "/prices", t, stats);
        call(client, upstream, "/prices", t, stats);
        Thread.sleep(1100); // /prices is fresh for 1 s (max-age=1)
        herd(client, upstream, "/prices", 20, t, stats);

        t.phase("3. two transient 503s, absorbed by retries with backoff");
        upstream.plan("/quotes", 503, 503, 200);
        call(client, upstream, "/quotes", t, stats);

        t.phase("4. a 429 whose Retry-After sets the wait");
        upstream.plan("/orders", 429, 200);
        call(client, upstream, "/orders", t, stats);

        t.phase("5. outage: every request fails; the breaker opens, stale copies are served");
        upstream.down = true;
        for (int i = 0; i < 4; i++) {
          call(client, upstream, "/catalog", t, stats);
        }

        t.phase("6. the upstream heals; after the 500 ms break, probes close the breaker");
        upstream.down = false;
        Thread.sleep(600);
        for (int i = 0; i < 3; i++) {
          call(client, upstream, "/catalog", t, stats);
        }
      } finally {
        s.close();
      }
      client.close();
      out.printf("%nsummary: %d calls, %d upstream requests, %d fresh, %d stale, %d errors seen by the caller, "
              + "%d retries, %.1f s%n",
          stats.calls.get(), upstream.requests.get(), stats.fresh.get(), stats.stale.get(),
          stats.rejected.get(), t.retries.get(), (System.nanoTime() - start) / 1e9);
    } finally {
      upstream.close();
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

  private static void call(
      ResilientHttpClient client, Upstream upstream, String path, Timeline t, Stats stats)
      throws InterruptedException {
    stats.calls.incrementAndGet();
    HttpRequest request = HttpRequest.newBuilder(upstream.base.resolve(path)).build();
    try {
      HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
      boolean stale = r.headers().firstValue("Riprap-Stale").isPresent();
      boolean cached = !stale && r.headers().firstValue("Age").isPresent();
      (stale ? stats.stale : stats.fresh).incrementAndGet();
      t.say(String.format("GET %-8s -> %d %s%s", path, r.statusCode(), r.body(),
          stale ? "  (stale copy, Age " + r.headers().firstValue("Age").orElse("?") + " s)"
              : cached ? "  (from the cache, no request sent)" : ""));
    } catch (HttpRejectedException e) {
      stats.rejected.incrementAndGet();
      t.say("GET " + path + " -> rejected: " + e.reason().text());
    } catch (IOException e) {
      t.say("GET " + path + " -> failed: " + e);
    }
  }

  /** {@code callers} concurrent GETs of {@code path}; prints how many reached the upstream. */
  private static void herd(ResilientHttpClient client, Upstream upstream, String path,
      int callers, Timeline t, Stats stats) throws InterruptedException {
    int before = upstream.requests.get();
    HttpRequest request = HttpRequest.newBuilder(upstream.base.resolve(path)).build();
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      stats.calls.incrementAndGet();
      all.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
    }
    int ok = 0;
    for (CompletableFuture<HttpResponse<String>> f : all) {
      try {
        ok += f.get(5, TimeUnit.SECONDS).statusCode() == 200 ? 1 : 0;
      } catch (ExecutionException | TimeoutException e) {
        t.say("GET " + path + " -> failed: " + e);
      }
    }
    stats.fresh.addAndGet(ok);
    t.say(String.format("%d concurrent GET %s -> %d answered 200, %d upstream request(s)",
        callers, path, ok, upstream.requests.get() - before));
  }

  private static final class Stats {
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger fresh = new AtomicInteger();
    final AtomicInteger stale = new AtomicInteger();
    final AtomicInteger rejected = new AtomicInteger();
  }

  /** Prints events and results with the milliseconds since the demo began. */
  private static final class Timeline {
    final PrintStream out;
    final long start;
    final AtomicInteger retries = new AtomicInteger();

    Timeline(PrintStream out, long start) {
      this.out = out;
      this.start = start;
    }

    synchronized void say(String line) {
      out.printf("[%5d ms] %s%n", (System.nanoTime() - start) / 1_000_000, line);
    }

    void phase(String title) {
      out.println();
      out.println(title);
    }

    void event(dev.riprap.event.PolicyEvent e) {
      if (e instanceof RetryScheduled) {
        RetryScheduled r = (RetryScheduled) e;
        retries.incrementAndGet();
        String why = r.cause() != null ? r.cause().toString() : "";
        String source = "backoff";
        if (r.result() instanceof HttpResponse) {
          HttpResponse<?> resp = (HttpResponse<?>) r.result();
          why = "status " + resp.statusCode();
          // The retried response's status and headers; its body is not read for listeners.
          if (resp.headers().firstValue("Retry-After").isPresent()) {
            source = "Retry-After: " + resp.headers().firstValue("Retry-After").get();
          }
        }
        say(String.format("  retry after attempt %d (%s): wait %d ms from %s", r.attempt(), why,
            r.delay().toMillis(), source));
      } else if (e instanceof RetryAbandoned) {
        RetryAbandoned r = (RetryAbandoned) e;
        say("  no more retries after attempt " + r.attempt() + ": " + r.reason());
      } else if (e instanceof CircuitStateChanged) {
        CircuitStateChanged c = (CircuitStateChanged) e;
        say("  breaker for " + c.tags().get("host") + ": " + c.from() + " -> " + c.to());
      } else if (e instanceof CallRejected) {
        say("  rejected: " + ((CallRejected) e).reason().text());
      } else if (e instanceof FallbackApplied) {
        Throwable cause = ((FallbackApplied) e).cause();
        say("  stale-if-error: last good copy served instead of "
            + (cause instanceof HttpRejectedException
                ? "a rejection (" + ((HttpRejectedException) cause).reason().text() + ")"
                : cause.getMessage()));
      }
    }
  }

  /** A local upstream whose answers per path follow a plan, or that is down altogether. */
  private static final class Upstream implements AutoCloseable {
    final HttpServer server;
    final ExecutorService executor;
    final URI base;
    final AtomicInteger requests = new AtomicInteger();
    final Map<String, int[]> plans = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> steps = new ConcurrentHashMap<>();
    volatile boolean down;

    Upstream() throws IOException {
      AtomicInteger n = new AtomicInteger();
      executor = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "demo-upstream-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.setExecutor(executor);
      server.createContext("/", this::handle);
      server.start();
      base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    void plan(String path, int... statuses) {
      plans.put(path, statuses);
      steps.put(path, new AtomicInteger());
    }

    private void handle(HttpExchange ex) throws IOException {
      requests.incrementAndGet();
      String path = ex.getRequestURI().getPath();
      int status = 200;
      if (down) {
        status = 503;
      } else if (plans.containsKey(path)) {
        int[] plan = plans.get(path);
        status = plan[Math.min(steps.get(path).getAndIncrement(), plan.length - 1)];
      }
      if (status == 429) {
        ex.getResponseHeaders().add("Retry-After", "1");
      }
      if (path.equals("/prices") && status == 200) {
        ex.getResponseHeaders().add("Cache-Control", "max-age=1");
        try {
          Thread.sleep(100); // a slow page: the herd arrives while it is on its way
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      byte[] body = (status == 200 ? path.substring(1) + " ok" : "unavailable")
          .getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, body.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(body);
      }
    }

    @Override
    public void close() {
      server.stop(0);
      executor.shutdownNow();
      try {
        executor.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
