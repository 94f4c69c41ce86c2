package dev.riprap.benchmarks.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.riprap.benchmarks.http.Args;
import dev.riprap.benchmarks.http.HttpPeers;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Writes {@code docs/benchmarks.md} from one run's raw results: the JMH JSON of the policy
 * benchmarks (1 and 2 threads), the loopback HTTP JSON, the fault-scenario JSON and the run's
 * {@code run-info.properties} (date, mode, JMH options, load average before and after). Every
 * ratio is computed from numbers of the same run; every target is checked against them and
 * reported as met or missed. The HTTP cache conformance section ({@code cache-tests.md}, written
 * by {@code benchmarks/cache-tests/run.sh --docs}) and a hand-written {@code analysis.md} beside
 * the JSON, if present, are appended as they are, in that order.
 *
 * <p>Usage: {@code Report --dir docs/benchmarks --out docs/benchmarks.md}.
 */
public final class Report {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PKG = "dev.riprap.benchmarks.policy.";
  /** Riprap standard(): 10 s attempt timeout; 3 backoffs of at most 200/400/800 ms +50% jitter. */
  private static final double P99_BOUND_MILLIS = 10_000 + 1.5 * (200 + 400 + 800);

  private final StringBuilder md = new StringBuilder();
  private final List<String[]> targets = new ArrayList<>();

  private Report() {}

  /**
   * Writes the report.
   *
   * @param args {@code --dir DIR --out FILE}
   * @throws IOException when a result file cannot be read or the report written
   */
  public static void main(String[] args) throws IOException {
    Map<String, String> opts =
        Args.parse(args, Map.of("dir", "docs/benchmarks", "out", "docs/benchmarks.md"));
    Path dir = Path.of(opts.get("dir"));
    Report r = new Report();
    String body = r.write(dir);
    Files.writeString(Path.of(opts.get("out")), body, StandardCharsets.UTF_8);
  }

