package dev.riprap.benchmarks.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput and latency of each {@link HttpPeers} client against a healthy {@link Upstream} on
 * loopback: GET of a 64 B and a 16 KiB body, with 1, 8 and 32 requests in flight (that many
 * threads in a closed loop, each sending its next request when the previous answer is read).
 * Every run is bounded in time: a warm-up, then a measured window. The clients of one
 * configuration run back to back, so they see the same machine state as nearly as possible.
 *
 * <p>Usage: {@code LoopbackBenchmark --mode quick|full --out http.json [--clients raw,riprap]
 * [--bodies 64,16384] [--in-flight 1,8,32]}.
 * Run with {@code -Dsun.net.httpserver.nodelay=true}.
 */
public final class LoopbackBenchmark {
  static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
  /** Counts the bytes each calling thread allocates: the client's cost on the caller's side. */
  static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private LoopbackBenchmark() {}

  /**
   * Runs every configuration and writes the results as JSON.
   *
   * @param args {@code --mode quick|full --out FILE [--clients a,b]}
   * @throws Exception when the server cannot start or the file cannot be written
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = Args.parse(args, Map.of("mode", "quick", "clients",
        String.join(",", HttpPeers.NAMES), "bodies", "64,16384", "in-flight", "1,8,32"));
    boolean full = opts.get("mode").equals("full");
    // Short rounds, clients alternating, so that a burst of load from elsewhere on the machine
    // falls on every client alike rather than on whichever ran at that moment.
    int rounds = full ? 5 : 2;
    Duration warmup = full ? Duration.ofSeconds(1) : Duration.ofMillis(500);
    Duration measure = full ? Duration.ofSeconds(2) : Duration.ofSeconds(1);
    List<String> clients = Arrays.asList(opts.get("clients").split(","));
    int[] bodySizes =
        Arrays.stream(opts.get("bodies").split(",")).mapToInt(Integer::parseInt).toArray();
    int[] inFlights =
        Arrays.stream(opts.get("in-flight").split(",")).mapToInt(Integer::parseInt).toArray();
    if (!"true".equals(System.getProperty("sun.net.httpserver.nodelay"))) {
      throw new IllegalStateException(
          "run with -Dsun.net.httpserver.nodelay=true, or small answers wait for Nagle's delay");
    }

    Map<Integer, byte[]> bodies = new LinkedHashMap<>();
    for (int size : bodySizes) {
      byte[] b = new byte[size];
      Arrays.fill(b, (byte) 'x');
      bodies.put(size, b);
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Upstream upstream =
        new Upstream(64, exchange -> {
          String path = exchange.getRequestURI().getPath();
          Upstream.answer(exchange, 200, bodies.get(Integer.parseInt(path.substring(1))));
        })) {
      // Every client's code paths are compiled before anything is measured: the first
      // configuration would otherwise pay for the JIT.
      for (String name : clients) {
        for (int size : bodySizes) {
          try (HttpPeers.Client client = HttpPeers.create(name)) {
            run(client, upstream.uri("/" + size), size, 8, Duration.ZERO, measure.multipliedBy(2),
                new Latencies(), new AtomicLong(), new AtomicLong(), new AtomicLong());
          }
        }
      }
      for (int size : bodySizes) {
        for (int inFlight : inFlights) {
          rows.addAll(compare(clients, upstream.uri("/" + size), size, inFlight, rounds, warmup,
              measure));
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("mode", opts.get("mode"));
    out.put("rounds", rounds);
    out.put("warmupSeconds", warmup.toMillis() / 1000.0);
    out.put("measureSeconds", measure.toMillis() / 1000.0);
    out.put("results", rows);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(new File(opts.get("out")), out);
  }

  /**
   * One configuration: fresh clients, {@code rounds} rounds in which each client runs a warm-up
   * and a measured window, in alternating order; a client's row adds up its measured windows.
   */
  static List<Map<String, Object>> compare(
      List<String> names, URI uri, int size, int inFlight, int rounds, Duration warmup,
      Duration measure) throws InterruptedException {
    List<HttpPeers.Client> clients = new ArrayList<>();
    Map<String, Latencies> latencies = new LinkedHashMap<>();
    Map<String, AtomicLong> errors = new LinkedHashMap<>();
    Map<String, AtomicLong> callerBytes = new LinkedHashMap<>();
    Map<String, AtomicLong> started = new LinkedHashMap<>();
    try {
      for (String name : names) {
        clients.add(HttpPeers.create(name));
        latencies.put(name, new Latencies());
        errors.put(name, new AtomicLong());
        callerBytes.put(name, new AtomicLong());
        started.put(name, new AtomicLong());
      }
      for (int round = 0; round < rounds; round++) {
        List<HttpPeers.Client> order = new ArrayList<>(clients);
        if (round % 2 == 1) {
          java.util.Collections.reverse(order);
        }
        for (HttpPeers.Client client : order) {
          run(client, uri, size, inFlight, warmup, measure, latencies.get(client.name()),
              errors.get(client.name()), callerBytes.get(client.name()),
              started.get(client.name()));
        }
      }
    } finally {
      for (HttpPeers.Client c : clients) {
        c.close();
      }
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    double seconds = rounds * measure.toNanos() / 1e9;
    for (String name : names) {
      Latencies all = latencies.get(name);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("client", name);
      row.put("bodyBytes", size);
      row.put("inFlight", inFlight);
      row.put("requests", all.size());
      row.put("errors", errors.get(name).get());
      row.put("requestsPerSecond", all.size() / seconds);
      row.put("p50Micros", all.quantileMicros(0.50));
      row.put("p99Micros", all.quantileMicros(0.99));
      row.put("p999Micros", all.quantileMicros(0.999));
      row.put("callerBytesPerRequest",
          callerBytes.get(name).get() / (double) Math.max(1, started.get(name).get()));
      System.out.printf(
          "%-13s %6d B %3d in flight: %9.0f req/s  p50 %8.1f us  p99 %8.1f us  p99.9 %8.1f us"
              + "  caller %6.0f B/req  errors %d%n",
          name, size, inFlight, row.get("requestsPerSecond"), row.get("p50Micros"),
          row.get("p99Micros"), row.get("p999Micros"), row.get("callerBytesPerRequest"),
          row.get("errors"));
      rows.add(row);
    }
    return rows;
  }

  /** One client, one window: latencies of successful requests measured into {@code into}. */
  static void run(
      HttpPeers.Client client, URI uri, int size, int inFlight, Duration warmup, Duration measure,
      Latencies into, AtomicLong errors, AtomicLong callerBytes, AtomicLong started)
      throws InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(ATTEMPT_TIMEOUT).GET().build();
    long start = System.nanoTime();
    long measureFrom = start + warmup.toNanos();
    long end = measureFrom + measure.toNanos();
    Latencies[] perThread = new Latencies[inFlight];
    CountDownLatch done = new CountDownLatch(inFlight);
    for (int i = 0; i < inFlight; i++) {
      Latencies mine = new Latencies();
      perThread[i] = mine;
      Thread t =
          new Thread(
              () -> {
                long allocatedAtStart = -1;
                long sent = 0;
                try {
                  long now;
                  while ((now = System.nanoTime()) < end) {
                    if (now >= measureFrom) {
                      if (allocatedAtStart < 0) {
                        allocatedAtStart = THREADS.getCurrentThreadAllocatedBytes();
                      }
                      sent++;
                    }
                    boolean ok;
                    try {
                      HttpResponse<byte[]> r = client.send(request);
                      ok = r.statusCode() == 200 && r.body().length == size;
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                      return;
                    } catch (Exception e) {
                      ok = false;
                    }
                    long after = System.nanoTime();
                    if (now >= measureFrom && after <= end) {
                      if (ok) {
                        mine.add(after - now);
                      } else {
                        errors.incrementAndGet();
                      }
                    }
                  }
                } finally {
                  if (allocatedAtStart >= 0) {
                    callerBytes.addAndGet(
                        THREADS.getCurrentThreadAllocatedBytes() - allocatedAtStart);
                    started.addAndGet(sent);
                  }
                  done.countDown();
                }
              },
              "load-" + i);
      t.setDaemon(true);
      t.start();
    }
    done.await();
    for (Latencies l : perThread) {
      into.addAll(l);
    }
  }
}
