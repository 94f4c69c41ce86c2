package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.riprap.Policy;
import dev.riprap.RetryBudget;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.EndpointStatus;
import dev.riprap.endpoint.Hedging;
import dev.riprap.event.EventStream;
import dev.riprap.event.HedgeSent;
import dev.riprap.event.HedgeWon;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Hedged;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import dev.riprap.testing.Race;
import dev.riprap.testing.Recorder;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hedged calls through an endpoint group, sync and async, on fake time: a hedge after the delay
 * to an endpoint not in flight, the first acceptable outcome winning and the others cancelled
 * (counting for nothing), failures while a hedge runs, the retry budget, the deadline, the
 * caller giving up, and every outstanding count given back.
 */
class EndpointHedgingTest {
  private static final Duration DELAY = Duration.ofMillis(100);

  private final FakeTimeSource time = new FakeTimeSource();
  private final EventStream parent = new EventStream();
  private final Recorder events = Recorder.on(parent);
  private final Hedged hedged = new Hedged();

  @AfterEach
  void stop() {
    hedged.close();
  }

  private EndpointGroup<String> group(Hedging hedging, String... endpoints) {
    return EndpointGroup.builder("replicas", List.of(endpoints)).timeSource(time)
        .parentEvents(parent).hedging(hedging.executor(hedged.pool)).build();
  }

  private Policy.Builder policy() {
    return Policy.builder("orders").timeSource(time).asyncExecutor(Runnable::run);
  }

  private static String other(String endpoint) {
    return endpoint.equals("a") ? "b" : "a";
  }