  private String write(Path dir) throws IOException {
    Properties info = new Properties();
    try (Reader in = Files.newBufferedReader(dir.resolve("run-info.properties"))) {
      info.load(in);
    }
    Map<String, Map<Integer, JsonNode>> jmh = new LinkedHashMap<>();
    JsonNode jmhAny = null;
    for (String file : List.of("jmh-1-thread.json", "jmh-2-threads.json")) {
      Path p = dir.resolve(file);
      if (!Files.exists(p)) {
        continue;
      }
      for (JsonNode b : JSON.readTree(p.toFile())) {
        jmhAny = b;
        String name = b.get("benchmark").asText().substring(PKG.length());
        jmh.computeIfAbsent(name, k -> new LinkedHashMap<>()).put(b.get("threads").asInt(), b);
      }
    }
    JsonNode http = read(dir.resolve("http.json"));
    JsonNode faults = read(dir.resolve("faults.json"));
    JsonNode replicas = read(dir.resolve("replicas.json"));

    StringBuilder head = new StringBuilder();
    head.append("# Benchmarks\n\n");
    head.append("Riprap side by side with resilience4j ")
        .append(info.getProperty("resilience4jVersion", "")).append(", Failsafe ")
        .append(info.getProperty("failsafeVersion", "")).append(" and the raw call, ")
        .append("in one run on one machine. This file is written by `benchmarks/run.sh` ")
        .append("from the raw results kept beside it in `docs/benchmarks/` ")
        .append("(JMH JSON, `http.json`, `faults.json`, `replicas.json`); do not edit it by hand: rerun the script.\n\n");
    head.append("## The run\n\n");
    head.append("| | |\n|---|---|\n");
    head.append("| date (UTC) | ").append(info.getProperty("date")).append(" |\n");
    head.append("| mode | `").append(info.getProperty("mode")).append("` (`benchmarks/run.sh --")
        .append(info.getProperty("mode")).append("`) |\n");
    head.append("| machine | ").append(cpuModel()).append(", ")
        .append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
        .append(memory()).append(" |\n");
    head.append("| OS | ").append(System.getProperty("os.name")).append(' ')
        .append(System.getProperty("os.version")).append(' ')
        .append(System.getProperty("os.arch")).append(" |\n");
    if (jmhAny != null) {
      head.append("| JDK | ").append(jmhAny.get("vmName").asText()).append(' ')
          .append(jmhAny.get("vmVersion").asText()).append(" (JDK ")
          .append(jmhAny.get("jdkVersion").asText()).append(") |\n");
      head.append("| JMH | ").append(jmhAny.get("jmhVersion").asText()).append(", `")
          .append(info.getProperty("jmhOptions")).append(" -prof gc`, average time |\n");
    }
    head.append("| load average (1, 5, 15 min) | before: ").append(info.getProperty("loadStart"))
        .append("; after the JMH part: ").append(info.getProperty("loadAfterJmh", "n/a"))
        .append("; before the HTTP part: ").append(info.getProperty("loadBeforeHttp", "n/a"))
        .append("; before the fault scenarios: ")
        .append(info.getProperty("loadBeforeFaults", "n/a"))
        .append("; before the replica scenarios: ")
        .append(info.getProperty("loadBeforeReplicas", "n/a"))
        .append("; at the end: ").append(info.getProperty("loadEnd")).append(" |\n\n");
    int cores = Runtime.getRuntime().availableProcessors();
    List<String> loaded = new ArrayList<>();
    String[][] points = {
      {"loadStart", "when the run started"}, {"loadAfterJmh", "after the JMH part"},
      {"loadBeforeHttp", "before the HTTP part"}, {"loadBeforeFaults", "before the fault scenarios"},
      {"loadBeforeReplicas", "before the replica scenarios"},
      {"loadEnd", "at the end"}};
    for (String[] point : points) {
      double load = firstNumber(info.getProperty(point[0]));
      if (load > cores * 0.5) {
        loaded.add(fmt(load, 2) + " " + point[1]);
      }
    }
    if (!loaded.isEmpty()) {
      head.append("**Read these numbers with care: the machine was loaded** (1-minute load ")
          .append("average ").append(String.join(", ", loaded))
          .append(", on ").append(cores).append(" cores; the load counts the benchmark's own ")
          .append("threads too, such as 32 callers and the server's pool in the HTTP part, and ")
          .append("whatever else ran). Times measured under that load are ")
          .append("slower and noisier than on a quiet machine; the error columns and the spread ")
          .append("between peers show how far to trust them. Allocation figures do not depend on ")
          .append("the load.\n\n");
    }

    policy(jmh);
    http(http);
    faults(faults);
    if (replicas != null) {
      ReplicaSection.write(replicas, md, targets);
    }

    StringBuilder out = new StringBuilder(head);
    out.append("## Targets\n\n");
    out.append("Each target of the benchmark issue, checked against this run.\n\n");
    out.append("| target | measured | |\n|---|---|---|\n");
    for (String[] t : targets) {
      out.append("| ").append(t[0]).append(" | ").append(t[1]).append(" | ").append(t[2])
          .append(" |\n");
    }
    out.append('\n');
    out.append(md);
    // The HTTP cache conformance section, written by benchmarks/cache-tests/run.sh --docs (the
    // suite needs node, so it is not part of this run).
    Path cacheTests = dir.resolve("cache-tests.md");
    if (Files.exists(cacheTests)) {
      out.append(Files.readString(cacheTests, StandardCharsets.UTF_8));
    }
    Path analysis = dir.resolve("analysis.md");
    if (Files.exists(analysis)) {
      out.append(Files.readString(analysis, StandardCharsets.UTF_8));
    }
    return out.toString();
  }

  // ------------------------------------------------------------------ policy overhead

