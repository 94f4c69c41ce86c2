package dev.riprap.benchmarks.faults;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.riprap.benchmarks.faults.FaultyUpstream.Fault;
import dev.riprap.benchmarks.http.Args;
import dev.riprap.benchmarks.http.HttpPeers;
import java.io.File;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Resilience under faults: each {@link HttpPeers} client against a {@link FaultyUpstream}, driven
 * at a fixed arrival rate (open loop) as user traffic reaches a service, with a bound on the calls
 * in flight (an arrival that finds every worker busy is shed and counts as a failure: a closed loop
 * would slow down with the upstream and hide the overload; see {@link OpenLoop}). Every run is
 * bounded in time and waits at most {@value OpenLoop#DRAIN_SECONDS} s for its last calls.
 *
 * <p>Per scenario and client it reports the success rate callers saw, the requests the upstream
 * received (and their ratio to the calls: the amplification), p50/p99 latency of the calls, and
 * for the outage what reached the upstream while it was down and how long after it healed traffic
 * flowed again; for the throttle, how many retries came before their {@code Retry-After}.
 *
 * <p>Usage: {@code FaultScenarios --mode quick|full --out faults.json [--clients raw,riprap]}.
 */
public final class FaultScenarios {
  static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
  /** The width of the windows the recovery time is read from. */
  static final long BUCKET_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /** A window counts as flowing when this share of its calls succeeded. */
  static final double FLOWING = 0.9;

  private FaultScenarios() {}

  /**
   * Runs the four scenarios for every client and writes the results as JSON.
   *
   * @param args {@code --mode quick|full --out FILE [--clients a,b] [--scenarios outage,...]}
   * @throws Exception when the upstream cannot start or the file cannot be written
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts =
        Args.parse(args, Map.of(
            "mode", "quick",
            "clients", String.join(",", HttpPeers.NAMES),
            "scenarios", "outage,transient,throttle,slow-tail"));
    boolean full = opts.get("mode").equals("full");
    List<String> clients = Arrays.asList(opts.get("clients").split(","));
    List<String> scenarios = Arrays.asList(opts.get("scenarios").split(","));
    // Quick mode keeps the whole run to a couple of minutes; full mode runs each phase 3x longer.
    int scale = full ? 3 : 1;
    List<Map<String, Object>> rows = new ArrayList<>();
    try (FaultyUpstream upstream = new FaultyUpstream()) {
      // A healthy run per client first, unrecorded, so no scenario pays for the JIT or for
      // opening the first connections.
      for (String name : clients) {
        run(upstream, name, "warm-up", Fault.OUTAGE, 200,
            Duration.ofSeconds(2L * scale), Duration.ZERO, Duration.ZERO);
      }
      for (String scenario : scenarios) {
        for (String name : clients) {
          Map<String, Object> row;
          switch (scenario) {
            case "outage":
              row = run(upstream, name, scenario, Fault.OUTAGE, 200,
                  Duration.ofSeconds(3L * scale), Duration.ofSeconds(6L * scale),
                  Duration.ofSeconds(5L * scale));
              break;
            case "transient":
              row = run(upstream, name, scenario, Fault.TRANSIENT, 200,
                  Duration.ofSeconds(8L * scale), Duration.ZERO, Duration.ZERO);
              break;
            case "throttle":
              row = run(upstream, name, scenario, Fault.THROTTLE, 100,
                  Duration.ofSeconds(8L * scale), Duration.ZERO, Duration.ZERO);
              break;
            case "slow-tail":
              row = run(upstream, name, scenario, Fault.SLOW_TAIL, 100,
                  Duration.ofSeconds(8L * scale), Duration.ZERO, Duration.ZERO);
              break;
            default:
              throw new IllegalArgumentException("unknown scenario '" + scenario
                  + "', expected outage, transient, throttle or slow-tail");
          }
          System.out.println(row);
          rows.add(row);
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("mode", opts.get("mode"));
    out.put("maxInFlight", OpenLoop.MAX_IN_FLIGHT);
    out.put("attemptTimeoutSeconds", ATTEMPT_TIMEOUT.toSeconds());
    out.put("transientRate", FaultyUpstream.TRANSIENT_RATE);
    out.put("throttleRate", FaultyUpstream.THROTTLE_RATE);
    out.put("retryAfterSeconds", FaultyUpstream.RETRY_AFTER_SECONDS);
    out.put("slowRate", FaultyUpstream.SLOW_RATE);
    out.put("slowMillis", FaultyUpstream.SLOW_MILLIS);
    out.put("results", rows);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(new File(opts.get("out")), out);
  }

  /**
   * One client through one scenario. For {@link Fault#OUTAGE} the run is {@code first} healthy,
   * {@code outage} down, {@code after} healthy again; for the others it lasts {@code first}.
   */
  static Map<String, Object> run(
      FaultyUpstream upstream, String clientName, String scenario, Fault fault, int perSecond,
      Duration first, Duration outage, Duration after) throws InterruptedException {
    long outageFrom = first.toNanos();
    long outageTo = outageFrom + outage.toNanos();
    long length = fault == Fault.OUTAGE ? outageTo + after.toNanos() : first.toNanos();
    int calls = (int) (length / 1_000_000_000L * perSecond);
    long interval = 1_000_000_000L / perSecond;
    String runId = scenario + "-" + clientName + "-" + System.nanoTime();
    upstream.prepare(fault, fault == Fault.OUTAGE ? outageFrom : Long.MAX_VALUE,
        fault == Fault.OUTAGE ? outageTo : Long.MAX_VALUE);

    List<String> breakerChanges = new ArrayList<>();
    OpenLoop.Result r;
    try (HttpPeers.Client client = HttpPeers.create(clientName, fault == Fault.OUTAGE)) {
      r = OpenLoop.run(calls, interval, upstream::start, i -> {
        HttpRequest request =
            HttpRequest.newBuilder(upstream.uri())
                .timeout(ATTEMPT_TIMEOUT)
                .header(FaultyUpstream.CALL_ID, runId + "-" + i)
                .GET()
                .build();
        return client.send(request).statusCode();
      });
      for (Map.Entry<Long, String> change : client.breakerChanges()) {
        breakerChanges.add(String.format(Locale.ROOT, "%.2f s: %s",
            (change.getKey() - r.start) / 1e9, change.getValue()));
      }
    }
    Map<String, Object> row = summarize(clientName, scenario, fault, perSecond, r, upstream,
        outageFrom, outageTo, length);
    if (!breakerChanges.isEmpty()) {
      row.put("breakerChanges", breakerChanges);
    }
    return row;
  }

  static Map<String, Object> summarize(
      String client, String scenario, Fault fault, int perSecond, OpenLoop.Result r,
      FaultyUpstream upstream, long outageFrom, long outageTo, long length) {
    int outageCalls = 0;
    int outageOk = 0;
    for (int i = 0; i < r.status.length; i++) {
      if (r.issued[i] >= outageFrom && r.issued[i] < outageTo) {
        outageCalls++;
        if (OpenLoop.Result.success(r.status[i])) {
          outageOk++;
        }
      }
    }
    Map<String, Object> row = r.row(scenario, client, perSecond, length);
    row.put("upstreamReceived", upstream.received());
    row.put("amplification", upstream.received() / (double) r.status.length);
    if (fault == Fault.OUTAGE) {
      row.put("outageFromSeconds", outageFrom / 1e9);
      row.put("outageSeconds", (outageTo - outageFrom) / 1e9);
      row.put("outageCalls", outageCalls);
      row.put("outageSuccessRate", outageCalls == 0 ? 0 : outageOk / (double) outageCalls);
      row.put("upstreamReceivedInOutage", upstream.receivedInOutage());
      row.put("recoveryMillis", recoveryMillis(r.issued, r.status, outageTo, length));
    }
    if (fault == Fault.THROTTLE) {
      row.put("earlyRetries", upstream.earlyRetries());
    }
    return row;
  }

  /**
   * How long after the upstream healed traffic flowed again: the start, from the heal, of the
   * first 100 ms window (by when calls were issued) from which on every window's calls succeeded
   * at least {@value #FLOWING} of the time; -1 if the run ended before that.
   */
  static double recoveryMillis(long[] issued, int[] status, long healedAt, long length) {
    int buckets = (int) ((length - healedAt + BUCKET_NANOS - 1) / BUCKET_NANOS);
    int[] total = new int[buckets];
    int[] ok = new int[buckets];
    for (int i = 0; i < issued.length; i++) {
      if (issued[i] >= healedAt) {
        int b = (int) ((issued[i] - healedAt) / BUCKET_NANOS);
        if (b < buckets) {
          total[b]++;
          if (OpenLoop.Result.success(status[i])) {
            ok[b]++;
          }
        }
      }
    }
    int flowingFrom = -1;
    for (int b = buckets - 1; b >= 0; b--) {
      if (total[b] == 0) {
        continue;
      }
      if (ok[b] < FLOWING * total[b]) {
        break;
      }
      flowingFrom = b;
    }
    return flowingFrom < 0 ? -1 : flowingFrom * BUCKET_NANOS / 1e6;
  }
}
