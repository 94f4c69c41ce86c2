package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.ShutdownGate;
import dev.riprap.TimeSource;
import dev.riprap.event.CallCompleted;
import dev.riprap.testing.Activity;
import dev.riprap.testing.CountingCircuitBreaker;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.JitteryBulkhead;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import dev.riprap.testing.Race;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every permit is given back exactly once on every path (issue 10, B1): the breaker's permission
 * (counted through a delegating breaker), the bulkhead's slot and the drain gate's count, when an
 * async call is cancelled or a sync call interrupted at any point, when an attempt timeout races
 * the attempt's success, and when the call holding the only half-open permission ends while it
 * waits for a bulkhead slot. Races start at a barrier and repeat a bounded number of rounds.
 */
class PermitAccountingTest {
  private static final int BULKHEAD = 2;
  private static final int ROUNDS = 1_000;

  /** One call's world, fresh for each round: fake time, a counting breaker, bulkhead and gate. */
  private static final class World {
    final FakeTimeSource time = new FakeTimeSource();
    final ShutdownGate gate = new ShutdownGate(time);
    final CountingCircuitBreaker breaker =
        CountingCircuitBreaker.of("raced", CircuitBreakerConfig.ofDefaults(), time);
    final Bulkhead bulkhead = Bulkhead.of("raced",
        BulkheadConfig.custom().maxConcurrentCalls(BULKHEAD).maxWaitDuration(Duration.ZERO).build());
    final LongAdder completed = new LongAdder();
    final Policy policy;

    World(UnaryOperator<Policy.Builder> strategies) {
      policy = strategies.apply(Policy.builder("raced")
              .timeSource(time)
              .asyncExecutor(Runnable::run)
              .shutdownGate(gate)
              .circuitBreaker(breaker)
              .bulkhead(new JitteryBulkhead(bulkhead)))
          .build();
      policy.events().subscribe(CallCompleted.class, e -> completed.increment());
    }

