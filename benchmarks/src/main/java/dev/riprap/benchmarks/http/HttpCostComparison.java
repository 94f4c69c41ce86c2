package dev.riprap.benchmarks.http;

import dev.riprap.http.ResilientHttpClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What one HTTP request costs the client's process, per request and per thread, in measures that
 * do not depend on how busy the machine is: CPU time, context switches (voluntary: the thread
 * parked; involuntary: it was preempted) and bytes allocated. The raw JDK client and {@code
 * ResilientHttpClient.standard()}, each through {@code send} and {@code sendAsync}, each in a JVM
 * of its own; the upstream ({@link Upstream}, 64 B or the given size) runs in a third JVM, so
 * nothing the server does is counted.
 *
 * <p>Per thread of the client's JVM, from {@code /proc/self/task/<tid>/}: {@code schedstat} (CPU
 * nanoseconds on the core), {@code status} ({@code voluntary_ctxt_switches}, {@code
 * nonvoluntary_ctxt_switches}) and {@code comm} (the thread's name, which groups the threads:
 * the callers, the client's selector, its workers, the common pool, Riprap's timer, the JIT
 * compiler, GC and the rest); bytes from {@code ThreadMXBean.getThreadAllocatedBytes}. Each JVM
 * warms up for {@code --warmup} requests per caller, then measures {@code --rounds} rounds of
 * {@code --requests} requests per caller and reports, per group, the round with the median CPU
 * time of the non-JIT threads. Linux only.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.riprap.benchmarks.http.HttpCostComparison
 * java -cp benchmarks/target/benchmarks.jar dev.riprap.benchmarks.http.HttpCostComparison \
 *     --clients raw-sync,riprap-sync --in-flight 1 --body 64
 * </pre>
 */
public final class HttpCostComparison {
  /** The clients, each a way of sending: the JDK's and Riprap's, sync and async. */
  static final List<String> CLIENTS =
      List.of("raw-sync", "riprap-sync", "raw-async", "riprap-async");
  /**
   * The same around {@link StubHttpClient}, which answers on the caller's thread: what Riprap
   * itself costs per request, without the JDK client's.
   */
  static final List<String> STUBS =
      List.of("stub-sync", "riprap-stub-sync", "stub-async", "riprap-stub-async");
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private HttpCostComparison() {}

  /**
   * Runs each client in a JVM of its own against an upstream in another, and prints a table;
   * {@code --serve SIZE} is the upstream's JVM, {@code --client NAME --uri URI} one client's.
   *
   * @param args {@code [--clients a,b] [--in-flight N] [--body BYTES] [--warmup N] [--requests N]
   *     [--rounds N]}
   * @throws Exception when a JVM cannot be started or fails
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = Args.parse(args, Map.of("clients", String.join(",", CLIENTS),
        "in-flight", "1", "body", "64", "warmup", "20000", "requests", "2000", "rounds", "9",
        "serve", "", "client", "", "uri", "", "trace", "false"));
    if (!opts.get("serve").isEmpty()) {
      serve(Integer.parseInt(opts.get("serve")));
      return;
    }
    if (!opts.get("client").isEmpty()) {
      measure(opts);
      return;
    }
    Process server = start(List.of("-Dsun.net.httpserver.nodelay=true"),
        List.of("--serve", opts.get("body")));
    try {
      BufferedReader out = new BufferedReader(
          new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String uri = out.readLine();
      if (uri == null) {
        throw new IllegalStateException("the upstream's JVM ended before it started");
      }
      for (String client : opts.get("clients").split(",")) {
        List<String> a = new ArrayList<>(List.of("--client", client, "--uri", uri));
        for (String k : List.of("in-flight", "warmup", "requests", "rounds", "body", "trace")) {
          a.add("--" + k);
          a.add(opts.get(k));
        }
        Process c = start(List.of(), a);
        c.getInputStream().transferTo(System.out);
        if (c.waitFor() != 0) {
          throw new IllegalStateException("the JVM of " + client + " failed");
        }
      }
    } finally {
      server.destroy();
      server.waitFor();
    }
  }

  private static Process start(List<String> jvmOptions, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        HttpCostComparison.class.getName()));
    command.addAll(args);
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /** The upstream's JVM: prints its URI, serves until its standard input closes. */
  private static void serve(int size) throws Exception {
    byte[] body = new byte[size];
    Arrays.fill(body, (byte) 'x');
    try (Upstream upstream = new Upstream(64, exchange -> Upstream.answer(exchange, 200, body))) {
      System.out.println(upstream.uri("/"));
      System.out.flush();
      System.in.transferTo(java.io.OutputStream.nullOutputStream());
    }
  }

  /** One way of sending, reading the body as bytes. */
  private interface Sender {
    HttpResponse<byte[]> send(HttpRequest request) throws Exception;
  }

