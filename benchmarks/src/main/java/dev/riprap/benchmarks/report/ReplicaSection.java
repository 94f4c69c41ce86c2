package dev.riprap.benchmarks.report;

import static dev.riprap.benchmarks.report.Report.fmt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.riprap.benchmarks.http.HttpPeers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report's section on three replicas of one upstream ({@code replicas.json}, written by
 * {@code ReplicaScenarios}) and its targets: success and the dead replica's share with one dead
 * and one flaky replica, the return of a healed replica, and p99 with one slow replica.
 */
final class ReplicaSection {
  private final JsonNode json;
  private final StringBuilder md;
  private final List<String[]> targets;

  private ReplicaSection(JsonNode json, StringBuilder md, List<String[]> targets) {
    this.json = json;
    this.md = md;
    this.targets = targets;
  }

  /**
   * Appends the section to {@code md} and its targets to {@code targets}.
   *
   * @param json the scenarios' results
   * @param md the report's body
   * @param targets rows of (target, measured, verdict)
   */
  static void write(JsonNode json, StringBuilder md, List<String[]> targets) {
    new ReplicaSection(json, md, targets).write();
  }

  private void write() {
    md.append("## Many replicas\n\n");
    if (json.get("mode").asText().equals("quick")) {
      md.append("**A quick run** (").append(json.path("date").asText("date unknown"))
          .append(", `--quick`: short scenarios; load average ")
          .append(json.path("loadStart").asText("n/a")).append(" at its start and ")
          .append(json.path("loadEnd").asText("n/a")).append(" at its end, on ")
          .append(json.path("cores").asText("?")).append(" cores shared with other builds): ")
          .append("the shape of the results, not numbers to quote. The full run is longer and ")
          .append("runs `fail-heal` with the default ejection time.\n\n");
    }
    md.append("Three replicas of one upstream on 127.0.0.1 (JDK `HttpServer`s, `ReplicaScenarios`), ")
        .append(json.get("results").get(0).get("callsPerSecond").asText())
        .append(" calls/s arriving at a fixed rate (open loop, at most ")
        .append(json.get("maxInFlight").asText())
        .append(" in flight, latency from each call's scheduled start), a ")
        .append(json.get("timeoutSeconds").asText()).append(" s request timeout. Clients: ")
        .append("*raw*, the JDK client with the caller picking a replica round robin; ")
        .append("*resilience4j* and *failsafe*, what their users write today: a retry and a ")
        .append("breaker per replica (").append(HttpPeers.describeSettings())
        .append("), the caller picking the replica round robin, so a retry goes to the same ")
        .append("replica and an open breaker fails the call; *riprap*, one `ResilientHttpClient` ")
        .append("with the replicas as a service (`endpoints(\"upstream\", replicas)`, the ")
        .append("defaults unless said). *Attempts* are the requests the clients handed to the JDK ")
        .append("client (counted by a wrapper, so a refused connection counts too); ")
        .append("*amplification* is attempts ÷ calls.\n\n");
    Map<String, List<JsonNode>> byScenario = new LinkedHashMap<>();
    for (JsonNode r : json.get("results")) {
      byScenario.computeIfAbsent(r.get("scenario").asText(), k -> new ArrayList<>()).add(r);
    }
    for (Map.Entry<String, List<JsonNode>> e : byScenario.entrySet()) {
      switch (e.getKey()) {
        case "dead-flaky":
          deadFlaky(e.getValue());
          break;
        case "fail-heal":
          failHeal(e.getValue());
          break;
        case "slow-replica":
          slowReplica(e.getValue());
          break;
        default:
          break;
      }
    }
  }