  /** Waits for {@code condition}, bounded only to turn a hang into a failure. */
  private static void until(java.util.concurrent.Callable<Boolean> condition) {
    await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(1)).until(condition);
  }

  /** A call whose first attempt and one hedge have started. */
  private record Hedge(CompletableFuture<String> call, String first, String hedge) {}

  private Hedge hedge(Mode mode, EndpointGroup<String> g, Policy p) throws InterruptedException {
    CompletableFuture<String> call = hedged.call(mode, g, p);
    String first = hedged.started();
    time.advance(DELAY);
    return new Hedge(call, first, hedged.started());
  }

  private static void countsComeBack(EndpointGroup<String> g) {
    // A sync loser gives its count back on its own thread when its interrupted work returns.
    until(() -> Hedged.outstanding(g) == 0);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aHedgeGoesToTheOtherEndpointAfterTheDelayAndWinsOverTheSlowOne(Mode mode) throws Exception {
    EndpointGroup<String> g = group(Hedging.after(DELAY), "a", "b");
    CompletableFuture<String> call = hedged.call(mode, g, policy().build());
    String first = hedged.started();

    time.advance(DELAY.minusNanos(1));
    assertThat(hedged.moreStarted()).isFalse();
    time.advance(Duration.ofNanos(1));
    String hedge = hedged.started();
    assertThat(hedge).isEqualTo(other(first));
    hedged.answer(hedge, "from " + hedge);

    assertThat(Hedged.outcome(call).result).isEqualTo("from " + hedge);
    countsComeBack(g);
    if (mode == Mode.ASYNC) {
      assertThat(hedged.future(first)).isCancelled();
    }
    assertThat(events.of(HedgeSent.class)).singleElement().satisfies(e -> {
      assertThat(e.policy()).isEqualTo("replicas");
      assertThat(e.endpoint()).isEqualTo(hedge);
      assertThat(e.inFlight()).containsExactly(first);
      assertThat(e.hedge()).isEqualTo(1);
      assertThat(e.attempt()).isEqualTo(1);
      assertThat(e.delay()).isEqualTo(DELAY);
    });
    assertThat(events.of(HedgeWon.class)).singleElement().satisfies(e -> {
      assertThat(e.endpoint()).isEqualTo(hedge);
      assertThat(e.cancelled()).containsExactly(first);
      assertThat(e.hedge()).isEqualTo(1);
    });
    // The cancelled loser counts for nothing against its endpoint.
    assertThat(g.status()).extracting(EndpointStatus::consecutiveFailures).containsOnly(0);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aPrimaryThatAnswersBeforeTheDelaySendsNoHedge(Mode mode) throws Exception {
    EndpointGroup<String> g = group(Hedging.after(DELAY), "a", "b");
    CompletableFuture<String> call = hedged.call(mode, g, policy().build());
    String first = hedged.started();
    hedged.answer(first, "fast");

    assertThat(Hedged.outcome(call).result).isEqualTo("fast");
    time.advance(DELAY.multipliedBy(10));
    assertThat(hedged.moreStarted()).isFalse();
    assertThat(time.pendingTasks()).isZero();
    assertThat(events.of(HedgeSent.class)).isEmpty();
    assertThat(Hedged.outstanding(g)).isZero();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anEmptyRetryBudgetSendsNoHedgeAndEachHedgeTakesAToken(Mode mode) throws Exception {
    // One token (1 per second over a 1 s window, no deposits): the first call's hedge takes it.
    RetryBudget budget = RetryBudget.builder().ratio(0).minRetriesPerSecond(1)
        .window(Duration.ofSeconds(1)).timeSource(time).build();
    EndpointGroup<String> g = group(Hedging.after(DELAY), "a", "b");
    Policy p = policy().retryBudget(budget).build();

    CompletableFuture<String> paid = hedged.call(mode, g, p);
    String first = hedged.started();
    time.advance(DELAY);
    String hedge = hedged.started();
    hedged.answer(hedge, "hedged");
    assertThat(Hedged.outcome(paid).result).isEqualTo("hedged");
    assertThat(budget.hasRetryToken()).isFalse();
    countsComeBack(g);
    hedged.future(first).cancel(true);

    Hedged second = new Hedged();
    try {
      EndpointGroup<String> g2 = EndpointGroup.builder("replicas", List.of("a", "b"))
          .timeSource(time).parentEvents(parent)
          .hedging(Hedging.after(DELAY).executor(second.pool)).build();
      CompletableFuture<String> unpaid = second.call(mode, g2, p);
      String only = second.started();
      time.advance(DELAY.multipliedBy(5));
      assertThat(second.moreStarted()).isFalse();
      second.answer(only, "slow but alone");
      assertThat(Hedged.outcome(unpaid).result).isEqualTo("slow but alone");
      assertThat(events.of(HedgeSent.class)).hasSize(1);
    } finally {
      second.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aGroupOfOneEndpointSendsNoHedge(Mode mode) throws Exception {
    EndpointGroup<String> g = group(Hedging.after(DELAY), "a");
    CompletableFuture<String> call = hedged.call(mode, g, policy().build());
    assertThat(hedged.started()).isEqualTo("a");
    time.advance(DELAY.multipliedBy(5));
    assertThat(hedged.moreStarted()).isFalse();
    hedged.answer("a", "alone");
    assertThat(Hedged.outcome(call).result).isEqualTo("alone");
    assertThat(events.of(HedgeSent.class)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFailureWhileTheHedgeRunsDoesNotEndTheCall(Mode mode) throws Exception {
    EndpointGroup<String> g = group(Hedging.after(DELAY), "a", "b");
    Hedge h = hedge(mode, g, policy().build());
    CompletableFuture<String> call = h.call();
    String first = h.first();
    String hedge = h.hedge();

    hedged.fail(first, new IOException("reset"));
    // Counted against its endpoint (the race has seen it) and the call goes on.
    until(() -> failures(g, first) == 1);
    assertThat(call).isNotDone();
    hedged.answer(hedge, "saved");

    assertThat(Hedged.outcome(call).result).isEqualTo("saved");
    countsComeBack(g);
    assertThat(failures(g, first)).isEqualTo(1);
    assertThat(events.of(HedgeWon.class)).singleElement()
        .satisfies(e -> assertThat(e.cancelled()).isEmpty());
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aHedgeRefusedByAPolicyInsideTheWorkDoesNotWin(Mode mode) throws Exception {
    EndpointGroup<String> g = group(Hedging.after(DELAY), "a", "b");
    Hedge h = hedge(mode, g, policy().build());
    // What an endpoint's own open breaker throws (the HTTP client's per-endpoint policies).
    io.github.resilience4j.circuitbreaker.CircuitBreaker open =
        io.github.resilience4j.circuitbreaker.CircuitBreaker.ofDefaults("endpoint");
    open.transitionToForcedOpenState();
    Policy endpointPolicy = Policy.builder("endpoint").circuitBreaker(open).build();
    Outcome<String> refused = Mode.SYNC.call(endpointPolicy, time, () -> "never");
    assertThat(refused.failure).isInstanceOf(dev.riprap.RejectedException.class);

    hedged.fail(h.hedge(), refused.failure);
    until(() -> Hedged.outstanding(g) == 1);
    assertThat(h.call()).isNotDone();
    hedged.answer(h.first(), "slow but sure");

    assertThat(Hedged.outcome(h.call()).result).isEqualTo("slow but sure");
    countsComeBack(g);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void whenEveryAttemptInFlightFailedThePolicyRetriesOnAnEndpointNotTriedYet(Mode mode)
      throws Exception {
    EndpointGroup<String> g = group(Hedging.after(DELAY), "a", "b", "c");
    Policy p = policy().retry(2, Duration.ofMillis(1), Duration.ofMillis(1)).build();
    Hedge h = hedge(mode, g, p);
    CompletableFuture<String> call = h.call();
    String first = h.first();
    String hedge = h.hedge();
    hedged.fail(first, new IOException("first"));
    hedged.fail(hedge, new IOException("second"));
    // The retry's backoff on the fake clock, then the second attempt on the third endpoint.
    until(() -> {
      time.advance(Duration.ofMillis(1));
      return hedged.moreStarted();
    });
    String third = hedged.started();
    assertThat(Set.of(first, hedge, third)).containsExactlyInAnyOrder("a", "b", "c");
    hedged.answer(third, "third time");

    assertThat(Hedged.outcome(call).result).isEqualTo("third time");
    countsComeBack(g);
  }

  private static int failures(EndpointGroup<String> g, String endpoint) {
    return g.status().stream().filter(s -> s.endpoint().equals(endpoint))
        .mapToInt(EndpointStatus::consecutiveFailures).sum();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theLastFailureSeenEndsTheAttemptWithTheOtherOneSuppressed(Mode mode) throws Exception {
    EndpointGroup<String> g = group(Hedging.after(DELAY), "a", "b");
    Hedge h = hedge(mode, g, policy().build());
    CompletableFuture<String> call = h.call();
    String first = h.first();
    String hedge = h.hedge();
    IOException early = new IOException("early");
    IOException late = new IOException("late");
    hedged.fail(hedge, early);
    hedged.fail(first, late);

    // Which one the race sees last depends on the threads; the other is attached to it.
    Outcome<String> o = Hedged.outcome(call);
    assertThat(o.failure).isIn(early, late);
    assertThat(o.failure.getSuppressed()).containsExactly(o.failure == early ? late : early);
    countsComeBack(g);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void atMostMaxHedgesEachOneDelayAfterTheLastToEndpointsNotInFlight(Mode mode) throws Exception {
    EndpointGroup<String> g = group(Hedging.after(DELAY).maxHedges(2), "a", "b", "c", "d");
    CompletableFuture<String> call = hedged.call(mode, g, policy().build());
    String first = hedged.started();
    time.advance(DELAY);
    String h1 = hedged.started();
    time.advance(DELAY);
    String h2 = hedged.started();
    time.advance(DELAY.multipliedBy(5));
    assertThat(hedged.moreStarted()).isFalse();
    assertThat(Set.of(first, h1, h2)).hasSize(3);
    hedged.answer(h2, "second hedge");

    assertThat(Hedged.outcome(call).result).isEqualTo("second hedge");
    countsComeBack(g);
    assertThat(events.of(HedgeSent.class)).extracting(HedgeSent::hedge).containsExactly(1, 2);
    assertThat(events.of(HedgeSent.class).get(1).inFlight()).containsExactly(first, h1);
    assertThat(events.of(HedgeWon.class)).singleElement().satisfies(e -> {
      assertThat(e.hedge()).isEqualTo(2);
      assertThat(e.cancelled()).containsExactly(first, h1);
    });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void noHedgeIsSentPastTheAttemptsDeadline(Mode mode) throws Exception {
    // The second hedge would be due at 200 ms, after the attempt's 150 ms.
    EndpointGroup<String> g = group(Hedging.after(DELAY).maxHedges(3), "a", "b", "c");
    Policy p = policy().attemptTimeout(Duration.ofMillis(150)).build();
    CompletableFuture<String> call = hedged.call(mode, g, p);
    hedged.started();
    time.advance(DELAY);
    hedged.started();
    time.advance(Duration.ofMillis(50));

    Outcome<String> o = Hedged.outcome(call);
    assertThat(o.failure).isInstanceOf(dev.riprap.RejectedException.class);
    assertThat(hedged.moreStarted()).isFalse();
    assertThat(events.of(HedgeSent.class)).hasSize(1);
    countsComeBack(g);
    // Both ran out of time: timeouts count against their endpoints.
    assertThat(g.status()).extracting(EndpointStatus::consecutiveFailures)
        .containsExactlyInAnyOrder(1, 1, 0);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aDelayAsLongAsTheAttemptTimeoutRunsTheAttemptUnhedged(Mode mode) throws Exception {
    EndpointGroup<String> g = group(Hedging.after(DELAY), "a", "b");
    Policy p = policy().attemptTimeout(DELAY).build();
    CompletableFuture<String> call = hedged.call(mode, g, p);
    String first = hedged.started();
    assertThat(time.pendingTasks()).isEqualTo(1); // the policy's timeout, no hedge timer
    hedged.answer(first, "unhedged");
    assertThat(Hedged.outcome(call).result).isEqualTo("unhedged");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void givingUpOnTheCallCancelsEveryAttemptAndCountsNothing(Mode mode) throws Exception {
    EndpointGroup<String> g = group(Hedging.after(DELAY), "a", "b");
    Hedge h = hedge(mode, g, policy().build());
    CompletableFuture<String> call = h.call();
    String first = h.first();
    String hedge = h.hedge();

    hedged.giveUp(mode, call);

    Outcome<String> o = Hedged.outcome(call);
    assertThat(o.failure).isInstanceOfAny(InterruptedException.class,
        java.util.concurrent.CancellationException.class);
    countsComeBack(g);
    if (mode == Mode.ASYNC) {
      assertThat(hedged.future(first)).isCancelled();
      assertThat(hedged.future(hedge)).isCancelled();
    }
    assertThat(g.status()).extracting(EndpointStatus::consecutiveFailures).containsOnly(0);
    assertThat(time.pendingTasks()).isZero();
    assertThat(events.of(HedgeWon.class)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void twoAttemptsAnsweringAtOnceMakeExactlyOneWinnerAndGiveEveryCountBack(Mode mode)
      throws Exception {
    List<Object> discarded = new CopyOnWriteArrayList<>();
    Policy p = policy().onDiscardedResult(discarded::add).build();
    try (Race race = new Race(2)) {
      for (int round = 0; round < 100; round++) {
        discarded.clear();
        Hedged h = new Hedged();
        try {
          EndpointGroup<String> g = EndpointGroup.builder("replicas", List.of("a", "b"))
              .timeSource(time).hedging(Hedging.after(DELAY).executor(h.pool)).build();
          CompletableFuture<String> call = h.call(mode, g, p);
          String first = h.started();
          time.advance(DELAY);
          String hedge = h.started();
          race.round(() -> h.answer(first, first), () -> h.answer(hedge, hedge));

          String won = Hedged.outcome(call).result;
          assertThat(won).isIn("a", "b");
          until(() -> Hedged.outstanding(g) == 0);
          // The loser was cancelled before it answered, or its answer was let go of.
          assertThat(discarded).doesNotContain(won).isSubsetOf(List.of("a", "b"));
        } finally {
          h.close();
        }
      }
    }
  }

  @Test
  void aPercentileDelayFollowsTheGroupsRecentLatencies() throws Exception {
    EndpointGroup<String> g = group(
        Hedging.percentile(90, Duration.ofMillis(5), Duration.ofSeconds(1)), "a", "b");
    Policy p = policy().build();
    // 20 attempts of 40 ms each: then the delay is their p90, 40 ms, not the 1 s ceiling.
    for (int i = 0; i < 20; i++) {
      CompletableFuture<String> call = hedged.call(Mode.ASYNC, g, p);
      String e = hedged.started();
      time.advance(Duration.ofMillis(40));
      hedged.answer(e, "ok");
      assertThat(Hedged.outcome(call).result).isEqualTo("ok");
      hedged.forget(e);
    }
    assertThat(events.of(HedgeSent.class)).isEmpty();

    CompletableFuture<String> call = hedged.call(Mode.ASYNC, g, p);
    hedged.started();
    time.advance(Duration.ofMillis(40));
    String hedge = hedged.started();
    hedged.answer(hedge, "hedged");
    assertThat(Hedged.outcome(call).result).isEqualTo("hedged");
    assertThat(events.of(HedgeSent.class)).singleElement()
        .satisfies(e -> assertThat(e.delay()).isEqualTo(Duration.ofMillis(40)));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anExecutorThatRefusesTheHedgeLeavesThePrimaryToFinishAlone(Mode mode) throws Exception {
    List<Runnable> accepted = new ArrayList<>();
    java.util.concurrent.Executor once = task -> {
      synchronized (accepted) {
        if (!accepted.isEmpty()) {
          throw new RejectedExecutionException("full");
        }
        accepted.add(task);
      }
      hedged.pool.execute(task);
    };
    EndpointGroup<String> g = EndpointGroup.builder("replicas", List.of("a", "b"))
        .timeSource(time).parentEvents(parent).hedging(Hedging.after(DELAY).executor(once))
        .build();
    if (mode == Mode.ASYNC) {
      accepted.add(() -> {}); // the async primary starts on the caller's thread
    }
    CompletableFuture<String> call = hedged.call(mode, g, policy().build());
    String first = hedged.started();
    time.advance(DELAY);
    assertThat(hedged.moreStarted()).isFalse();
    assertThat(Hedged.outstanding(g)).isEqualTo(1);
    hedged.answer(first, "alone");
    assertThat(Hedged.outcome(call).result).isEqualTo("alone");
    countsComeBack(g);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aListenerOrPredicateThatThrowsStillEndsTheCallOnceWithEveryCountBack(Mode mode)
      throws Exception {
    EndpointGroup<String> g = EndpointGroup.builder("replicas", List.of("a", "b"))
        .timeSource(time).parentEvents(parent)
        .hedging(Hedging.after(DELAY).executor(hedged.pool))
        .failureOnResult(r -> {
          if ("poison".equals(r)) {
            throw new AssertionError("predicate broke");
          }
          return false;
        }).build();
    g.events().subscribe(HedgeSent.class, e -> {
      throw new OutOfMemoryError("listener broke");
    });
    Hedge h = hedge(mode, g, policy().build());
    CompletableFuture<String> call = h.call();
    String first = h.first();
    String hedge = h.hedge();
    hedged.answer(hedge, "poison"); // the predicate throws on it: a failure of that racer
    assertThat(call).isNotDone();
    hedged.answer(first, "good");

    assertThat(Hedged.outcome(call).result).isEqualTo("good");
    countsComeBack(g);
  }
}
