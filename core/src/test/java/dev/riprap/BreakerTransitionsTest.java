package dev.riprap;

import static io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED;
import static io.github.resilience4j.circuitbreaker.CircuitBreaker.State.FORCED_OPEN;
import static io.github.resilience4j.circuitbreaker.CircuitBreaker.State.HALF_OPEN;
import static io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.event.CircuitStateChanged;
import dev.riprap.testing.Recorder;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.EventProcessor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How {@link BreakerTransitions} puts resilience4j's transition events back in the breaker's order
 * (resilience4j publishes each after making it, outside any lock, so a later one can arrive
 * first), and when a policy registers it. The race itself is {@code BreakerEventsTest}.
 */
class BreakerTransitionsTest {
  private final List<String> reports = new ArrayList<>();
  private final BreakerTransitions.Target recorder = (from, to) -> reports.add(from + "->" + to);

  private BreakerTransitions relayFrom(CircuitBreaker.State start) {
    BreakerTransitions relay = new BreakerTransitions(start);
    relay.add(recorder);
    return relay;
  }

  @Test
  void aTransitionThatArrivesBeforeTheOneItFollowsWaitsForIt() {
    BreakerTransitions relay = relayFrom(CLOSED);

    relay.arrived(OPEN, HALF_OPEN);
    assertThat(reports).isEmpty();
    relay.arrived(CLOSED, OPEN);

    assertThat(reports).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN");
  }

  @Test
  void ofTwoWaitingTransitionsFromTheSameStateTheFirstToArriveGoesFirst() {
    BreakerTransitions relay = relayFrom(CLOSED);

    relay.arrived(OPEN, HALF_OPEN);
    relay.arrived(HALF_OPEN, OPEN);
    relay.arrived(OPEN, HALF_OPEN);
    relay.arrived(HALF_OPEN, CLOSED);
    relay.arrived(CLOSED, OPEN);

    assertThat(reports).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN",
        "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
  }

  @Test
  void aTransitionIntoTheStartingStateMadeBeforeTheRelayBeganIsNotReported() {
    BreakerTransitions relay = relayFrom(OPEN);

    relay.arrived(CLOSED, OPEN);
    relay.arrived(OPEN, HALF_OPEN);
    relay.arrived(HALF_OPEN, CLOSED);
    // Once the relay has reported, a move into CLOSED from elsewhere is a real one that waits.
    relay.arrived(FORCED_OPEN, CLOSED);
    relay.arrived(CLOSED, FORCED_OPEN);

    assertThat(reports).containsExactly(
        "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED", "CLOSED->FORCED_OPEN", "FORCED_OPEN->CLOSED");
  }

  @Test
  void transitionsWhosePredecessorNeverArrivesAreReportedOnceTooManyWait() {
    BreakerTransitions relay = relayFrom(CLOSED);

    for (int i = 0; i < BreakerTransitions.MAX_WAITING / 2; i++) {
      relay.arrived(OPEN, HALF_OPEN);
      relay.arrived(HALF_OPEN, OPEN);
    }
    assertThat(reports).isEmpty();
    relay.arrived(OPEN, HALF_OPEN);

    // The oldest goes as it is; the rest then chain from it.
    assertThat(reports).hasSize(BreakerTransitions.MAX_WAITING + 1);
    assertThat(reports.get(0)).isEqualTo("OPEN->HALF_OPEN");
    assertThat(reports.get(1)).isEqualTo("HALF_OPEN->OPEN");
    assertThat(reports.get(reports.size() - 1)).isEqualTo("OPEN->HALF_OPEN");
  }

  @Test
  void aTransitionThatAListenerCausesIsReportedAfterTheOneBeingReported() {
    BreakerTransitions relay = new BreakerTransitions(CLOSED);
    List<String> first = new ArrayList<>();
    List<String> second = new ArrayList<>();
    relay.add((from, to) -> {
      first.add(from + "->" + to);
      if (to == OPEN) {
        // A listener whose own call moves the breaker while the report is delivered.
        relay.arrived(OPEN, HALF_OPEN);
      }
    });
    relay.add((from, to) -> second.add(from + "->" + to));

    relay.arrived(CLOSED, OPEN);

    assertThat(first).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN");
    assertThat(second).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN");
  }

  @Test
  void aTargetThatThrowsLeavesTheOthersTheirReports() {
    BreakerTransitions relay = new BreakerTransitions(CLOSED);
    relay.add((from, to) -> {
      throw new OutOfMemoryError("listener");
    });
    relay.add(recorder);

    relay.arrived(CLOSED, OPEN);
    relay.arrived(OPEN, HALF_OPEN);

    assertThat(reports).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN");
  }

  @Test
  void aTargetAddedTwiceIsReportedToOnce() {
    BreakerTransitions relay = relayFrom(CLOSED);
    relay.add(recorder);

    relay.arrived(CLOSED, OPEN);

    assertThat(reports).containsExactly("CLOSED->OPEN");
  }

  @Test
  void aPolicyNobodyListensToLeavesItsBreakerWithoutAConsumer() throws Exception {
    CircuitBreaker breaker = flapping("unheard");
    Policy policy = Policy.builder("unheard").circuitBreaker(breaker).build();

    for (int i = 0; i < 3; i++) {
      try {
        policy.call(() -> {
          throw new java.io.IOException("down");
        });
      } catch (java.io.IOException | RejectedException expected) {
        // the breaker opens on the second failure
      }
    }

    assertThat(breaker.getState()).isEqualTo(OPEN);
    // Any consumer would make resilience4j build an event for every call (resilience4j #1391).
    assertThat(((EventProcessor<?>) breaker.getEventPublisher()).hasConsumers()).isFalse();
  }

  @Test
  void policiesSharingABreakerEachReportItsTransitionsOnce() throws Exception {
    CircuitBreaker breaker = flapping("shared");
    Policy one = Policy.builder("one").circuitBreaker(breaker).build();
    Policy two = Policy.builder("two").circuitBreaker(breaker).build();
    Recorder heardByOne = Recorder.on(one.events());
    Recorder heardByTwo = Recorder.on(two.events());
    assertThat(one.call(() -> "first")).isEqualTo("first");
    assertThat(two.call(() -> "first")).isEqualTo("first");

    breaker.transitionToOpenState();
    breaker.transitionToHalfOpenState();
    breaker.transitionToClosedState();

    for (Recorder heard : List.of(heardByOne, heardByTwo)) {
      assertThat(heard.of(CircuitStateChanged.class))
          .extracting(e -> e.from() + "->" + e.to())
          .containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    }
    assertThat(heardByOne.of(CircuitStateChanged.class)).allMatch(e -> e.policy().equals("one"));
  }

  private static CircuitBreaker flapping(String name) {
    return CircuitBreaker.of(name, CircuitBreakerConfig.custom()
        .slidingWindowSize(2)
        .minimumNumberOfCalls(2)
        .build());
  }
}
