package dev.riprap.benchmarks.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.File;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Every run is bounded in time.
 *
 * <p>Each client runs each configuration (body size and in-flight count) in a JVM of its own,
 * started by this one with the same Java, class path and JVM options, as JMH forks a JVM per
 * benchmark, for two reasons found while profiling this benchmark:
 * <ul>
 *   <li>The JDK's HTTP client is a large body of code that the JIT compiler works on for many
 *       seconds: clients sharing a JVM share (and pollute) its type profiles, and a client measured
 *       while the compiler still works on another's code pays for it. Each JVM first warms its
 *       client up until the compiler is quiet (compilation under 2% of a one-second pass, or at
 *       most {@code maxWarmupPasses} passes) and reports the compilation time left during the
 *       measured windows.
 *   <li>On JDK 17 an {@code HttpClient} cannot be closed: its selector thread and connections live
 *       until it is garbage collected, so the clients of earlier configurations kept running during
 *       later ones (a run in one JVM measured the last configuration at 41% of raw for Riprap).
 * </ul>
 * The clients take turns (the order reverses from one configuration to the next), so a slow
 * stretch of the machine does not fall on one client only. {@code --fork false} runs everything
 * in this JVM instead: every client is warmed up, then the clients alternate in rounds.
 *
 * <p>Usage: {@code LoopbackBenchmark --mode quick|full --out http.json [--clients raw,riprap]
 * [--bodies 64,16384] [--in-flight 1,8,32] [--fork true|false]}.
 * Run with {@code -Dsun.net.httpserver.nodelay=true}.
 */
public final class LoopbackBenchmark {
  static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
  /** Counts the bytes each calling thread allocates: the client's cost on the caller's side. */
  static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

  private LoopbackBenchmark() {}

  /** How long each part runs in a mode. */
  record Timing(int rounds, Duration roundWarmup, Duration measure, int maxWarmupPasses) {
    static Timing of(String mode) {
      switch (mode) {
        case "quick":
          return new Timing(2, Duration.ofMillis(250), Duration.ofSeconds(1), 4);
        case "full":
          return new Timing(3, Duration.ofMillis(500), Duration.ofSeconds(2), 20);
        default:
          throw new IllegalArgumentException("--mode must be quick or full, was '" + mode + "'");
      }
    }
  }

  /**
   * Runs every configuration and writes the results as JSON.
   *
   * @param args {@code --mode quick|full --out FILE [--clients a,b] [--bodies 64,16384]
   *     [--in-flight 1,8,32] [--fork true|false]}
   * @throws Exception when the server cannot start, a child JVM fails or the file cannot be
   *     written
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = Args.parse(args, Map.of("mode", "quick", "clients",
        String.join(",", HttpPeers.NAMES), "bodies", "64,16384", "in-flight", "1,8,32",
        "fork", "true"));
    Timing timing = Timing.of(opts.get("mode"));
    List<String> clients = Arrays.asList(opts.get("clients").split(","));
    int[] bodySizes =
        Arrays.stream(opts.get("bodies").split(",")).mapToInt(Integer::parseInt).toArray();
    int[] inFlights =
        Arrays.stream(opts.get("in-flight").split(",")).mapToInt(Integer::parseInt).toArray();
    if (!"true".equals(System.getProperty("sun.net.httpserver.nodelay"))) {
      throw new IllegalStateException(
          "run with -Dsun.net.httpserver.nodelay=true, or small answers wait for Nagle's delay");
    }

    boolean fork = Boolean.parseBoolean(opts.get("fork"));
    List<Map<String, Object>> rows = new ArrayList<>();
    if (fork) {
      int configuration = 0;
      for (int size : bodySizes) {
        for (int inFlight : inFlights) {
          List<String> order = new ArrayList<>(clients);
          if (configuration++ % 2 == 1) {
            java.util.Collections.reverse(order);
          }
          List<Map<String, Object>> configRows = new ArrayList<>();
          for (String client : order) {
            configRows.addAll(inChildJvm(opts, client, size, inFlight));
          }
          // Rows in the clients' listed order, whatever order they ran in.
          configRows.sort(java.util.Comparator.comparingInt(
              r -> clients.indexOf((String) r.get("client"))));
          rows.addAll(configRows);
        }
      }
    } else {
      rows.addAll(runHere(clients, bodySizes, inFlights, timing));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("mode", opts.get("mode"));
    out.put("rounds", timing.rounds());
    out.put("warmupSeconds", timing.roundWarmup().toMillis() / 1000.0);
    out.put("measureSeconds", timing.measure().toMillis() / 1000.0);
    out.put("maxWarmupPasses", timing.maxWarmupPasses());
    out.put("jvmPerClientAndConfiguration", fork);
    out.put("results", rows);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(new File(opts.get("out")), out);
  }

  /**
   * Runs one client on one configuration in a new JVM (same Java, class path and JVM options,
   * output passed through) and returns its row.
   */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> inChildJvm(
      Map<String, String> opts, String client, int size, int inFlight)
      throws IOException, InterruptedException {
    Path results =
        Files.createTempFile("riprap-http-" + client + "-" + size + "-" + inFlight + "-", ".json");
    try {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
      command.addAll(List.of("-cp", System.getProperty("java.class.path"),
          LoopbackBenchmark.class.getName(), "--mode", opts.get("mode"), "--clients", client,
          "--bodies", Integer.toString(size), "--in-flight", Integer.toString(inFlight),
          "--fork", "false", "--out", results.toString()));
      Process child = new ProcessBuilder(command).inheritIO().start();
      int exit;
      try {
        exit = child.waitFor();
      } catch (InterruptedException e) {
        child.destroyForcibly();
        throw e;
      }
      if (exit != 0) {
        throw new IllegalStateException("the JVM for " + client + ", " + size + " B, " + inFlight
            + " in flight exited with " + exit);
      }
      Map<String, Object> out = new ObjectMapper().readValue(results.toFile(), Map.class);
      return (List<Map<String, Object>>) out.get("results");
    } finally {
      Files.deleteIfExists(results);
    }
  }

