package dev.riprap.examples;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.event.CircuitStateChanged;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The chaos scenario behind the demo's {@code --report}: two callers send the same steady stream of
 * calls, at the same moments, to two copies of one in-process upstream going through the same
 * phases (healthy, a full outage, slow, recovered). One caller calls it directly ("no
 * protection"); the other through a Riprap {@link Policy}. Everything the report shows is counted
 * during the run: each call's outcome and latency by the second it started in, the attempts each
 * upstream received by the second they arrived in, and the breaker's transitions.
 *
 * <p>{@code speed} runs the whole scenario faster (2 runs the 12 seconds in 6): every duration,
 * the phases, latencies, timeouts and backoffs alike, is divided by it, so the run is the same
 * scenario and the report speaks in scenario seconds.
 */
final class ChaosScenario {
  /** The scenario's seconds. */
  static final int SECONDS = 12;
  /** Calls each caller starts per scenario second. */
  static final int CALLS_PER_SECOND = 40;

  /** What the upstream does, by scenario second. */
  enum Phase {
    HEALTHY("healthy: 10% of calls fail at once", 0, 3),
    OUTAGE("outage: every call fails after 20 ms", 3, 7),
    SLOW("slow: 25% of the calls take 2 s", 7, 9),
    RECOVERED("recovered", 9, SECONDS);

    final String description;
    final int from;
    final int to;

    Phase(String description, int from, int to) {
      this.description = description;
      this.from = from;
      this.to = to;
    }

    static Phase at(int second) {
      for (Phase p : values()) {
        if (second >= p.from && second < p.to) {
          return p;
        }
      }
      return RECOVERED;
    }
  }

  /** A call's outcome as the caller sees it. */
  enum Outcome {
    SUCCESS("success"),
    FAILURE("failed"),
    REJECTED("rejected"),
    TIMED_OUT("timed out");

    final String label;

    Outcome(String label) {
      this.label = label;
    }
  }

  /**
   * A breaker state from {@code from} to {@code to} scenario seconds.
   *
   * @param from start, in scenario seconds
   * @param to end, in scenario seconds
   * @param state {@code CLOSED}, {@code OPEN}, {@code HALF_OPEN}, or {@code NONE} (no breaker)
   */
  record Band(double from, double to, String state) {}

  /** What one caller saw and its upstream received, per scenario second. */
  static final class Side {
    final String name;
    final String setup;
    final int[][] outcomes = new int[SECONDS][Outcome.values().length];
    final int[] upstream = new int[SECONDS];
    final long[][] latencyMicros = new long[SECONDS][];
    final List<Band> bands = new ArrayList<>();
    private final List<List<Long>> latencies = new ArrayList<>();

    Side(String name, String setup) {
      this.name = name;
      this.setup = setup;
      for (int i = 0; i < SECONDS; i++) {
        latencies.add(new ArrayList<>());
      }
    }

    synchronized void called(int second, Outcome outcome, long micros) {
      outcomes[second][outcome.ordinal()]++;
      latencies.get(second).add(micros);
    }

    synchronized void received(int second) {
      upstream[second]++;
    }

    int total(Outcome outcome) {
      int n = 0;
      for (int[] second : outcomes) {
        n += second[outcome.ordinal()];
      }
      return n;
    }

    int calls() {
      int n = 0;
      for (Outcome o : Outcome.values()) {
        n += total(o);
      }
      return n;
    }

    int upstreamTotal(Phase phase) {
      int n = 0;
      for (int s = phase.from; s < phase.to; s++) {
        n += upstream[s];
      }
      return n;
    }

    /** The 95th percentile latency of the calls started in {@code second}, in milliseconds. */
    long p95Millis(int second) {
      long[] sorted = latencyMicros[second];
      if (sorted.length == 0) {
        return 0;
      }
      return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.95) - 1)] / 1000;
    }

    private synchronized void finish() {
      for (int s = 0; s < SECONDS; s++) {
        latencyMicros[s] = latencies.get(s).stream().mapToLong(Long::longValue).sorted().toArray();
      }
    }
  }

  /**
   * The run's result: the two sides, and how fast it ran.
   *
   * @param unprotected the direct caller
   * @param riprap the caller through the policy
   * @param speed the speed-up the scenario ran at
   */
  record Run(Side unprotected, Side riprap, double speed) {}

  private final double speed;
  private final long start = System.nanoTime();

  private ChaosScenario(double speed) {
    this.speed = speed;
  }

  /**
   * Runs the scenario once, both callers at the same time.
   *
   * @param speed how much faster than real time, 1 or more
   * @return what happened
   * @throws IllegalArgumentException if {@code speed} is not a number from 1 to 100
   * @throws InterruptedException if interrupted while it runs
   */
  static Run run(double speed) throws InterruptedException {
    if (!(speed >= 1 && speed <= 100)) {
      throw new IllegalArgumentException("speed must be from 1 to 100, was " + speed);
    }
    return new ChaosScenario(speed).run();
  }

  private Duration scaled(long millis) {
    return Duration.ofNanos((long) (millis * 1_000_000L / speed));
  }

  private double secondsNow() {
    return (System.nanoTime() - start) * speed / 1e9;
  }

  /** One copy of the upstream: what it does depends on the phase when a request arrives. */
  private final class Upstream {
    private final Side side;
    private final Random random = new Random(7);

    Upstream(Side side) {
      this.side = side;
    }

    /**
     * Answers as the phase of {@code second} (the second the call was scheduled in) says, or
     * throws; a caller's own timeout ends the wait for an answer that is too slow. The attempt
     * counts in that second's load.
     */
    String call(int second, long clientTimeoutMillis) throws IOException, InterruptedException {
      side.received(second);
      int roll;
      synchronized (random) {
        roll = random.nextInt(100);
      }
      switch (Phase.at(second)) {
        case HEALTHY:
          if (roll < 10) {
            throw new IOException("connection reset");
          }
          return answer(10, clientTimeoutMillis);
        case OUTAGE:
          answer(20, clientTimeoutMillis);
          throw new IOException("503 Service Unavailable");
        case SLOW:
          return answer(roll < 25 ? 2000 : 10, clientTimeoutMillis);
        default:
          return answer(10, clientTimeoutMillis);
      }
    }

    private String answer(long millis, long clientTimeoutMillis)
        throws InterruptedException, HttpTimeoutException {
      // the upstream's own work, or as much of it as the caller waits for
      TimeUnit.NANOSECONDS.sleep(scaled(Math.min(millis, clientTimeoutMillis)).toNanos());
      if (millis > clientTimeoutMillis) {
        throw new HttpTimeoutException("no answer within " + clientTimeoutMillis + " ms");
      }
      return "ok";
    }
  }

  private Policy policy(Side riprap) {
    Policy policy =
        Policy.builder("upstream")
            .retry(3, scaled(50), scaled(200))
            .circuitBreaker(
                CircuitBreakerConfig.custom()
                    .slidingWindowSize(20)
                    .minimumNumberOfCalls(10)
                    .failureRateThreshold(50)
                    .waitDurationInOpenState(scaled(500))
                    .permittedNumberOfCallsInHalfOpenState(5)
                    .build())
            .bulkhead(20)
            .attemptTimeout(scaled(200))
            .totalTimeout(scaled(1000))
            .build();
    riprap.bands.add(new Band(0, SECONDS, "CLOSED"));
    policy.events().subscribe(CircuitStateChanged.class, e -> {
      synchronized (riprap.bands) {
        double now = Math.min(SECONDS, secondsNow());
        Band last = riprap.bands.remove(riprap.bands.size() - 1);
        if (now > last.from()) {
          riprap.bands.add(new Band(last.from(), now, last.state()));
        }
        riprap.bands.add(new Band(now, SECONDS, e.to().name()));
      }
    });
    return policy;
  }

  private Run run() throws InterruptedException {
    Side unprotected = new Side("No protection", "each call straight to the upstream with a 1 s"
        + " client timeout: no retry, no breaker");
    unprotected.bands.add(new Band(0, SECONDS, "NONE"));
    Side riprap = new Side("Riprap", "retry 3x with backoff, breaker (50% of 20 calls, open"
        + " 500 ms), bulkhead 20, attempt timeout 200 ms, total timeout 1 s");
    Upstream direct = new Upstream(unprotected);
    Upstream behindPolicy = new Upstream(riprap);
    Policy policy = policy(riprap);

    int calls = SECONDS * CALLS_PER_SECOND;
    CountDownLatch done = new CountDownLatch(2 * calls);
    AtomicInteger started = new AtomicInteger();
    ExecutorService callers = Executors.newCachedThreadPool(daemon("chaos-caller"));
    ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor(daemon("chaos-clock"));
    try {
      long periodNanos = scaled(1000).toNanos() / CALLS_PER_SECOND;
      ScheduledFuture<?> ticks =
          clock.scheduleAtFixedRate(
              () -> {
                int call = started.getAndIncrement();
                if (call >= calls) {
                  return;
                }
                // by schedule: call i belongs to second i / CALLS_PER_SECOND
                int second = call / CALLS_PER_SECOND;
                callers.execute(
                    () -> timed(unprotected, second, () -> direct.call(second, 1000), done));
                callers.execute(() -> timed(riprap, second,
                    () -> policy.call(() -> behindPolicy.call(second, Long.MAX_VALUE)), done));
              },
              0,
              periodNanos,
              TimeUnit.NANOSECONDS);
      // Generous: the scenario lasts SECONDS at most, each call a few seconds more.
      if (!done.await(SECONDS + 60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the chaos scenario did not finish: "
            + done.getCount() + " calls still running");
      }
      ticks.cancel(false);
    } finally {
      clock.shutdownNow();
      callers.shutdownNow();
      // every call has ended (or the run failed): the threads go now, none outlives the run
      clock.awaitTermination(10, TimeUnit.SECONDS);
      callers.awaitTermination(10, TimeUnit.SECONDS);
    }
    unprotected.finish();
    riprap.finish();
    return new Run(unprotected, riprap, speed);
  }

  @FunctionalInterface
  private interface Work {
    String call() throws Exception;
  }

  private void timed(Side side, int second, Work work, CountDownLatch done) {
    long t0 = System.nanoTime();
    Outcome outcome;
    try {
      work.call();
      outcome = Outcome.SUCCESS;
    } catch (RejectedException e) {
      outcome = e.reason() == RejectionReason.TIMED_OUT ? Outcome.TIMED_OUT : Outcome.REJECTED;
    } catch (HttpTimeoutException e) {
      outcome = Outcome.TIMED_OUT;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      outcome = Outcome.FAILURE;
    } catch (Exception e) {
      outcome = Outcome.FAILURE;
    }
    // latency in scenario time, like everything else the report shows
    long micros = (long) ((System.nanoTime() - t0) * speed / 1000);
    side.called(second, outcome, micros);
    done.countDown();
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
