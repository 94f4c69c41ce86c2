package dev.riprap.benchmarks.policy;

import dev.riprap.Policy;
import dev.riprap.ThrowingSupplier;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.decorators.Decorators;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.retry.Retry;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Riprap against resilience4j on the success path, measured in the calling thread's CPU time
 * rather than in wall-clock time, so that it can be run on a machine other work is using: time
 * the thread spends descheduled is not counted. It does not replace the JMH tables (cache and
 * frequency effects of a busy machine still show); it answers "which is cheaper, and by how much,
 * in this build" when no quiet machine is at hand, which JMH cannot.
 *
 * <p>Each pair runs in a fresh JVM (compile order changes results, see docs/benchmarks.md), its
 * two variants alternating in rounds of 2,000,000 calls, the first 10 rounds discarded as warm-up;
 * the minimum of the next 30 rounds is reported, with the bytes the thread allocated per call.
 * The settings and the work are {@link Variants}', as in the JMH benchmarks.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.riprap.benchmarks.policy.CpuTimeComparison
 * java -cp benchmarks/target/benchmarks.jar dev.riprap.benchmarks.policy.CpuTimeComparison bulkhead
 * </pre>
 */
public final class CpuTimeComparison {
  private static final String[] PAIRS =
      {"pipeline", "retry", "breaker", "limiter", "bulkhead", "breaker-listened"};
  private static final int CALLS = 10_000;
  private static final int LOOPS_PER_ROUND = 200;
  private static final int WARMUP_ROUNDS = 10;
  private static final int ROUNDS = 30;
  private static final ThrowingSupplier<Object, RuntimeException> WORK = Variants::work;

  /** Defeats dead-code elimination of the results. */
  static volatile int sink;

  private CpuTimeComparison() {}

  /**
   * With no argument, runs every pair, each in a child JVM; with a pair's name, measures that
   * pair in this JVM and prints one line.
   *
   * @param args nothing, or one of {@code pipeline retry breaker limiter bulkhead
   *     breaker-listened}
   * @throws Exception when a child JVM cannot be started or fails
   */
  public static void main(String[] args) throws Exception {
    if (args.length == 1) {
      System.out.println(measure(args[0]));
      return;
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    String classpath = System.getProperty("java.class.path");
    System.out.println("| pair | resilience4j ns | Riprap ns | Riprap / r4j | r4j B | Riprap B |");
    System.out.println("|---|---|---|---|---|---|");
    for (String pair : PAIRS) {
      List<String> command = new ArrayList<>(List.of(java, "-cp", classpath,
          CpuTimeComparison.class.getName(), pair));
      Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
      String line = new String(child.getInputStream().readAllBytes()).trim();
      if (child.waitFor() != 0) {
        throw new IllegalStateException("the " + pair + " run failed: " + line);
      }
      System.out.println(line);
    }
  }

  private static String measure(String pair) {
    Supplier<Object> r4j;
    Policy riprap;
    switch (pair) {
      case "pipeline":
        r4j = Decorators.ofSupplier(Variants::work)
            .withBulkhead(Variants.r4jBulkhead())
            .withRateLimiter(Variants.r4jLimiter())
            .withCircuitBreaker(Variants.r4jBreaker())
            .withRetry(Variants.r4jRetry(Variants.RETRY_WAIT))
            .decorate();
        riprap = Variants.riprapFull(Variants.RETRY_WAIT);
        break;
      case "retry":
        r4j = Retry.decorateSupplier(Variants.r4jRetry(Variants.RETRY_WAIT), Variants::work);
        riprap = Policy.builder("retry").retry(Variants.r4jRetryConfig(Variants.RETRY_WAIT)).build();
        break;
      case "breaker":
        r4j = CircuitBreaker.decorateSupplier(Variants.r4jBreaker(), Variants::work);
        riprap = Policy.builder("breaker").circuitBreaker(Variants.r4jBreakerConfig()).build();
        break;
      case "breaker-listened":
        // Both with a transition listener: resilience4j then builds an event for every call it
        // records, for its own consumer and for the one a listened policy registers; Riprap also
        // builds its CallCompleted.
        CircuitBreaker listened = Variants.r4jBreaker();
        listened.getEventPublisher().onStateTransition(e -> sink++);
        r4j = CircuitBreaker.decorateSupplier(listened, Variants::work);
        riprap = Policy.builder("breaker").circuitBreaker(Variants.r4jBreakerConfig()).build();
        riprap.events().subscribe(dev.riprap.event.CircuitStateChanged.class, e -> sink++);
        break;
      case "limiter":
        r4j = RateLimiter.decorateSupplier(Variants.r4jLimiter(), Variants::work);
        riprap = Policy.builder("limiter").rateLimiter(Variants.r4jLimiterConfig()).build();
        break;
      case "bulkhead":
        r4j = Bulkhead.decorateSupplier(Variants.r4jBulkhead(), Variants::work);
        riprap = Policy.builder("bulkhead")
            .bulkhead(Variants.r4jBulkhead().getBulkheadConfig())
            .build();
        break;
      default:
        throw new IllegalArgumentException(
            "pair must be one of " + String.join(", ", PAIRS) + ", was " + pair);
    }
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    double bestR4j = Double.MAX_VALUE;
    double bestRiprap = Double.MAX_VALUE;
    double perRound = (double) CALLS * LOOPS_PER_ROUND;
    for (int round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      long t0 = threads.getCurrentThreadCpuTime();
      for (int k = 0; k < LOOPS_PER_ROUND; k++) {
        loop(r4j);
      }
      long t1 = threads.getCurrentThreadCpuTime();
      for (int k = 0; k < LOOPS_PER_ROUND; k++) {
        loop(riprap);
      }
      long t2 = threads.getCurrentThreadCpuTime();
      if (round >= WARMUP_ROUNDS) {
        bestR4j = Math.min(bestR4j, (t1 - t0) / perRound);
        bestRiprap = Math.min(bestRiprap, (t2 - t1) / perRound);
      }
    }
    long id = Thread.currentThread().getId();
    long b0 = threads.getThreadAllocatedBytes(id);
    loop(r4j);
    long b1 = threads.getThreadAllocatedBytes(id);
    loop(riprap);
    long b2 = threads.getThreadAllocatedBytes(id);
    return String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.2fx | %.0f | %.0f |", pair, bestR4j,
        bestRiprap, bestRiprap / bestR4j, (b1 - b0) / (double) CALLS, (b2 - b1) / (double) CALLS);
  }

  private static void loop(Supplier<Object> r4j) {
    int x = 0;
    for (int i = 0; i < CALLS; i++) {
      x ^= r4j.get().hashCode();
    }
    sink ^= x;
  }

  private static void loop(Policy riprap) {
    int x = 0;
    for (int i = 0; i < CALLS; i++) {
      x ^= riprap.call(WORK).hashCode();
    }
    sink ^= x;
  }
}
