package dev.riprap.benchmarks.faults;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.riprap.benchmarks.faults.CountingHttpClient.Attempt;
import dev.riprap.benchmarks.faults.ReplicaPeers.Seen;
import dev.riprap.benchmarks.http.Args;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.Hedging;
import dev.riprap.event.EndpointEjected;
import dev.riprap.event.EndpointRestored;
import dev.riprap.http.HttpPolicy;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Fault scenarios against three replicas of one upstream on 127.0.0.1, open loop ({@link
 * OpenLoop}), for the clients of {@link ReplicaPeers}:
 *
 * <ul>
 *   <li>{@code dead-flaky}: one replica dead (connection refused), one answering 503 half the
 *       time, one healthy. Reports the success rate callers saw, the attempts per call, and the
 *       share of attempts that reached the dead replica once it was ejected (for clients that do
 *       not eject: from {@value #SETTLE_MILLIS} ms on).
 *   <li>{@code fail-heal}: one replica answers 503 to everything for a few seconds, then heals.
 *       Reports how long after the heal it answered its first request successfully (traffic back)
 *       and, for Riprap, its ejections and returns.
 *   <li>{@code slow-replica}: one replica ten times slower than the two others; Riprap hedges.
 *       Reports p99 against that of the two healthy replicas alone (a reference row, the raw client
 *       on those two).
 * </ul>
 *
 * <p>Usage: {@code ReplicaScenarios --mode quick|full --out replicas.json [--clients raw,riprap]
 * [--scenarios dead-flaky,fail-heal,slow-replica]}.
 */
public final class ReplicaScenarios {
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  static final String PATH = "/resource";
  /** The arrival rate of the benchmark's runs. */
  static final int CALLS_PER_SECOND = 200;
  /** Clients that do not eject: the dead replica's share is counted from here on. */
  static final long SETTLE_MILLIS = 1_000;
  /** The flaky replica's share of 503 answers. */
  static final double FLAKY_RATE = 0.5;
  /**
   * The fast replicas' mean pause in the slow-replica scenario, and the slow one's, ten times it
   * (each exponentially distributed: {@link Replica#delay}).
   */
  static final long FAST_MILLIS = 5;
  static final long SLOW_MILLIS = 10 * FAST_MILLIS;
  /**
   * Riprap's hedge delay in the slow-replica scenario: about the fast replicas' p95 (an exponential
   * distribution's p95 is 3 times its mean), as {@code Hedging.after} advises.
   */
  static final Duration HEDGE_DELAY = Duration.ofMillis(3 * FAST_MILLIS);
  /**
   * Riprap's policy in {@code slow-replica}: the standard one with hedging (the endpoint group
   * keeps its defaults: power of two choices over least outstanding attempts).
   */
  static final HttpPolicy HEDGED =
      HttpPolicy.builder("hedged").hedging(Hedging.after(HEDGE_DELAY)).build();
  /**
   * {@code EndpointGroup}'s default base ejection time, the one {@code dead-flaky} runs with (its
   * ejection event shows it); {@code fail-heal} in quick mode runs with {@link #QUICK_EJECTION}.
   */
  static final Duration DEFAULT_EJECTION = Duration.ofSeconds(30);
  static final Duration QUICK_EJECTION = Duration.ofSeconds(2);
  /**
   * Passive health has no probe of its own: the first attempt the balancer gives a returned
   * endpoint is its probe. It gets one within this bound after its return.
   */
  static final long PROBE_MILLIS = 1_000;

  private ReplicaScenarios() {}

  /**
   * Runs the scenarios for every client and writes the results as JSON.
   *
   * @param args {@code --mode quick|full --out FILE [--clients a,b] [--scenarios x,y]}
   * @throws Exception when a replica cannot start or the file cannot be written
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts =
        Args.parse(args, Map.of(
            "mode", "quick",
            "clients", String.join(",", ReplicaPeers.NAMES),
            "scenarios", "dead-flaky,fail-heal,slow-replica"));
    boolean full = opts.get("mode").equals("full");
    List<String> clients = Arrays.asList(opts.get("clients").split(","));
    List<Map<String, Object>> rows = new ArrayList<>();
    String loadStart = loadAverage();
    String date = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm'Z'").withZone(ZoneOffset.UTC)
        .format(Instant.now());
    try (Replicas replicas = new Replicas(CALLS_PER_SECOND)) {
      for (String name : clients) {
        // Unrecorded, so that no scenario pays for the JIT or the first connections.
        replicas.warmUp(name, Duration.ofSeconds(full ? 4 : 2));
      }
      for (String scenario : opts.get("scenarios").split(",")) {
        if (scenario.equals("slow-replica")) {
          Map<String, Object> reference = replicas.slowReplica("raw", full, true);
          System.out.println(reference);
          rows.add(reference);
        }
        for (String name : clients) {
          Map<String, Object> row;
          switch (scenario) {
            case "dead-flaky":
              row = replicas.deadAndFlaky(name, Duration.ofSeconds(full ? 20 : 6), false);
              break;
            case "fail-heal":
              row = replicas.failAndHeal(name, full);
              break;
            case "slow-replica":
              row = replicas.slowReplica(name, full, false);
              break;
            default:
              throw new IllegalArgumentException("unknown scenario '" + scenario
                  + "', expected dead-flaky, fail-heal or slow-replica");
          }
          System.out.println(row);
          rows.add(row);
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("mode", opts.get("mode"));
    out.put("date", date);
    out.put("cores", Runtime.getRuntime().availableProcessors());
    out.put("loadStart", loadStart);
    out.put("loadEnd", loadAverage());
    out.put("maxInFlight", OpenLoop.MAX_IN_FLIGHT);
    out.put("timeoutSeconds", TIMEOUT.toSeconds());
    out.put("flakyRate", FLAKY_RATE);
    out.put("fastMillis", FAST_MILLIS);
    out.put("slowMillis", SLOW_MILLIS);
    out.put("hedgeDelayMillis", HEDGE_DELAY.toMillis());
    out.put("settleMillis", SETTLE_MILLIS);
    out.put("probeMillis", PROBE_MILLIS);
    out.put("defaultEjectionSeconds", DEFAULT_EJECTION.toSeconds());
    out.put("results", rows);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(new File(opts.get("out")), out);
  }

  /** The 1, 5 and 15 minute load averages, or "n/a" where the system does not say. */
  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  /** Three replicas, reused from run to run (a fresh client each run), and the arrival rate. */
  static final class Replicas implements AutoCloseable {
    final Replica[] servers = new Replica[3];
    final int perSecond;

    Replicas(int perSecond) throws IOException {
      this.perSecond = perSecond;
      for (int i = 0; i < servers.length; i++) {
        servers[i] = new Replica();
      }
    }

    /**
     * An unrecorded run of {@code client} on three healthy replicas, and for Riprap a second one
     * as in {@code slow-replica}, so that its hedging is compiled too before it is measured.
     */
    void warmUp(String client, Duration length) throws Exception {
      reset();
      List<URI> endpoints = List.of(
          servers[0].endpoint(), servers[1].endpoint(), servers[2].endpoint());
      run(client, endpoints, g -> {}, HttpPolicy.standard(), length, start -> {});
      if (client.equals("riprap")) {
        slowDelays();
        run(client, endpoints, g -> {}, HEDGED, length, start -> {});
      }
    }

    /**
     * Scenario {@code dead-flaky}: replica 0 dead, 1 answering 503 half the time (at random, or
     * with {@code alternately} to every other request, so never five times in a row), 2 healthy;
     * Riprap with the group's defaults.
     */
    Map<String, Object> deadAndFlaky(String client, Duration length, boolean alternately)
        throws Exception {
      reset();
      if (alternately) {
        servers[1].failAlternately();
      } else {
        servers[1].failRate(FLAKY_RATE);
      }
      URI dead = Replica.dead();
      List<URI> endpoints = List.of(dead, servers[1].endpoint(), servers[2].endpoint());
      Run run = run(client, endpoints, g -> {}, HttpPolicy.standard(), length, start -> {});
      Map<String, Object> row = run.row("dead-flaky", client, List.of("dead", "flaky", "healthy"));
      row.put("flakyPattern", alternately ? "alternate" : "random");
      long from = run.start() + SETTLE_MILLIS * 1_000_000;
      for (Seen seen : run.events) {
        if (seen.event() instanceof EndpointEjected e && seen.port() == dead.getPort()) {
          from = seen.nanos();
          row.put("deadEjectedAtSeconds", (seen.nanos() - run.start()) / 1e9);
          row.put("deadEjectionSeconds", e.duration().toMillis() / 1e3);
          break;
        }
      }
      int all = 0;
      int toDead = 0;
      for (Attempt a : run.attempts) {
        if (a.startNanos() - from >= 0) {
          all++;
          if (a.port() == dead.getPort()) {
            toDead++;
          }
        }
      }
      row.put("countedFromSeconds", (from - run.start()) / 1e9);
      row.put("attemptsAfterEjection", all);
      row.put("deadAttemptsAfterEjection", toDead);
      row.put("deadShareAfterEjection", all == 0 ? 0 : toDead / (double) all);
      return row;
    }

    /**
     * Scenario {@code fail-heal}: replica 1 answers 503 to everything for a while, then heals.
     * Riprap with a short base ejection time in quick mode, the default in full mode.
     */
    Map<String, Object> failAndHeal(String client, boolean full) throws Exception {
      reset();
      long failFrom = Duration.ofSeconds(full ? 3 : 2).toNanos();
      long healAt = failFrom + Duration.ofSeconds(full ? 5 : 4).toNanos();
      Duration ejection = full ? DEFAULT_EJECTION : QUICK_EJECTION;
      // Long enough for the replica to come back: in full mode its one ejection (30 s from about
      // the failure's start) ends 25 s after the heal; in quick mode its second (2 s, then 4 s).
      Duration length = Duration.ofSeconds(full ? 38 : 10);
      List<URI> endpoints = List.of(
          servers[0].endpoint(), servers[1].endpoint(), servers[2].endpoint());
      int port = servers[1].endpoint().getPort();
      Run run = run(client, endpoints, g -> g.baseEjectionTime(ejection), HttpPolicy.standard(),
          length, start -> servers[1].failBetween(start + failFrom, start + healAt));
      Map<String, Object> row = run.row("fail-heal", client, List.of("healthy", "failing", "healthy"));
      long healed = run.start() + healAt;
      row.put("failFromSeconds", failFrom / 1e9);
      row.put("healSeconds", healAt / 1e9);
      row.put("baseEjectionSeconds", ejection.toMillis() / 1e3);
      int failingCalls = 0;
      int failingOk = 0;
      for (int i = 0; i < run.result.status.length; i++) {
        if (run.result.issued[i] >= failFrom && run.result.issued[i] < healAt) {
          failingCalls++;
          if (OpenLoop.Result.success(run.result.status[i])) {
            failingOk++;
          }
        }
      }
      row.put("successWhileFailing", failingCalls == 0 ? 0 : failingOk / (double) failingCalls);
      long back = Long.MAX_VALUE;
      int lastSecond = 0;
      int lastSecondToIt = 0;
      long end = run.start() + length.toNanos();
      for (Attempt a : run.attempts) {
        if (a.port() == port && OpenLoop.Result.success(a.status()) && a.startNanos() - healed >= 0
            && a.startNanos() - back < 0) {
          back = a.startNanos();
        }
        if (a.startNanos() - (end - 1_000_000_000L) >= 0 && a.startNanos() - end < 0) {
          lastSecond++;
          if (a.port() == port) {
            lastSecondToIt++;
          }
        }
      }
      row.put("backAfterHealMillis", back == Long.MAX_VALUE ? -1 : (back - healed) / 1e6);
      row.put("shareInLastSecond", lastSecond == 0 ? 0 : lastSecondToIt / (double) lastSecond);
      Long firstEjection = null;
      Long restoredBeforeBack = null;
      for (Seen seen : run.events()) {
        if (seen.port() != port) {
          continue;
        }
        if (seen.event() instanceof EndpointEjected && firstEjection == null) {
          firstEjection = seen.nanos();
        } else if (seen.event() instanceof EndpointRestored && seen.nanos() - back <= 0) {
          restoredBeforeBack = seen.nanos();
        }
      }
      if (restoredBeforeBack != null) {
        row.put("restoredAfterHealMillis", (restoredBeforeBack - healed) / 1e6);
      }
      if (firstEjection != null) {
        // Were it the default: one ejection of 30 s from the first, if the failure is shorter.
        row.put("defaultCaseBackAfterHealSeconds",
            (firstEjection + DEFAULT_EJECTION.toNanos() - healed) / 1e9);
      }
      return row;
    }

    /**
     * Scenario {@code slow-replica}: replicas 0 and 1 answer after {@value #FAST_MILLIS} ms on
     * average, 2 after {@value #SLOW_MILLIS} ms; Riprap hedges after {@link #HEDGE_DELAY}. With
     * {@code healthyOnly}, the reference: the raw client on replicas 0 and 1 alone.
     */
    Map<String, Object> slowReplica(String client, boolean full, boolean healthyOnly)
        throws Exception {
      reset();
      slowDelays();
      List<URI> endpoints = healthyOnly
          ? List.of(servers[0].endpoint(), servers[1].endpoint())
          : List.of(servers[0].endpoint(), servers[1].endpoint(), servers[2].endpoint());
      Run run = run(client, endpoints, g -> {}, HEDGED, Duration.ofSeconds(full ? 20 : 6),
          start -> {});
      Map<String, Object> row = run.row("slow-replica", healthyOnly ? "healthy-only" : client,
          healthyOnly ? List.of("fast", "fast") : List.of("fast", "fast", "slow"));
      row.put("hedging", !healthyOnly && client.equals("riprap"));
      row.put("hedgeDelayMillis", HEDGE_DELAY.toMillis());
      return row;
    }

    private Run run(String client, List<URI> endpoints, Consumer<EndpointGroup.Builder<URI>> group,
        HttpPolicy policy, Duration length, LongConsumer onStart) throws Exception {
      long interval = 1_000_000_000L / perSecond;
      int calls = (int) (length.toNanos() / interval);
      CountingHttpClient http = new CountingHttpClient(HttpClient.newHttpClient());
      try (ReplicaPeers.Caller caller = ReplicaPeers.create(client, endpoints, http, group, policy)) {
        OpenLoop.Result result =
            OpenLoop.run(calls, interval, onStart, i -> caller.get(PATH, TIMEOUT));
        return new Run(result, http.attempts(), caller.events(), endpoints, perSecond,
            length.toNanos());
      }
    }

    private void slowDelays() {
      for (Replica r : servers) {
        r.delay(FAST_MILLIS);
      }
      servers[2].delay(SLOW_MILLIS);
    }

    private void reset() {
      for (Replica r : servers) {
        r.reset();
      }
    }

    @Override
    public void close() {
      for (Replica r : servers) {
        r.close();
      }
    }
  }

  /** One client's run: the calls, the attempts, the endpoint events. */
  record Run(OpenLoop.Result result, List<Attempt> attempts, List<Seen> events,
      List<URI> endpoints, int perSecond, long lengthNanos) {
    long start() {
      return result.start;
    }

    Map<String, Object> row(String scenario, String client, List<String> labels) {
      Map<String, Object> row = result.row(scenario, client, perSecond, lengthNanos);
      row.put("attempts", attempts.size());
      row.put("amplification", attempts.size() / (double) result.status.length);
      List<Map<String, Object>> replicas = new ArrayList<>();
      for (int i = 0; i < endpoints.size(); i++) {
        int port = endpoints.get(i).getPort();
        long n = attempts.stream().filter(a -> a.port() == port).count();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("replica", labels.get(i));
        r.put("attempts", n);
        r.put("share", attempts.isEmpty() ? 0 : n / (double) attempts.size());
        replicas.add(r);
      }
      row.put("replicas", replicas);
      List<String> changes = new ArrayList<>();
      for (Seen seen : events) {
        String what = seen.event() instanceof EndpointEjected e
            ? "ejected for " + e.duration().toSeconds() + " s"
            : seen.event() instanceof EndpointRestored ? "restored" : null;
        int index = -1;
        for (int i = 0; i < endpoints.size(); i++) {
          if (endpoints.get(i).getPort() == seen.port()) {
            index = i;
          }
        }
        if (what != null && index >= 0) {
          changes.add(String.format(Locale.ROOT, "%.2f s: %s %s",
              (seen.nanos() - result.start) / 1e9, labels.get(index), what));
        }
      }
      if (!changes.isEmpty()) {
        row.put("endpointChanges", changes);
      }
      return row;
    }
  }
}
