package dev.riprap.examples;

import dev.riprap.Fallback;
import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.CallRejected;
import dev.riprap.event.CircuitStateChanged;
import dev.riprap.event.FallbackApplied;
import dev.riprap.event.PolicyEvent;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The main demo: an in-process flaky inventory service called through one Riprap policy while it
 * goes through four phases (healthy with a few transient errors, slow, a full outage, recovery).
 * Prints a timeline of what the policy did (retries, timeouts, breaker transitions, rejections,
 * fallbacks) and a summary table per phase, then the HTTP demo ({@link HttpDemo}), a replica of
 * a three-replica service dying and coming back ({@link ReplicaDemo}) and the annotated
 * declarative client ({@link AnnotatedDemo}).
 *
 * <p>Run it with {@code ./mvnw -q -pl examples -am package exec:java -DskipTests}. It ends by
 * itself in well under 30 seconds.
 *
 * <p>With {@code -Dexec.args="--report target/chaos-report.html"} it runs the {@link
 * ChaosScenario} instead (12 seconds: the same calls with no protection and through Riprap, side
 * by side) and writes the {@link ChaosReport}, one HTML file that opens offline.
 */
public final class Demo {
  private Demo() {}

  /** What the simulated downstream does in a phase. */
  enum Phase {
    HEALTHY("healthy, 15% transient errors", 40),
    SLOW("slow: 20% of calls take 400 ms", 30),
    OUTAGE("outage: every call fails", 40),
    RECOVERED("recovered", 40);

    final String description;
    final int calls;

    Phase(String description, int calls) {
      this.description = description;
      this.calls = calls;
    }
  }

  /** The flaky downstream: a stock lookup whose behaviour follows the phase. */
  static final class FlakyInventory {
    private final Random random = new Random(42);
    volatile Phase phase = Phase.HEALTHY;
    int received;

    int stock(String sku) throws IOException, InterruptedException {
      received++;
      switch (phase) {
        case HEALTHY:
          if (random.nextInt(100) < 15) {
            throw new IOException("connection reset");
          }
          return 7;
        case SLOW:
          if (random.nextInt(100) < 20) {
            Thread.sleep(400);
          }
          return 7;
        case OUTAGE:
          throw new IOException("503 Service Unavailable");
        default:
          return 7;
      }
    }
  }

  /**
   * Runs the demo, or with {@code --report <file>} the chaos scenario and its report.
   *
   * @param args nothing, or {@code --report <file>}
   * @throws IllegalArgumentException if the arguments are anything else
   * @throws Exception if the demo itself breaks
   */
  public static void main(String[] args) throws Exception {
    PrintStream out = System.out;
    if (args.length > 0) {
      if (args.length != 2 || !args[0].equals("--report") || args[1].isBlank()) {
        throw new IllegalArgumentException(
            "arguments must be nothing or --report <file>, were " + String.join(" ", args));
      }
      report(Path.of(args[1]), 1, out);
      return;
    }
    out.println("Riprap demo: one policy between a caller and a flaky inventory service");
    out.println("Policy: Fallback(TotalTimeout 1s(Retry 3x backoff(CircuitBreaker(Bulkhead 10"
        + "(AttemptTimeout 150ms(call))))))");
    out.println();
    runCoreScenario(out);
    HttpDemo.run(out);
    out.println();
    ReplicaDemo.run(out);
    out.println();
    AnnotatedDemo.run(out);
    out.println();
    out.println("Demo finished. For the chaos report, the same calls with and without Riprap"
        + " side by side in one HTML file: add -Dexec.args=\"--report target/chaos-report.html\"");
  }

  /**
   * Runs the chaos scenario at {@code speed} and writes its report to {@code file}.
   *
   * @param file where the HTML goes
   * @param speed 1 for real time
   * @param out where the summary is printed
   * @return the run
   * @throws Exception if the scenario or the file breaks
   */
  static ChaosScenario.Run report(Path file, double speed, PrintStream out) throws Exception {
    out.println("Chaos scenario: " + ChaosScenario.CALLS_PER_SECOND + " calls a second for "
        + ChaosScenario.SECONDS + " s, no protection and Riprap side by side ...");
    ChaosScenario.Run run = ChaosScenario.run(speed);
    ChaosReport.write(run, file);
    for (ChaosScenario.Side side : new ChaosScenario.Side[] {run.unprotected(), run.riprap()}) {
      int upstream = 0;
      for (int n : side.upstream) {
        upstream += n;
      }
      out.printf(Locale.ROOT, "  %-14s %d calls, %d succeeded; upstream received %d attempts,"
              + " %d of them during the outage%n", side.name, side.calls(),
          side.total(ChaosScenario.Outcome.SUCCESS), upstream,
          side.upstreamTotal(ChaosScenario.Phase.OUTAGE));
    }
    out.println("Report written to " + file.toAbsolutePath());
    return run;
  }