    void assertSettled(int round, Object outcome) {
      String where = "round " + round + " (" + outcome + ")";
      assertThat(breaker.givenBack()).as("%s: permissions given back, %s", where, breaker)
          .isEqualTo(breaker.taken());
      assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls())
          .as("%s: bulkhead permits available", where).isEqualTo(BULKHEAD);
      assertThat(gate.inFlight()).as("%s: calls in flight at the gate", where).isZero();
      assertThat(completed.sum()).as("%s: CallCompleted events", where).isEqualTo(1);
    }
  }

  /**
   * Runs {@code call} on one party while another abandons it at a random moment: an async call is
   * cancelled, a sync call's thread interrupted. {@code release} (run on a third party) moves the
   * call along at a random moment too, for example by letting fake time reach a timer.
   */
  private static void abandonRacing(Mode mode, int rounds, UnaryOperator<Policy.Builder> strategies,
      Consumer<World> prepare, Consumer<World> release) {
    try (Race race = new Race(3)) {
      for (int round = 0; round < rounds; round++) {
        World w = new World(strategies);
        prepare.accept(w);
        AtomicInteger made = new AtomicInteger();
        AtomicReference<Object> outcome = new AtomicReference<>();
        if (mode == Mode.ASYNC) {
          CompletableFuture<String> call = w.policy.callAsync(() -> made.incrementAndGet() == 1
              ? CompletableFuture.failedFuture(new IOException("first attempt failed"))
              : CompletableFuture.completedFuture("later attempt"));
          race.round(
              () -> {
                Race.jitter();
                release.accept(w);
              },
              () -> {
                Race.jitter();
                call.cancel(true);
              });
          assertThat(call).as("round %d: the call's future", round).isDone();
          outcome.set(call);
        } else {
          CountDownLatch started = new CountDownLatch(1);
          AtomicReference<Thread> caller = new AtomicReference<>();
          race.round(
              () -> {
                Thread.interrupted();
                caller.set(Thread.currentThread());
                started.countDown();
                outcome.set(Mode.SYNC.call(w.policy, w.time, () -> {
                  if (made.incrementAndGet() == 1) {
                    throw new IOException("first attempt failed");
                  }
                  return "later attempt";
                }));
                Thread.interrupted();
              },
              () -> {
                started.await();
                Race.jitter();
                release.accept(w);
              },
              () -> {
                started.await();
                Race.jitter();
                caller.get().interrupt();
              });
        }
        w.assertSettled(round, outcome.get());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void abandoningACallAsItsRetryStartsGivesEachPermitBackOnce(Mode mode) {
    abandonRacing(mode, 2 * ROUNDS,
        b -> b.retry(RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ofMillis(10)).build()),
        w -> { },
        w -> w.time.advance(Duration.ofMillis(10)));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void abandoningACallAsItsRateLimiterWaitEndsGivesEachPermitBackOnce(Mode mode) {
    abandonRacing(mode, ROUNDS,
        // resilience4j's limiter runs on real time: a minute's period never refills in a round, so
        // every call waits (on fake time) for the next period.
        b -> b.rateLimiter(RateLimiterConfig.custom()
            .limitForPeriod(1)
            .limitRefreshPeriod(Duration.ofMinutes(1))
            .timeoutDuration(Duration.ofMinutes(1))
            .build()),
        w -> assertThat(w.policy.rateLimiter().orElseThrow().acquirePermission()).isTrue(),
        w -> w.time.advance(Duration.ofMinutes(1)));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anAttemptTimeoutRacingTheAttemptsSuccessEndsTheCallOnce(Mode mode) {
    try (Race race = new Race(2)) {
      for (int round = 0; round < ROUNDS; round++) {
        World w = new World(b -> b.attemptTimeout(Duration.ofSeconds(1)));
        AtomicReference<Outcome<String>> outcome = new AtomicReference<>();
        if (mode == Mode.ASYNC) {
          CompletableFuture<String> stage = new CompletableFuture<>();
          CompletableFuture<String> call = w.policy.callAsync(() -> stage);
          race.round(
              () -> {
                Race.jitter();
                stage.complete("ok");
              },
              () -> {
                Race.jitter();
                w.time.advance(Duration.ofSeconds(1));
              });
          assertThat(call).as("round %d: the call's future", round).isDone();
          outcome.set(Mode.await(call, w.time));
        } else {
          CountDownLatch inAttempt = new CountDownLatch(1);
          AtomicReference<Boolean> flag = new AtomicReference<>();
          race.round(
              () -> {
                Thread.interrupted();
                outcome.set(Mode.SYNC.call(w.policy, w.time, () -> {
                  inAttempt.countDown();
                  Race.jitter();
                  return "ok";
                }));
                flag.set(Thread.interrupted());
              },
              () -> {
                inAttempt.await();
                Race.jitter();
                w.time.advance(Duration.ofSeconds(1));
              });
          assertThat(flag.get()).as("round %d: the engine's own interrupt leaked to the caller",
              round).isFalse();
        }
        Outcome<String> out = outcome.get();
        if (out.failure == null) {
          assertThat(out.result).isEqualTo("ok");
        } else {
          assertThat(out.failure).as("round %d: the call's failure", round)
              .isInstanceOf(RejectedException.class);
          assertThat(((RejectedException) out.failure).reason())
              .isEqualTo(RejectionReason.TIMED_OUT);
        }
        w.assertSettled(round, out);
      }
    }
  }

  // ---------------------------------------------------------------- the half-open probe

  private static final int CALLERS = 8;

  /** How the call holding the only half-open permission ends while it waits for the bulkhead. */
  enum Ending {
    TOTAL_TIMEOUT,
    CANCEL_OR_INTERRUPT
  }

  static Stream<Arguments> probeEndings() {
    return Stream.of(Mode.values()).flatMap(m -> Stream.of(Ending.values())
        .map(e -> Arguments.of(m, e)));
  }

  /**
   * Real time and threads: resilience4j's bulkhead waits on a real semaphore. Eight callers meet a
   * half-open breaker that permits one probe while other callers hold every bulkhead slot; the one
   * that gets the probe's permission waits for a slot and ends there (total timeout, cancel or
   * interrupt). Then the slots are free and eight more callers come: the breaker must still permit
   * exactly one probe, so at most one of them reaches the downstream. No time is measured.
   */
  @ParameterizedTest(name = "{0}: the probe ends by {1}")
  @MethodSource("probeEndings")
  void aProbeThatEndsWhileWaitingForABulkheadSlotGivesItsPermissionBackOnce(
      Mode mode, Ending ending) throws Exception {
    Activity activity = new Activity();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    CircuitBreaker real = CircuitBreaker.of("probe", CircuitBreakerConfig.custom()
        .slidingWindowSize(2)
        .minimumNumberOfCalls(2)
        .permittedNumberOfCallsInHalfOpenState(1)
        .waitDurationInOpenState(Duration.ofHours(1))
        .build());
    CountingCircuitBreaker breaker = new CountingCircuitBreaker(real);
    Bulkhead bulkhead = Bulkhead.of("probe", BulkheadConfig.custom()
        .maxConcurrentCalls(BULKHEAD).maxWaitDuration(Duration.ofMillis(300)).build());
    ShutdownGate gate = new ShutdownGate();
    Policy.Builder b = Policy.builder("probe")
        .timeSource(activity.track(TimeSource.system()))
        .asyncExecutor(activity.track(pool))
        .shutdownGate(gate)
        .circuitBreaker(breaker)
        .bulkhead(bulkhead)
        .attemptTimeout(Duration.ofMillis(50));
    if (ending == Ending.TOTAL_TIMEOUT) {
      b.totalTimeout(Duration.ofMillis(100));
    }
    Policy policy = b.build();
    real.transitionToOpenState();
    real.transitionToHalfOpenState();
    for (int i = 0; i < BULKHEAD; i++) {
      assertThat(bulkhead.tryAcquirePermission()).isTrue();
    }
    AtomicInteger reached = new AtomicInteger();
    SoftAssertions soft = new SoftAssertions();
    try (Race race = new Race(CALLERS + 1)) {
      List<Outcome<String>> firstWave = Collections.synchronizedList(new ArrayList<>());
      race.round(firstWave(mode, ending, policy, reached, firstWave));
      activity.awaitQuiet();
      soft.assertThat(firstWave).as("first wave outcomes").hasSize(CALLERS)
          .allMatch(o -> o.failure != null);
      soft.assertThat(reached).as("callers that reached the downstream with the slots held")
          .hasValue(0);
      soft.assertThat(breaker.givenBack()).as("after the first wave, %s", breaker)
          .isEqualTo(breaker.taken());

      for (int i = 0; i < BULKHEAD; i++) {
        bulkhead.onComplete();
      }
      Race.Party[] secondWave = new Race.Party[CALLERS];
      for (int i = 0; i < CALLERS; i++) {
        secondWave[i] = mode == Mode.SYNC
            ? () -> Mode.SYNC.callInRealTime(policy, () -> {
                reached.incrementAndGet();
                // Blocks until the attempt timeout interrupts it.
                new CountDownLatch(1).await();
                return "answered";
              })
            : () -> awaitFuture(policy.callAsync(() -> {
                reached.incrementAndGet();
                // Never answers: the attempt timeout ends it.
                return new CompletableFuture<String>();
              }));
      }
      race.round(secondWave);
      activity.awaitQuiet();
    } finally {
      pool.shutdownNow();
    }
    soft.assertThat(reached).as("callers that reached the downstream with one probe permitted")
        .hasValueLessThanOrEqualTo(1);
    soft.assertThat(breaker.givenBack()).as("after both waves, %s", breaker)
        .isEqualTo(breaker.taken());
    soft.assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls())
        .as("bulkhead permits available").isEqualTo(BULKHEAD);
    soft.assertThat(gate.inFlight()).as("calls in flight at the gate").isZero();
    soft.assertAll();
  }

  private static Race.Party[] firstWave(Mode mode, Ending ending, Policy policy,
      AtomicInteger reached, List<Outcome<String>> outcomes) {
    Race.Party[] parties = new Race.Party[CALLERS + 1];
    Thread[] callers = new Thread[CALLERS];
    CountDownLatch calling = new CountDownLatch(CALLERS);
    for (int i = 0; i < CALLERS; i++) {
      int n = i;
      parties[i] = () -> {
        callers[n] = Thread.currentThread();
        calling.countDown();
        if (mode == Mode.ASYNC && ending == Ending.CANCEL_OR_INTERRUPT) {
          CompletableFuture<String> f = policy.callAsync(() -> {
            reached.incrementAndGet();
            return CompletableFuture.completedFuture("reached");
          });
          Race.jitter();
          f.cancel(true);
          outcomes.add(Mode.outcome(f, 0, TimeUnit.SECONDS));
        } else {
          outcomes.add(mode.callInRealTime(policy, () -> {
            reached.incrementAndGet();
            return "reached";
          }));
        }
        Thread.interrupted();
      };
    }
    // The last party interrupts every sync caller at a random moment, in the variant that says so.
    parties[CALLERS] = () -> {
      if (mode == Mode.SYNC && ending == Ending.CANCEL_OR_INTERRUPT) {
        calling.await();
        Race.jitter();
        for (Thread t : callers) {
          t.interrupt();
        }
      }
    };
    return parties;
  }

  private static void awaitFuture(CompletableFuture<?> f) throws Exception {
    try {
      f.get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException expected) {
      // timed out or rejected: fine; hanging is not
    } catch (TimeoutException e) {
      throw new AssertionError("an async call did not end in 60 s: " + f, e);
    }
  }
}
