package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.PacedLimiter;
import dev.riprap.Policy;
import dev.riprap.ShutdownGate;
import dev.riprap.event.CallCompleted;
import dev.riprap.testing.CountingCircuitBreaker;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.JitteryBulkhead;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Race;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real-thread races, started at a barrier, between what moves an async call on (the end of its
 * wait: a paced limiter slot, a circuit breaker's probe, a backoff, its stage answering) and what
 * ends it from outside (the caller cancelling or completing the future, the total timeout), and for
 * sync calls between those waits and an interrupt. After every round: one CallCompleted, every
 * permit given back, the gate empty and no timer left scheduled. Bounded rounds; nothing measures
 * time.
 */
class EngineAttackRaceTest {
  private static final int ROUNDS = 1_000;
  private static final int BULKHEAD = 2;
  private static final Duration TOTAL = Duration.ofSeconds(10);
  private static final Duration OPEN = Duration.ofSeconds(1);

  enum Wait {
    PACED_LIMITER,
    PROBE,
    BACKOFF,
    STAGE
  }

  enum End {
    CANCEL,
    COMPLETE,
    TOTAL_TIMEOUT
  }

  /** One call's world, fresh for each round. */
  private static final class World {
    final FakeTimeSource time = new FakeTimeSource();
    final ShutdownGate gate = new ShutdownGate(time);
    final CountingCircuitBreaker breaker = CountingCircuitBreaker.of("race",
        CircuitBreakerConfig.custom().waitDurationInOpenState(OPEN).build(), time);
    final Bulkhead bulkhead = Bulkhead.of("race",
        BulkheadConfig.custom().maxConcurrentCalls(BULKHEAD).maxWaitDuration(Duration.ZERO).build());
    final LongAdder completed = new LongAdder();
    final CompletableFuture<String> firstStage = new CompletableFuture<>();
    final AtomicInteger made = new AtomicInteger();
    final Wait wait;
    final Policy policy;

    World(Wait wait) {
      this.wait = wait;
      Policy.Builder b = Policy.builder("race")
          .timeSource(time)
          .asyncExecutor(Runnable::run)
          .shutdownGate(gate)
          .circuitBreaker(breaker)
          .bulkhead(new JitteryBulkhead(bulkhead))
          .totalTimeout(TOTAL);
      switch (wait) {
        case PACED_LIMITER:
          PacedLimiter paced =
              PacedLimiter.builder(1).maxWait(Duration.ofSeconds(5)).timeSource(time).build();
          assertThat(paced.tryTake()).isTrue();
          b.rateLimiter(paced);
          break;
        case PROBE:
          b.awaitProbe(Duration.ofMinutes(1));
          break;
        case BACKOFF:
          b.retry(RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ofSeconds(1)).build());
          break;
        default:
          break;
      }
      policy = b.build();
      policy.events().subscribe(CallCompleted.class, e -> completed.increment());
      if (wait == Wait.PROBE) {
        breaker.delegate().transitionToOpenState();
      }
    }

    /** The async work: the first attempt fails for a backoff, or is the held stage. */
    CompletableFuture<String> work() {
      int n = made.incrementAndGet();
      if (wait == Wait.STAGE && n == 1) {
        return firstStage;
      }
      if (wait == Wait.BACKOFF && n == 1) {
        return CompletableFuture.failedFuture(new IOException("first attempt failed"));
      }
      return CompletableFuture.completedFuture("answered");
    }

    /** Ends the wait the call is in. */
    void release() {
      if (wait == Wait.STAGE) {
        firstStage.complete("answered");
      } else {
        // The paced slot, the backoff and the probe (open period plus 1 ms) all end by then.
        time.advance(OPEN.plusMillis(1));
      }
    }

    void assertSettled(int round, Object outcome) {
      String where = "round " + round + " (" + outcome + ")";
      SoftAssertions soft = new SoftAssertions();
      soft.assertThat(breaker.givenBack()).as("%s: permissions given back, %s", where, breaker)
          .isEqualTo(breaker.taken());
      soft.assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls())
          .as("%s: bulkhead permits available", where).isEqualTo(BULKHEAD);
      soft.assertThat(gate.inFlight()).as("%s: calls in flight at the gate", where).isZero();
      soft.assertThat(completed.sum()).as("%s: CallCompleted events", where).isEqualTo(1);
      soft.assertThat(time.pendingTasks()).as("%s: timers left scheduled", where).isZero();
      soft.assertAll();
    }
  }

  static Stream<Arguments> asyncRaces() {
    return Stream.of(Wait.values()).flatMap(w -> Stream.of(End.values())
        .map(e -> Arguments.of(w, e)));
  }

  @ParameterizedTest(name = "{1} racing the end of the {0} wait")
  @MethodSource("asyncRaces")
  void anAsyncCallEndedFromOutsideAsItsWaitEndsSettlesOnce(Wait wait, End end) {
    try (Race race = new Race(2)) {
      for (int round = 0; round < ROUNDS; round++) {
        World w = new World(wait);
        CompletableFuture<String> call = w.policy.callAsync(w::work);
        assertThat(call).as("round %d: the call before the race", round).isNotDone();
        race.round(
            () -> {
              Race.jitter();
              w.release();
            },
            () -> {
              Race.jitter();
              switch (end) {
                case CANCEL:
                  call.cancel(true);
                  break;
                case COMPLETE:
                  call.complete("the caller's");
                  break;
                default:
                  w.time.advance(TOTAL);
              }
            });
        assertThat(call).as("round %d: the call's future", round).isDone();
        w.assertSettled(round, call);
      }
    }
  }

  /** The sync driver: an interrupt from outside racing the end of a paced slot or probe wait. */
  @ParameterizedTest
  @EnumSource(value = Wait.class, names = {"PACED_LIMITER", "PROBE"})
  void aSyncCallInterruptedAsItsWaitEndsSettlesOnce(Wait wait) {
    try (Race race = new Race(2)) {
      for (int round = 0; round < ROUNDS; round++) {
        World w = new World(wait);
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Thread> caller = new AtomicReference<>();
        AtomicReference<Object> outcome = new AtomicReference<>();
        race.round(
            () -> {
              Thread.interrupted();
              caller.set(Thread.currentThread());
              started.countDown();
              outcome.set(Mode.SYNC.call(w.policy, w.time, () -> {
                w.made.incrementAndGet();
                return "answered";
              }));
              Thread.interrupted();
            },
            () -> {
              started.await();
              Race.jitter();
              caller.get().interrupt();
            });
        w.assertSettled(round, outcome.get());
      }
    }
  }
}