  private void policy(Map<String, Map<Integer, JsonNode>> jmh) {
    if (jmh.isEmpty()) {
      return;
    }
    md.append("## Policy overhead (JMH)\n\n");
    md.append("Each variant is built once with the same settings (bulkhead 100, rate limiter ")
        .append("10^9/s, count breaker of 100 calls at 80%, retry 3 attempts 500 ms apart; none ")
        .append("trips, throttles or waits on the success path) and shared by the benchmark ")
        .append("threads. The raw call burns a few CPU tokens and returns a constant. ")
        .append("*Overhead* is the variant's time minus the raw call's at the same thread count; ")
        .append("*B/op* is `gc.alloc.rate.norm`; *÷ r4j* and *÷ Failsafe* divide the row's time by ")
        .append("the peer's in the same table. Source: `benchmarks/src/main/java/dev/riprap/")
        .append("benchmarks/policy/`.\n\n");
    for (int threads : new int[] {1, 2}) {
      if (!has(jmh, "PipelineBenchmark.raw", threads)) {
        continue;
      }
      md.append("### ").append(threads).append(threads == 1 ? " thread\n\n" : " threads\n\n");
      table(jmh, threads, "Full pipeline: Retry(CircuitBreaker(RateLimiter(Bulkhead(call))))",
          new String[][] {
            {"raw call", "PipelineBenchmark.raw", null},
            {"resilience4j Decorators", "PipelineBenchmark.resilience4j", "r4j"},
            {"Failsafe", "PipelineBenchmark.failsafe", "fs"},
            {"**Riprap Policy**", "PipelineBenchmark.riprap", "riprap"},
          });
      List<String[]> alone = new ArrayList<>();
      for (String s : new String[] {"retry", "circuitBreaker", "rateLimiter", "bulkhead"}) {
        String label = s.equals("circuitBreaker") ? "circuit breaker"
            : s.equals("rateLimiter") ? "rate limiter" : s;
        alone.add(new String[] {label + ", resilience4j", "StrategyBenchmark." + s + "Resilience4j", "r4j"});
        alone.add(new String[] {label + ", Failsafe", "StrategyBenchmark." + s + "Failsafe", "fs"});
        alone.add(new String[] {"**" + label + ", Riprap**", "StrategyBenchmark." + s + "Riprap", "riprap"});
      }
      if (has(jmh, "StrategyBenchmark.retryRiprap", threads)) {
        tableGroups(jmh, threads, "Each strategy alone", alone, 3);
      }
      table(jmh, threads, "Failure path: breaker open, every call rejected (full pipeline)",
          new String[][] {
            {"resilience4j", "FailurePathBenchmark.breakerOpenResilience4j", "r4j"},
            {"Failsafe", "FailurePathBenchmark.breakerOpenFailsafe", "fs"},
            {"**Riprap**", "FailurePathBenchmark.breakerOpenRiprap", "riprap"},
          });
      table(jmh, threads,
          "Failure path: first attempt fails, second succeeds, zero wait (full pipeline)",
          new String[][] {
            {"resilience4j", "FailurePathBenchmark.retryOnceResilience4j", "r4j"},
            {"Failsafe", "FailurePathBenchmark.retryOnceFailsafe", "fs"},
            {"**Riprap**", "FailurePathBenchmark.retryOnceRiprap", "riprap"},
          });
      table(jmh, threads, "Sync attempt timeout of 1 s that never fires",
          new String[][] {
            {"resilience4j TimeLimiter on an executor", "TimeoutBenchmark.timeoutResilience4j", "r4j"},
            {"Failsafe Timeout with interrupt", "TimeoutBenchmark.timeoutFailsafe", "fs"},
            {"**Riprap attemptTimeout**", "TimeoutBenchmark.timeoutRiprap", "riprap"},
          });
      if (has(jmh, "DiagnosticBenchmark.nanoTime", threads)) {
        table(jmh, threads, "Controls (explain the tables above)",
            new String[][] {
              {"one `System.nanoTime()`", "DiagnosticBenchmark.nanoTime", null},
              {"resilience4j breaker alone", "StrategyBenchmark.circuitBreakerResilience4j", null},
              {"resilience4j breaker alone, one state-transition listener registered",
                "DiagnosticBenchmark.circuitBreakerResilience4jWithTransitionListener", null},
            });
      }
    }
    if (has(jmh, "PipelineBenchmark.riprap", 1)) {
      double raw = score(jmh, "PipelineBenchmark.raw", 1);
      double rip = score(jmh, "PipelineBenchmark.riprap", 1);
      double r4j = score(jmh, "PipelineBenchmark.resilience4j", 1);
      double ripB = alloc(jmh, "PipelineBenchmark.riprap", 1);
      target("full Riprap pipeline at or below hand-composed resilience4j's time (1 thread)",
          fmt(rip, 0) + " ns vs " + fmt(r4j, 0) + " ns (overhead " + fmt(rip - raw, 0) + " vs "
              + fmt(r4j - raw, 0) + " ns)", rip <= r4j);
      target("full Riprap pipeline allocates nothing per call on the success path",
          fmt(ripB, 0) + " B/op", ripB < 1);
    }
    if (has(jmh, "TimeoutBenchmark.timeoutRiprap", 1)) {
      double over = score(jmh, "TimeoutBenchmark.timeoutRiprap", 1)
          - score(jmh, "PipelineBenchmark.raw", 1);
      target("sync attempt timeout under 2 µs of overhead (1 thread)",
          fmt(over, 0) + " ns (resilience4j TimeLimiter "
              + fmt(score(jmh, "TimeoutBenchmark.timeoutResilience4j", 1)
                  - score(jmh, "PipelineBenchmark.raw", 1), 0)
              + " ns, Failsafe Timeout "
              + fmt(score(jmh, "TimeoutBenchmark.timeoutFailsafe", 1)
                  - score(jmh, "PipelineBenchmark.raw", 1), 0) + " ns)",
          over < 2000);
    }
  }

