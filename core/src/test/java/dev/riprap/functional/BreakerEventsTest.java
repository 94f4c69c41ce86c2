package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.event.CircuitStateChanged;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Race;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Under contention, the breaker transitions a policy reports are exactly the ones resilience4j
 * made (issue 10, B9): one {@link CircuitStateChanged} per real transition, none invented, none
 * lost. The breaker runs on real time and threads: its small window and 1 ms open wait make it
 * flip often while eight threads call at once.
 */
class BreakerEventsTest {
  private static final int THREADS = 8;
  private static final int CALLS_PER_THREAD = 2_000;
  /** A lost or invented event needs an unlucky interleaving: each round is another chance. */
  private static final int ROUNDS = 3;

  @ParameterizedTest
  @EnumSource(Mode.class)
  void thePolicyReportsOnlyTransitionsTheBreakerMadeInItsOrder(Mode mode) {
    for (int round = 0; round < ROUNDS; round++) {
      contend(mode, round);
    }
  }

  private static void contend(Mode mode, int round) {
    CircuitBreaker breaker = CircuitBreaker.of("flapping", CircuitBreakerConfig.custom()
        .slidingWindowSize(2)
        .minimumNumberOfCalls(2)
        .failureRateThreshold(50)
        .permittedNumberOfCallsInHalfOpenState(1)
        .waitDurationInOpenState(Duration.ofMillis(1))
        .build());
    Map<CircuitBreaker.State, Integer> made = new EnumMap<>(CircuitBreaker.State.class);
    breaker.getEventPublisher().onStateTransition(e -> {
      synchronized (made) {
        made.merge(e.getStateTransition().getToState(), 1, Integer::sum);
      }
    });
    Policy policy = Policy.builder("flapping").circuitBreaker(breaker).build();
    Map<CircuitBreaker.State, Integer> reported = new EnumMap<>(CircuitBreaker.State.class);
    java.util.List<CircuitStateChanged> sequence = new java.util.ArrayList<>();
    policy.events().subscribe(CircuitStateChanged.class, e -> {
      synchronized (reported) {
        reported.merge(e.to(), 1, Integer::sum);
        sequence.add(e);
      }
    });

    Race.Party[] callers = new Race.Party[THREADS];
    for (int t = 0; t < THREADS; t++) {
      callers[t] = () -> {
        for (int i = 0; i < CALLS_PER_THREAD; i++) {
          boolean fail = ThreadLocalRandom.current().nextBoolean();
          call(mode, policy, fail);
        }
      };
    }
    try (Race race = new Race(THREADS)) {
      race.round(callers);
    }

    synchronized (made) {
      synchronized (reported) {
        assertThat(made.getOrDefault(CircuitBreaker.State.OPEN, 0))
            .as("round %d: resilience4j opened the breaker, or the round proves nothing", round)
            .isPositive();
        // The policy samples the breaker's state (a resilience4j event consumer would make every
        // call allocate): it never reports a transition that did not happen, and reports them in
        // the breaker's own order; a state that lasted an instant between two readings may be
        // skipped (docs/core.md, Events).
        for (CircuitBreaker.State state : reported.keySet()) {
          assertThat(reported.get(state))
              .as("round %d: reports of moves to %s, at most as many as the breaker made", round,
                  state)
              .isLessThanOrEqualTo(made.getOrDefault(state, 0));
        }
        CircuitBreaker.State last = CircuitBreaker.State.CLOSED;
        for (CircuitStateChanged e : sequence) {
          assertThat(e.from()).as("round %d: each report starts where the last one ended", round)
              .isEqualTo(last);
          assertThat(e.to()).as("round %d: a report moves somewhere", round).isNotEqualTo(last);
          last = e.to();
        }
        assertThat(reported.getOrDefault(CircuitBreaker.State.OPEN, 0))
            .as("round %d: the openings are seen", round).isPositive();
      }
    }
  }

  private static void call(Mode mode, Policy policy, boolean fail) throws Exception {
    try {
      if (mode == Mode.SYNC) {
        policy.call(() -> {
          if (fail) {
            throw new IOException("flaky");
          }
          return "ok";
        });
      } else {
        policy.callAsync(() -> fail
            ? CompletableFuture.<String>failedFuture(new IOException("flaky"))
            : CompletableFuture.completedFuture("ok")).get(60, TimeUnit.SECONDS);
      }
    } catch (IOException | RejectedException | ExecutionException expected) {
      // failures and rejections are the point; only the events are checked
    }
  }
}