  /** Every configuration in this JVM, after warming every client up on every configuration. */
  static List<Map<String, Object>> runHere(
      List<String> clients, int[] bodySizes, int[] inFlights, Timing timing)
      throws IOException, InterruptedException {
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
      int passes = warmUp(clients, bodySizes, inFlights, upstream, timing.maxWarmupPasses());
      for (int size : bodySizes) {
        for (int inFlight : inFlights) {
          for (Map<String, Object> row : compare(clients, upstream.uri("/" + size), size,
              inFlight, timing.rounds(), timing.roundWarmup(), timing.measure())) {
            row.put("warmupPasses", passes);
            rows.add(row);
          }
        }
      }
    }
    return rows;
  }

  /**
   * Runs every client on every configuration in passes of one second each until the JIT compiler
   * is quiet: a pass in which compilation took less than 2% of it, or {@code maxPasses} passes.
   *
   * @return the number of passes run
   */
  static int warmUp(List<String> clients, int[] bodySizes, int[] inFlights, Upstream upstream,
      int maxPasses) throws InterruptedException {
    Duration slice = Duration.ofSeconds(1);
    for (int pass = 1; ; pass++) {
      long jitBefore = JIT.getTotalCompilationTime();
      long start = System.nanoTime();
      for (String name : clients) {
        try (HttpPeers.Client client = HttpPeers.create(name)) {
          for (int size : bodySizes) {
            for (int inFlight : inFlights) {
              run(client, upstream.uri("/" + size), size, inFlight, Duration.ZERO, slice,
                  new Latencies(), new AtomicLong(), new AtomicLong(), new AtomicLong());
            }
          }
        }
      }
      long passMillis = (System.nanoTime() - start) / 1_000_000;
      long jitMillis = JIT.getTotalCompilationTime() - jitBefore;
      if (jitMillis * 50 < passMillis || pass == maxPasses) {
        System.out.printf("[%s: warm-up of %d passes; compiling %d ms of the last %d ms]%n",
            String.join(",", clients), pass, jitMillis, passMillis);
        return pass;
      }
    }
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
    long jitBefore = JIT.getTotalCompilationTime();
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
    long jitMillis = JIT.getTotalCompilationTime() - jitBefore;
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
      row.put("jitMillisWhileMeasured", jitMillis);
      row.put("callerBytesPerRequest",
          callerBytes.get(name).get() / (double) Math.max(1, started.get(name).get()));
      System.out.printf(
          "%-13s %6d B %3d in flight: %9.0f req/s  p50 %8.1f us  p99 %8.1f us  p99.9 %8.1f us"
              + "  caller %6.0f B/req  errors %d  JIT %d ms%n",
          name, size, inFlight, row.get("requestsPerSecond"), row.get("p50Micros"),
          row.get("p99Micros"), row.get("p999Micros"), row.get("callerBytesPerRequest"),
          row.get("errors"), jitMillis);
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