  private void tableGroups(
      Map<String, Map<Integer, JsonNode>> jmh, int threads, String title, List<String[]> rows,
      int group) {
    md.append("**").append(title).append("**\n\n");
    header();
    for (int i = 0; i < rows.size(); i += group) {
      rows(jmh, threads, rows.subList(i, i + group).toArray(new String[0][]));
    }
    md.append('\n');
  }

  private void table(
      Map<String, Map<Integer, JsonNode>> jmh, int threads, String title, String[][] rows) {
    if (!has(jmh, rows[rows.length - 1][1], threads)) {
      return;
    }
    md.append("**").append(title).append("**\n\n");
    header();
    rows(jmh, threads, rows);
    md.append('\n');
  }

  private void header() {
    md.append("| variant | ns/op | ± error | overhead over raw | B/op | ÷ r4j | ÷ Failsafe |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|\n");
  }

  private void rows(Map<String, Map<Integer, JsonNode>> jmh, int threads, String[][] rows) {
    double raw = score(jmh, "PipelineBenchmark.raw", threads);
    double r4j = Double.NaN;
    double fs = Double.NaN;
    for (String[] row : rows) {
      if ("r4j".equals(row[2])) {
        r4j = score(jmh, row[1], threads);
      } else if ("fs".equals(row[2])) {
        fs = score(jmh, row[1], threads);
      }
    }
    for (String[] row : rows) {
      if (!has(jmh, row[1], threads)) {
        continue;
      }
      double s = score(jmh, row[1], threads);
      boolean isRaw = row[1].equals("PipelineBenchmark.raw") || row[2] == null;
      md.append("| ").append(row[0]).append(" | ").append(fmt(s, s < 100 ? 1 : 0))
          .append(" | ").append(fmt(error(jmh, row[1], threads), s < 100 ? 1 : 0))
          .append(" | ").append(isRaw ? "" : fmt(s - raw, 0))
          .append(" | ").append(fmt(Math.max(0, alloc(jmh, row[1], threads)), 0))
          .append(" | ").append(row[2] == null || Double.isNaN(r4j) ? "" : fmt(s / r4j, 2) + "x")
          .append(" | ").append(row[2] == null || Double.isNaN(fs) ? "" : fmt(s / fs, 2) + "x")
          .append(" |\n");
    }
  }