  static void runCoreScenario(PrintStream out) throws Exception {
    FlakyInventory inventory = new FlakyInventory();
    Policy policy =
        Policy.builder("inventory")
            .retry(3, Duration.ofMillis(20), Duration.ofMillis(200))
            .circuitBreaker(
                CircuitBreakerConfig.custom()
                    .slidingWindowSize(20)
                    .minimumNumberOfCalls(10)
                    .failureRateThreshold(50)
                    .waitDurationInOpenState(Duration.ofMillis(700))
                    .permittedNumberOfCallsInHalfOpenState(2)
                    .build())
            .bulkhead(10)
            .attemptTimeout(Duration.ofMillis(150))
            .totalTimeout(Duration.ofSeconds(1))
            .build();
    Fallback<Integer> lastKnownStock = Fallback.of(failure -> -1);

    Timeline timeline = new Timeline(out);
    policy.events().subscribe(timeline::onEvent);
    Map<Phase, Map<CallCompleted.Outcome, Integer>> summary = new EnumMap<>(Phase.class);
    Map<Phase, Integer> received = new EnumMap<>(Phase.class);
    policy.events().subscribe(CallCompleted.class, c -> summary
        .computeIfAbsent(inventory.phase, p -> new EnumMap<>(CallCompleted.Outcome.class))
        .merge(c.outcome(), 1, Integer::sum));

    for (Phase phase : Phase.values()) {
      inventory.phase = phase;
      int before = inventory.received;
      timeline.section("phase " + phase.name().toLowerCase(Locale.ROOT) + ": " + phase.description);
      for (int i = 0; i < phase.calls; i++) {
        policy.call(() -> inventory.stock("sku-1"), lastKnownStock);
        Thread.sleep(25);
      }
      received.put(phase, inventory.received - before);
    }
    timeline.flush();

    out.println();
    out.println("Summary (calls made by the caller, outcome after the policy):");
    out.printf("  %-10s %6s %8s %9s %9s %9s %10s%n", "phase", "calls", "success", "fallback",
        "failure", "timed out", "downstream");
    for (Phase phase : Phase.values()) {
      Map<CallCompleted.Outcome, Integer> m =
          summary.getOrDefault(phase, new EnumMap<>(CallCompleted.Outcome.class));
      out.printf("  %-10s %6d %8d %9d %9d %9d %10d%n", phase.name().toLowerCase(Locale.ROOT),
          phase.calls, m.getOrDefault(CallCompleted.Outcome.SUCCESS, 0),
          m.getOrDefault(CallCompleted.Outcome.FALLBACK, 0),
          m.getOrDefault(CallCompleted.Outcome.FAILURE, 0)
              + m.getOrDefault(CallCompleted.Outcome.REJECTED, 0),
          m.getOrDefault(CallCompleted.Outcome.TIMED_OUT, 0), received.get(phase));
    }
    out.println("  (downstream = attempts that reached the service: retries add to it, an open"
        + " breaker keeps it low during the outage)");
    out.println();
  }

  /**
   * Prints one line per call with what the policy did for it, and breaker transitions as they
   * happen; runs of identical lines are folded into one with a count.
   */
  static final class Timeline {
    private final PrintStream out;
    private final long start = System.nanoTime();
    private final StringBuilder steps = new StringBuilder();
    private String last;
    private int repeats;

    Timeline(PrintStream out) {
      this.out = out;
    }

    synchronized void section(String title) {
      flush();
      out.println("== " + title);
    }

    synchronized void onEvent(PolicyEvent event) {
      if (event instanceof CircuitStateChanged) {
        CircuitStateChanged c = (CircuitStateChanged) event;
        emit("BREAKER " + c.from() + " -> " + c.to());
      } else if (event instanceof RetryScheduled) {
        RetryScheduled r = (RetryScheduled) event;
        step("attempt " + r.attempt() + " " + cause(r.cause()) + ", retry in "
            + r.delay().toMillis() + " ms");
      } else if (event instanceof RetryAbandoned) {
        RetryAbandoned r = (RetryAbandoned) event;
        step("attempt " + r.attempt() + " " + cause(r.cause()) + ", no retry ("
            + r.reason().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ")");
      } else if (event instanceof CallRejected) {
        step("rejected: " + ((CallRejected) event).reason().text());
      } else if (event instanceof FallbackApplied) {
        step("fallback served (stock unknown)");
      } else if (event instanceof CallCompleted) {
        CallCompleted c = (CallCompleted) event;
        String outcome = c.outcome().name().toLowerCase(Locale.ROOT).replace('_', ' ');
        if (steps.length() == 0) {
          emit("call ok");
        } else {
          emit("call: " + steps + " => " + outcome + " after " + c.attempts()
              + (c.attempts() == 1 ? " attempt" : " attempts"));
        }
        steps.setLength(0);
      }
    }

    private void step(String text) {
      if (steps.length() > 0) {
        steps.append("; ");
      }
      steps.append(text);
    }

    private static String cause(Throwable t) {
      if (t == null) {
        return "returned a result to retry";
      }
      if (t instanceof RejectedException) {
        RejectedException r = (RejectedException) t;
        return r.reason() == RejectionReason.TIMED_OUT ? "timed out" : "rejected (" + r.reason().text() + ")";
      }
      return "failed (" + t.getMessage() + ")";
    }

    private void emit(String line) {
      if (line.equals(last)) {
        repeats++;
        return;
      }
      flushRepeats();
      out.println("  [" + stamp() + "] " + line);
      last = line;
    }

    private void flushRepeats() {
      if (repeats > 0) {
        out.println("  [" + stamp() + "]   ... and " + repeats + " more like it");
      }
      repeats = 0;
    }

    synchronized void flush() {
      flushRepeats();
      last = null;
    }

    private String stamp() {
      return String.format(Locale.ROOT, "%6.3fs", (System.nanoTime() - start) / 1e9);
    }
  }
}