  private static HttpClient stub(int size) {
    byte[] body = new byte[size];
    Arrays.fill(body, (byte) 'x');
    return new StubHttpClient(body);
  }

  /** {@code name}: the client (raw, riprap, stub, riprap-stub), a dash, then sync or async. */
  private static Sender sender(String name, int size) {
    HttpResponse.BodyHandler<byte[]> bytes = HttpResponse.BodyHandlers.ofByteArray();
    int dash = name.lastIndexOf('-');
    String kind = dash < 0 ? "" : name.substring(0, dash);
    HttpClient client;
    switch (kind) {
      case "raw":
        client = HttpClient.newHttpClient();
        break;
      case "riprap":
        client = ResilientHttpClient.standard();
        break;
      case "stub":
        client = stub(size);
        break;
      case "riprap-stub":
        client = ResilientHttpClient.builder().delegate(stub(size)).build();
        break;
      default:
        client = null;
    }
    String mode = name.substring(dash + 1);
    if (client == null || !(mode.equals("sync") || mode.equals("async"))) {
      throw new IllegalArgumentException("unknown client '" + name + "', expected one of "
          + CLIENTS + " or " + STUBS);
    }
    if (mode.equals("sync")) {
      return r -> client.send(r, bytes);
    }
    return r -> client.sendAsync(r, bytes).join();
  }

  /** A reading of every thread of this JVM: CPU ns, context switches, name. */
  private record Task(String group, long cpuNanos, long voluntary, long involuntary) {}