  private static boolean has(Map<String, Map<Integer, JsonNode>> jmh, String name, int threads) {
    return jmh.containsKey(name) && jmh.get(name).containsKey(threads);
  }

  private static double score(Map<String, Map<Integer, JsonNode>> jmh, String name, int threads) {
    if (!has(jmh, name, threads)) {
      return Double.NaN;
    }
    return jmh.get(name).get(threads).get("primaryMetric").get("score").asDouble();
  }

  private static double error(Map<String, Map<Integer, JsonNode>> jmh, String name, int threads) {
    return jmh.get(name).get(threads).get("primaryMetric").get("scoreError").asDouble(Double.NaN);
  }

  private static double alloc(Map<String, Map<Integer, JsonNode>> jmh, String name, int threads) {
    if (!has(jmh, name, threads)) {
      return Double.NaN;
    }
    JsonNode secondary = jmh.get(name).get(threads).get("secondaryMetrics");
    for (String key : new String[] {"gc.alloc.rate.norm", "·gc.alloc.rate.norm"}) {
      if (secondary != null && secondary.has(key)) {
        return secondary.get(key).get("score").asDouble();
      }
    }
    return Double.NaN;
  }

  // ------------------------------------------------------------------ HTTP

  private void http(JsonNode http) {
    if (http == null) {
      return;
    }
    md.append("## HTTP on loopback\n\n");
    md.append("A JDK `HttpServer` on 127.0.0.1 (`-Dsun.net.httpserver.nodelay=true`) answering ")
        .append("GET with a 64 B or a 16 KiB body; in the same JVM, N threads each send a request ")
        .append("and read the whole body before sending the next (N requests in flight). The ")
        .append("clients: the raw JDK `HttpClient`, `ResilientHttpClient.standard()`, resilience4j ")
        .append("decorators around `send` and Failsafe around `send` (see `HttpPeers`). ");
    if (http.path("jvmPerClientAndConfiguration").asBoolean(false)) {
      md.append("Each client runs each configuration in a JVM of its own, as JMH forks one per ")
          .append("benchmark: clients sharing a JVM share the JIT's type profiles of the JDK's ")
          .append("HTTP code and its compile time, and a JDK 17 `HttpClient` cannot be closed, ")
          .append("so earlier clients' threads and connections would still run. The clients ")
          .append("take turns, the order reversed from one configuration to the next. In its ")
          .append("JVM, a client first runs one-second warm-up passes until the JIT compiler is ")
          .append("quiet (under 2% of a pass) or ").append(http.get("maxWarmupPasses").asText())
          .append(" passes have run, then ");
    } else {
      md.append("All clients share one JVM; every client is warmed up first, then the clients ")
          .append("alternate: ");
    }
    md.append(http.get("rounds").asText()).append(" rounds of ")
        .append(http.get("warmupSeconds").asText()).append(" s of warm-up and ")
        .append(http.get("measureSeconds").asText())
        .append(" s measured; a row adds up its client's measured windows. *vs raw* is the row's ")
        .append("throughput as a share of the raw client's, and its p99 as a multiple of the raw ")
        .append("client's, in the same configuration. *JIT ms* is the time the JIT compiler ")
        .append("spent compiling during the measured rounds (it competes with the benchmark for ")
        .append("the cores). *caller B/req* is what the calling thread ")
        .append("allocated per request (the client's own work on the caller's side; the JDK ")
        .append("client's selector and body-reading threads are not counted): unlike the times, ")
        .append("it does not depend on the machine's load.\n\n");
    Map<String, JsonNode> raw = new LinkedHashMap<>();
    for (JsonNode r : http.get("results")) {
      if (r.get("client").asText().equals("raw")) {
        raw.put(r.get("bodyBytes").asText() + "/" + r.get("inFlight").asText(), r);
      }
    }
    md.append("| body | in flight | client | req/s | vs raw | p50 µs | p99 µs | p99 vs raw | p99.9 µs | caller B/req | errors | JIT ms |\n");
    md.append("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    int configs = 0;
    int fastEnough = 0;
    int tailOk = 0;
    double worstShare = Double.MAX_VALUE;
    double worstTail = 0;
    for (JsonNode r : http.get("results")) {
      JsonNode base = raw.get(r.get("bodyBytes").asText() + "/" + r.get("inFlight").asText());
      String client = r.get("client").asText();
      double rps = r.get("requestsPerSecond").asDouble();
      double p99 = r.get("p99Micros").asDouble();
      double share = base == null ? Double.NaN : rps / base.get("requestsPerSecond").asDouble();
      double tail = base == null ? Double.NaN : p99 / base.get("p99Micros").asDouble();
      md.append("| ").append(r.get("bodyBytes").asText()).append(" B | ")
          .append(r.get("inFlight").asText()).append(" | ")
          .append(client.equals("riprap") ? "**riprap**" : client).append(" | ")
          .append(fmt(rps, 0)).append(" | ")
          .append(client.equals("raw") ? "" : fmt(100 * share, 0) + "%").append(" | ")
          .append(fmt(r.get("p50Micros").asDouble(), 0)).append(" | ")
          .append(fmt(p99, 0)).append(" | ")
          .append(client.equals("raw") ? "" : fmt(tail, 2) + "x").append(" | ")
          .append(fmt(r.get("p999Micros").asDouble(), 0)).append(" | ")
          .append(r.has("callerBytesPerRequest")
              ? fmt(r.get("callerBytesPerRequest").asDouble(), 0) : "n/a").append(" | ")
          .append(r.get("errors").asText()).append(" | ")
          .append(r.has("jitMillisWhileMeasured") ? r.get("jitMillisWhileMeasured").asText() : "n/a")
          .append(" |\n");
      if (client.equals("riprap") && base != null) {
        configs++;
        if (share >= 0.95) {
          fastEnough++;
        }
        if (tail <= 1.10) {
          tailOk++;
        }
        worstShare = Math.min(worstShare, share);
        worstTail = Math.max(worstTail, tail);
      }
    }
    md.append('\n');
    if (configs > 0) {
      target("HTTP: Riprap at 95% or more of the raw client's throughput",
          fastEnough + " of " + configs + " configurations; lowest " + fmt(100 * worstShare, 0)
              + "%", fastEnough == configs);
      target("HTTP: Riprap p99 within 10% of the raw client's",
          tailOk + " of " + configs + " configurations; worst " + fmt(worstTail, 2) + "x",
          tailOk == configs);
    }
  }

  // ------------------------------------------------------------------ faults

  private void faults(JsonNode faults) {
    if (faults == null) {
      return;
    }
    md.append("## Resilience under faults\n\n");
    md.append("A local upstream on 127.0.0.1 misbehaves on purpose (`FaultyUpstream`); calls ")
        .append("arrive at a fixed rate (open loop) on at most ")
        .append(faults.get("maxInFlight").asText())
        .append(" caller threads: an arrival that finds them all busy is shed and counts as a ")
        .append("failure. Every request carries a ").append(faults.get("attemptTimeoutSeconds")
            .asText())
        .append(" s `HttpRequest.timeout`. Clients as in the HTTP section, a fresh instance per ")
        .append("run; resilience4j and Failsafe get the numbers of Riprap's `standard()` (")
        .append(HttpPeers.describeSettings()).append(") but, as their documentation shows them, ")
        .append("no retry budget and no `Retry-After` handling. *Amplification* is requests the ")
        .append("upstream received ÷ calls made. Latencies are of calls that got an answer or an ")
        .append("exception (shed calls excluded), from their scheduled start.\n\n");
    Map<String, List<JsonNode>> byScenario = new LinkedHashMap<>();
    for (JsonNode r : faults.get("results")) {
      byScenario.computeIfAbsent(r.get("scenario").asText(), k -> new ArrayList<>()).add(r);
    }
    for (Map.Entry<String, List<JsonNode>> e : byScenario.entrySet()) {
      String scenario = e.getKey();
      List<JsonNode> rows = e.getValue();
      JsonNode first = rows.get(0);
      JsonNode raw = null;
      JsonNode rip = null;
      for (JsonNode r : rows) {
        if (r.get("client").asText().equals("raw")) {
          raw = r;
        } else if (r.get("client").asText().equals("riprap")) {
          rip = r;
        }
      }
      md.append("### ").append(title(scenario, faults, first)).append("\n\n");
      boolean outage = scenario.equals("outage");
      boolean throttle = scenario.equals("throttle");
      md.append("| client | success | upstream received | amplification | p50 ms | p99 ms | shed");
      if (outage) {
        md.append(" | received while down | vs raw | success while down | recovery after heal");
      }
      if (throttle) {
        md.append(" | retries before Retry-After");
      }
      md.append(" |\n|---|---:|---:|---:|---:|---:|---:");
      if (outage) {
        md.append("|---:|---:|---:|---:");
      }
      if (throttle) {
        md.append("|---:");
      }
      md.append("|\n");
      for (JsonNode r : rows) {
        String client = r.get("client").asText();
        md.append("| ").append(client.equals("riprap") ? "**riprap**" : client).append(" | ")
            .append(fmt(100 * r.get("successRate").asDouble(), 2)).append("% | ")
            .append(r.get("upstreamReceived").asText()).append(" | ")
            .append(fmt(r.get("amplification").asDouble(), 2)).append("x | ")
            .append(fmt(r.get("p50Millis").asDouble(), 1)).append(" | ")
            .append(fmt(r.get("p99Millis").asDouble(), 1)).append(" | ")
            .append(r.get("shed").asText());
        if (outage) {
          double down = r.get("upstreamReceivedInOutage").asDouble();
          double rec = r.get("recoveryMillis").asDouble();
          md.append(" | ").append(r.get("upstreamReceivedInOutage").asText()).append(" | ")
              .append(raw == null ? "" : fmt(100 * down
                  / raw.get("upstreamReceivedInOutage").asDouble(), 1) + "%")
              .append(" | ").append(fmt(100 * r.get("outageSuccessRate").asDouble(), 1))
              .append("% | ").append(rec < 0 ? "not within the run" : fmt(rec, 0) + " ms");
        }
        if (throttle) {
          md.append(" | ").append(r.get("earlyRetries").asText());
        }
        md.append(" |\n");
      }
      md.append('\n');
      for (JsonNode r : rows) {
        JsonNode changes = r.get("breakerChanges");
        if (changes == null || changes.size() == 0) {
          continue;
        }
        double from = r.get("outageFromSeconds").asDouble();
        md.append("The ").append(r.get("client").asText())
            .append(" breaker's state changes, from its event stream, in seconds from the start ")
            .append("(the upstream was down from ").append(fmt(from, 0)).append(" s to ")
            .append(fmt(from + r.get("outageSeconds").asDouble(), 0)).append(" s): ");
        List<String> all = new ArrayList<>();
        changes.forEach(c -> all.add(c.asText()));
        List<String> shown = all.size() <= 8 ? all
            : new ArrayList<>(all.subList(0, 5));
        if (all.size() > 8) {
          shown.add("… " + (all.size() - 7) + " more …");
          shown.addAll(all.subList(all.size() - 2, all.size()));
        }
        md.append(String.join("; ", shown)).append(".\n\n");
      }
      if (rip != null) {
        faultTargets(scenario, rip, raw);
      }
    }
  }

  private static String title(String scenario, JsonNode faults, JsonNode first) {
    String rate = first.get("callsPerSecond").asText() + " calls/s for "
        + fmt(first.get("seconds").asDouble(), 0) + " s";
    switch (scenario) {
      case "outage":
        return "Full outage, then recovery (" + rate + "; every request answered 503 for "
            + fmt(first.get("outageSeconds").asDouble(), 0) + " s in the middle)";
      case "transient":
        return "Transient errors (" + rate + "; each request answered 503 with probability "
            + fmt(faults.get("transientRate").asDouble(), 2) + ")";
      case "throttle":
        return "429 with Retry-After (" + rate + "; the first request of "
            + fmt(100 * faults.get("throttleRate").asDouble(), 0)
            + "% of calls answered 429 with `Retry-After: "
            + faults.get("retryAfterSeconds").asText() + "`)";
      case "slow-tail":
        return "Latency spikes (" + rate + "; " + fmt(100 * faults.get("slowRate").asDouble(), 0)
            + "% of requests answered after " + faults.get("slowMillis").asText() + " ms)";
      default:
        return scenario;
    }
  }

  private void faultTargets(String scenario, JsonNode rip, JsonNode raw) {
    double p99 = rip.get("p99Millis").asDouble();
    switch (scenario) {
      case "outage":
        if (raw != null) {
          double share = rip.get("upstreamReceivedInOutage").asDouble()
              / raw.get("upstreamReceivedInOutage").asDouble();
          target("outage: upstream receives at most 5% of what the unprotected client sends",
              fmt(100 * share, 1) + "% (" + rip.get("upstreamReceivedInOutage").asText() + " vs "
                  + raw.get("upstreamReceivedInOutage").asText() + " while down)", share <= 0.05);
          double s = rip.get("successRate").asDouble();
          double rs = raw.get("successRate").asDouble();
          target("outage: callers see at least the unprotected client's success rate",
              fmt(100 * s, 2) + "% vs " + fmt(100 * rs, 2) + "%", s >= rs);
        }
        double rec = rip.get("recoveryMillis").asDouble();
        target("outage: traffic flows again within 1 s of the upstream healing",
            rec < 0 ? "not within the run" : fmt(rec, 0) + " ms", rec >= 0 && rec <= 1000);
        break;
      case "transient":
        double s = rip.get("successRate").asDouble();
        double a = rip.get("amplification").asDouble();
        target("20% transient errors: at least 99.5% success", fmt(100 * s, 2) + "%", s >= 0.995);
        target("20% transient errors: at most 1.3x amplification", fmt(a, 2) + "x", a <= 1.3);
        break;
      case "throttle":
        long early = rip.get("earlyRetries").asLong();
        target("429: no request sent before its Retry-After elapses",
            early + " early retries", early == 0);
        break;
      default:
        break;
    }
    target(scenario + ": p99 under the attempt timeout plus backoff ("
            + fmt(P99_BOUND_MILLIS / 1000, 1) + " s)",
        fmt(p99, 0) + " ms", p99 < P99_BOUND_MILLIS);
  }

  // ------------------------------------------------------------------ helpers

  private void target(String what, String measured, boolean met) {
    targets.add(new String[] {what, measured, met ? "met" : "**missed**"});
  }

  private static JsonNode read(Path p) throws IOException {
    return Files.exists(p) ? JSON.readTree(p.toFile()) : null;
  }

  static String fmt(double v, int decimals) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    return String.format(Locale.ROOT, "%,." + decimals + "f", v);
  }

  private static double firstNumber(String s) {
    if (s == null) {
      return Double.NaN;
    }
    String[] parts = s.trim().split("[ ,]+");
    try {
      return Double.parseDouble(parts[0]);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: fall through to the architecture.
    }
    return System.getProperty("os.arch");
  }

  private static String memory() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return fmt(kb / 1024.0 / 1024.0, 1) + " GiB RAM";
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: memory unknown.
    }
    return "RAM unknown";
  }
}