  private void deadFlaky(List<JsonNode> rows) {
    JsonNode first = rows.get(0);
    md.append("### One replica dead, one failing half the time (").append(rate(first))
        .append("; the dead one refuses connections, the flaky one answers 503 with probability ")
        .append(fmt(json.get("flakyRate").asDouble(), 2)).append(")\n\n");
    md.append("| client | success | attempts | amplification | p50 ms | p99 ms | shed | ")
        .append("attempts dead / flaky / healthy | dead ejected at | to the dead one after |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    JsonNode rip = null;
    for (JsonNode r : rows) {
      if (client(r).equals("riprap")) {
        rip = r;
      }
      common(r);
      md.append(" | ").append(perReplica(r)).append(" | ")
          .append(r.has("deadEjectedAtSeconds")
              ? fmt(r.get("deadEjectedAtSeconds").asDouble(), 2) + " s, for "
                  + fmt(r.get("deadEjectionSeconds").asDouble(), 0) + " s"
              : "never")
          .append(" | ").append(fmt(100 * r.get("deadShareAfterEjection").asDouble(), 2))
          .append("% (").append(r.get("deadAttemptsAfterEjection").asText()).append(" of ")
          .append(r.get("attemptsAfterEjection").asText()).append(") |\n");
    }
    md.append("\n*To the dead one after*: its share of the attempts made after it was ejected; ")
        .append("for clients that never eject, after the first ")
        .append(fmt(json.get("settleMillis").asDouble() / 1000, 0))
        .append(" s. Riprap ejects the dead replica with the group's default base ejection time ")
        .append("(the column shows the `EndpointEjected` event's duration). At most one of three ")
        .append("replicas is ejected at a time (`maxEjectionPercent` 50), so the flaky one stays in ")
        .append("rotation: its failed attempts are retried on another replica.\n\n");
    changes(rows);
    failures(rows);
    if (rip != null) {
      double s = rip.get("successRate").asDouble();
      target("dead + flaky replica: Riprap's callers see at least 99.9% success",
          fmt(100 * s, 2) + "%", s >= 0.999);
      double share = rip.get("deadShareAfterEjection").asDouble();
      target("dead + flaky replica: at most 1% of attempts reach the dead one after its ejection",
          fmt(100 * share, 2) + "% (" + rip.get("deadAttemptsAfterEjection").asText() + " of "
              + rip.get("attemptsAfterEjection").asText() + ")",
          rip.has("deadEjectedAtSeconds") && share <= 0.01);
    }
  }

  private void failHeal(List<JsonNode> rows) {
    JsonNode first = rows.get(0);
    double ejection = first.get("baseEjectionSeconds").asDouble();
    md.append("### A replica fails and heals (").append(rate(first)).append("; one replica ")
        .append("answers 503 to everything from ").append(fmt(first.get("failFromSeconds")
            .asDouble(), 0)).append(" s to ").append(fmt(first.get("healSeconds").asDouble(), 0))
        .append(" s; Riprap with a base ejection time of ").append(fmt(ejection, 0))
        .append(" s)\n\n");
    md.append("| client | success | success while failing | amplification | p50 ms | p99 ms | ")
        .append("shed | back after the heal | its share in the last second |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    JsonNode rip = null;
    for (JsonNode r : rows) {
      if (client(r).equals("riprap")) {
        rip = r;
      }
      double back = r.get("backAfterHealMillis").asDouble();
      md.append("| ").append(bold(client(r))).append(" | ")
          .append(fmt(100 * r.get("successRate").asDouble(), 2)).append("% | ")
          .append(fmt(100 * r.get("successWhileFailing").asDouble(), 2)).append("% | ")
          .append(fmt(r.get("amplification").asDouble(), 2)).append("x | ")
          .append(fmt(r.get("p50Millis").asDouble(), 1)).append(" | ")
          .append(fmt(r.get("p99Millis").asDouble(), 1)).append(" | ")
          .append(r.get("shed").asText()).append(" | ")
          .append(back < 0 ? "not within the run" : fmt(back, 0) + " ms").append(" | ")
          .append(fmt(100 * r.get("shareInLastSecond").asDouble(), 1)).append("% |\n");
    }
    md.append("\n*Back after the heal*: from the heal to the first request the replica answered ")
        .append("successfully. Passive health checking sends no probe of its own: the first ")
        .append("attempt the balancer gives a returned replica is its probe.\n\n");
    changes(rows);
    failures(rows);
    if (rip == null) {
      return;
    }
    double back = rip.get("backAfterHealMillis").asDouble();
    double probe = json.get("probeMillis").asDouble();
    double restored = rip.path("restoredAfterHealMillis").asDouble(Double.NaN);
    target("fail-heal: traffic back within the ejection time plus one probe ("
            + fmt(probe, 0) + " ms) of the heal",
        back < 0 ? "not within the run"
            : fmt(back, 0) + " ms after the heal; returned from ejection at "
                + fmt(restored, 0) + " ms",
        back >= 0 && !Double.isNaN(restored) && back <= Math.max(0, restored) + probe);
    double defaults = json.get("defaultEjectionSeconds").asDouble();
    if (ejection == defaults) {
      target("fail-heal: with the defaults, traffic back within 30 s of the heal",
          fmt(back / 1000, 1) + " s (measured with the default " + fmt(defaults, 0) + " s)",
          back >= 0 && back <= 30_000);
    } else if (rip.has("defaultCaseBackAfterHealSeconds")) {
      double computed = rip.get("defaultCaseBackAfterHealSeconds").asDouble();
      md.append("With the default base ejection time (").append(fmt(defaults, 0))
          .append(" s) the replica, first ejected at ")
          .append(fmt(rip.get("healSeconds").asDouble() + computed - defaults, 2))
          .append(" s, would have stayed out once for ").append(fmt(defaults, 0))
          .append(" s (the failure is shorter) and come back ").append(fmt(computed, 1))
          .append(" s after the heal: the ejection starts when the failure does, so a replica ")
          .append("that heals within the base ejection time is back at most that long after the ")
          .append("heal. `run.sh --full` runs this scenario with the default.\n\n");
      target("fail-heal: with the defaults, traffic back within 30 s of the heal",
          fmt(computed, 1) + " s (computed: first ejection + " + fmt(defaults, 0)
              + " s; this run used " + fmt(ejection, 0) + " s)",
          computed <= 30);
    }
  }

  private void slowReplica(List<JsonNode> rows) {
    JsonNode first = rows.get(0);
    JsonNode reference = null;
    JsonNode rip = null;
    for (JsonNode r : rows) {
      if (client(r).equals("healthy-only")) {
        reference = r;
      } else if (client(r).equals("riprap")) {
        rip = r;
      }
    }
    boolean hedged = rip != null && rip.get("hedging").asBoolean();
    md.append("### One replica ten times slower (").append(rate(first)).append("; two replicas ")
        .append("answer after ").append(json.get("fastMillis").asText())
        .append(" ms on average, one after ").append(json.get("slowMillis").asText())
        .append(" ms, exponentially distributed")
        .append(hedged ? "; Riprap hedges after " + rip.get("hedgeDelayMillis").asText()
            + " ms, about the fast replicas' p95" : "; **no hedging: Riprap has none yet, these "
            + "rows are the baseline**").append(")\n\n");
    md.append("| client | success | amplification | p50 ms | p99 ms | shed | p99 vs the fast ")
        .append("replicas alone | attempts per replica |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    double base = reference == null ? Double.NaN : reference.get("p99Millis").asDouble();
    for (JsonNode r : rows) {
      common(r);
      md.append(" | ").append(client(r).equals("healthy-only") ? ""
              : fmt(r.get("p99Millis").asDouble() / base, 2) + "x")
          .append(" | ").append(perReplica(r)).append(" |\n");
    }
    md.append("\n*healthy-only* is the reference: the raw client on the two fast replicas alone.")
        .append("\n\n");
    failures(rows);
    if (rip != null && reference != null) {
      double ratio = rip.get("p99Millis").asDouble() / base;
      double amp = rip.get("amplification").asDouble();
      String verdict = hedged ? null : "baseline, no hedging yet";
      target("slow replica, with hedging: p99 at most 1.5x the fast replicas' alone",
          fmt(ratio, 2) + "x (" + fmt(rip.get("p99Millis").asDouble(), 1) + " vs "
              + fmt(base, 1) + " ms)", ratio <= 1.5, verdict);
      target("slow replica, with hedging: at most 1.1x amplification", fmt(amp, 2) + "x",
          amp <= 1.1, verdict);
    }
  }

  /** What the failed calls of each row ended with. */
  private void failures(List<JsonNode> rows) {
    List<String> parts = new ArrayList<>();
    for (JsonNode r : rows) {
      JsonNode f = r.get("failures");
      if (f == null || f.size() == 0) {
        continue;
      }
      List<String> kinds = new ArrayList<>();
      f.properties().forEach(k -> kinds.add(k.getKey() + " " + k.getValue().asText()));
      parts.add(client(r) + ": " + String.join(", ", kinds));
    }
    if (!parts.isEmpty()) {
      md.append("What the failed calls ended with: ").append(String.join("; ", parts))
          .append(".\n\n");
    }
  }

  /** The ejections and returns of the rows that have them, from the clients' events. */
  private void changes(List<JsonNode> rows) {
    for (JsonNode r : rows) {
      if (r.has("endpointChanges")) {
        List<String> changes = new ArrayList<>();
        r.get("endpointChanges").forEach(c -> changes.add(c.asText()));
        md.append("The ").append(client(r)).append(" client's ejections and returns, from its ")
            .append("events, in seconds from the start: ").append(String.join("; ", changes))
            .append(".\n\n");
      }
    }
  }

  private void common(JsonNode r) {
    md.append("| ").append(bold(client(r))).append(" | ")
        .append(fmt(100 * r.get("successRate").asDouble(), 2)).append("% | ");
    if (!r.get("scenario").asText().equals("slow-replica")) {
      md.append(r.get("attempts").asText()).append(" | ");
    }
    md.append(fmt(r.get("amplification").asDouble(), 2)).append("x | ")
        .append(fmt(r.get("p50Millis").asDouble(), 1)).append(" | ")
        .append(fmt(r.get("p99Millis").asDouble(), 1)).append(" | ")
        .append(r.get("shed").asText());
  }

  private static String perReplica(JsonNode r) {
    List<String> parts = new ArrayList<>();
    r.get("replicas").forEach(x -> parts.add(x.get("attempts").asText()));
    return String.join(" / ", parts);
  }

  private static String rate(JsonNode r) {
    return r.get("callsPerSecond").asText() + " calls/s for " + fmt(r.get("seconds").asDouble(), 0)
        + " s";
  }

  private static String client(JsonNode r) {
    return r.get("client").asText();
  }

  private static String bold(String client) {
    return client.equals("riprap") ? "**riprap**" : client;
  }

  private void target(String what, String measured, boolean met) {
    target(what, measured, met, null);
  }

  /** A target row; {@code label}, when given, replaces the verdict (a baseline is not a test). */
  private void target(String what, String measured, boolean met, String label) {
    String verdict = met ? "met" : "**missed**";
    targets.add(new String[] {what, measured, label == null ? verdict : label + " (" + verdict
        + " as it stands)"});
  }
}