  private static Map<Integer, Task> tasks() throws IOException {
    Map<Integer, Task> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : (Iterable<Path>) s::iterator) {
        try {
          String comm = Files.readString(t.resolve("comm")).trim();
          long cpu = Long.parseLong(Files.readString(t.resolve("schedstat")).split(" ")[0]);
          long vol = 0;
          long invol = 0;
          for (String line : Files.readAllLines(t.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              vol = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
              invol = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
          }
          out.put(Integer.parseInt(t.getFileName().toString()),
              new Task(group(comm), cpu, vol, invol));
        } catch (IOException | RuntimeException gone) {
          // The thread ended while it was read.
        }
      }
    }
    return out;
  }

  /**
   * Groups threads by what they do, from their names as the kernel has them (at most 15
   * characters: {@code HttpClient-1-Wo} is a worker of the first client).
   */
  static String group(String name) {
    if (name.startsWith("load-")) {
      return "callers";
    }
    if (name.matches("HttpClient-\\d+-S.*")) {
      return "client selector";
    }
    if (name.matches("HttpClient-\\d+-W.*")) {
      return "client workers";
    }
    if (name.startsWith("ForkJoinPool.co") || name.equals("java")) {
      // The common pool's threads are named after they start, which the kernel never hears of:
      // they stay "java", like the main thread (which only waits for the rounds here).
      return "common pool, main";
    }
    if (name.startsWith("riprap-timer")) {
      return "riprap timer";
    }
    if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
      return "JIT";
    }
    if (name.startsWith("GC ") || name.startsWith("G1 ")) {
      return "GC";
    }
    return "other";
  }

  private static Map<String, long[]> byGroup(Map<Integer, Task> before, Map<Integer, Task> after) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (Map.Entry<Integer, Task> e : after.entrySet()) {
      Task a = e.getValue();
      Task b = before.get(e.getKey());
      long[] sum = out.computeIfAbsent(a.group(), g -> new long[4]);
      sum[0] += a.cpuNanos() - (b == null ? 0 : b.cpuNanos());
      sum[1] += a.voluntary() - (b == null ? 0 : b.voluntary());
      sum[2] += a.involuntary() - (b == null ? 0 : b.involuntary());
    }
    return out;
  }

  private static Map<String, Long> allocated() {
    Map<String, Long> out = new LinkedHashMap<>();
    long[] ids = THREADS.getAllThreadIds();
    long[] bytes = THREADS.getThreadAllocatedBytes(ids);
    java.lang.management.ThreadInfo[] infos = THREADS.getThreadInfo(ids);
    for (int i = 0; i < ids.length; i++) {
      if (infos[i] != null && bytes[i] >= 0) {
        String name = infos[i].getThreadName();
        out.merge(group(name.length() > 15 ? name.substring(0, 15) : name), bytes[i], Long::sum);
      }
    }
    return out;
  }

  /** One client's JVM: warm-up, rounds, one table. */
  private static void measure(Map<String, String> opts) throws Exception {
    String name = opts.get("client");
    int inFlight = Integer.parseInt(opts.get("in-flight"));
    int size = Integer.parseInt(opts.get("body"));
    int warmup = Integer.parseInt(opts.get("warmup"));
    int requests = Integer.parseInt(opts.get("requests"));
    int rounds = Integer.parseInt(opts.get("rounds"));
    boolean trace = Boolean.parseBoolean(opts.get("trace"));
    Sender sender = sender(name, size);
    HttpRequest request = HttpRequest.newBuilder(URI.create(opts.get("uri")))
        .timeout(LoopbackBenchmark.ATTEMPT_TIMEOUT).GET().build();
    Callers callers = new Callers(sender, request, size, inFlight);
    if (warmup > 0) {
      callers.run(warmup);
    }
    List<Map<String, long[]>> results = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      Map<Integer, Task> before = tasks();
      Map<String, Long> allocBefore = allocated();
      long t0 = System.nanoTime();
      callers.run(requests);
      long wall = System.nanoTime() - t0;
      Map<String, Long> allocAfter = allocated();
      Map<String, long[]> r = byGroup(before, tasks());
      allocAfter.forEach((g, b) -> r.computeIfAbsent(g, k -> new long[4])[3] +=
          b - allocBefore.getOrDefault(g, 0L));
      r.put("wall", new long[] {wall, 0, 0, 0});
      results.add(r);
      if (trace) {
        long jit = r.getOrDefault("JIT", new long[4])[0];
        long rest = r.entrySet().stream()
            .filter(e -> !e.getKey().equals("JIT") && !e.getKey().equals("wall"))
            .mapToLong(e -> e.getValue()[0]).sum();
        double n = (double) requests * inFlight;
        System.out.printf(Locale.ROOT, "%s round %d: wall %.1f us/req, JIT CPU %.1f us/req, "
            + "other CPU %.1f us/req%n", name, round, wall / n / 1000, jit / n / 1000,
            rest / n / 1000);
      }
    }
    // The median round by the CPU time of every thread but the compiler's.
    results.sort(java.util.Comparator.comparingLong(r -> r.entrySet().stream()
        .filter(e -> !e.getKey().equals("JIT") && !e.getKey().equals("wall"))
        .mapToLong(e -> e.getValue()[0]).sum()));
    Map<String, long[]> median = results.get(results.size() / 2);
    double n = (double) requests * inFlight;
    System.out.printf(Locale.ROOT, "%s, %d B, %d in flight: %.1f us/request wall (median round "
        + "of %d, %d requests each)%n", name, size, inFlight, median.get("wall")[0] / n / 1000,
        rounds, (long) n);
    System.out.println("| threads | CPU us/req | voluntary cs/req | involuntary cs/req | B/req |");
    System.out.println("|---|---|---|---|---|");
    long[] total = new long[4];
    for (Map.Entry<String, long[]> e : median.entrySet()) {
      if (e.getKey().equals("wall")) {
        continue;
      }
      long[] v = e.getValue();
      if (!e.getKey().equals("JIT")) {
        for (int i = 0; i < 4; i++) {
          total[i] += v[i];
        }
      }
      System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.0f |%n", e.getKey(),
          v[0] / n / 1000, v[1] / n, v[2] / n, v[3] / n);
    }
    System.out.printf(Locale.ROOT, "| all but JIT | %.2f | %.2f | %.2f | %.0f |%n%n",
        total[0] / n / 1000, total[1] / n, total[2] / n, total[3] / n);
  }

  /**
   * {@code inFlight} caller threads that live as long as the JVM (a thread that ended would take
   * its counts with it), each sending {@code count} requests one after the other per round.
   */
  private static final class Callers {
    private final java.util.concurrent.CyclicBarrier start;
    private final java.util.concurrent.CyclicBarrier end;
    private volatile int count;
    private final List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

    Callers(Sender sender, HttpRequest request, int size, int inFlight) {
      start = new java.util.concurrent.CyclicBarrier(inFlight + 1);
      end = new java.util.concurrent.CyclicBarrier(inFlight + 1);
      for (int i = 0; i < inFlight; i++) {
        Thread t = new Thread(() -> {
          try {
            while (true) {
              start.await();
              try {
                for (int k = count; k > 0; k--) {
                  HttpResponse<byte[]> r = sender.send(request);
                  if (r.statusCode() != 200 || r.body().length != size) {
                    throw new IllegalStateException("unexpected answer " + r);
                  }
                }
              } catch (Exception e) {
                failures.add(e);
              }
              end.await();
            }
          } catch (InterruptedException | java.util.concurrent.BrokenBarrierException e) {
            // The JVM is ending.
          }
        }, "load-" + i);
        t.setDaemon(true);
        t.start();
      }
    }

    void run(int requests) throws Exception {
      count = requests;
      start.await();
      end.await();
      if (!failures.isEmpty()) {
        throw new IllegalStateException("a request failed", failures.get(0));
      }
    }
  }
}
