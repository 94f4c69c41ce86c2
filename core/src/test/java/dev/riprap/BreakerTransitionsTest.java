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
 * How {@link BreakerTransitions} relays resilience4j's transition events: in the order they
 * arrive (resilience4j publishes each after making it, outside any lock, so a later one can arrive
 * first, and the relay does not reorder), each once, one at a time, and when a policy registers
 * it. The race itself is {@code BreakerEventsTest}.
 */
class BreakerTransitionsTest {
  private final List<String> reports = new ArrayList<>();
  private final BreakerTransitions.Target recorder = (from, to) -> reports.add(from + "->" + to);

  private BreakerTransitions relay() {
    BreakerTransitions relay = new BreakerTransitions();
    relay.add(recorder);
    return relay;
  }

  @Test
  void transitionsAreReportedInTheOrderTheyArriveEachAsSoonAsItArrives() {
    BreakerTransitions relay = relay();

    // resilience4j published the later transition first: it is not held back for the other.
    relay.arrived(OPEN, HALF_OPEN);
    assertThat(reports).containsExactly("OPEN->HALF_OPEN");
    relay.arrived(CLOSED, OPEN);

    assertThat(reports).containsExactly("OPEN->HALF_OPEN", "CLOSED->OPEN");
  }

  @Test
  void transitionsThatDoNotFollowOneAnotherAreEachReportedOnceAndNoneIsInvented() {
    BreakerTransitions relay = relay();
    List<String> arrived = new ArrayList<>();

    for (int i = 0; i < 100; i++) {
      CircuitBreaker.State from = i % 3 == 0 ? HALF_OPEN : OPEN;
      CircuitBreaker.State to = i % 2 == 0 ? CLOSED : FORCED_OPEN;
      arrived.add(from + "->" + to);
      relay.arrived(from, to);
    }

    assertThat(reports).isEqualTo(arrived);
  }

  @Test
  void transitionsThatAListenerCausesAreReportedAfterTheCurrentOneInTheOrderTheyArrived() {
    BreakerTransitions relay = new BreakerTransitions();
    List<String> first = new ArrayList<>();
    relay.add((from, to) -> {
      first.add(from + "->" + to);
      if (to == OPEN) {
        // Two transitions caused while CLOSED->OPEN is delivered; the second of them causes one.
        relay.arrived(OPEN, HALF_OPEN);
        relay.arrived(HALF_OPEN, CLOSED);
      } else if (to == CLOSED) {
        relay.arrived(CLOSED, FORCED_OPEN);
      }
    });
    relay.add(recorder);

    relay.arrived(CLOSED, OPEN);

    List<String> expected =
        List.of("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED", "CLOSED->FORCED_OPEN");
    assertThat(first).isEqualTo(expected);
    assertThat(reports).isEqualTo(expected);
    // Nothing is left queued: the next transition is reported at once, once.
    relay.arrived(FORCED_OPEN, HALF_OPEN);
    assertThat(reports).hasSize(5).endsWith("FORCED_OPEN->HALF_OPEN");
  }

  @Test
  void aTargetAddedDuringAReportReceivesTheReportsAfterIt() {
    BreakerTransitions relay = new BreakerTransitions();
    relay.add((from, to) -> {
      if (to == OPEN) {
        // A listener whose call makes another policy on this breaker listen, and moves it.
        relay.add(recorder);
        relay.arrived(OPEN, HALF_OPEN);
      }
    });

    relay.arrived(CLOSED, OPEN);

    assertThat(reports).containsExactly("OPEN->HALF_OPEN");
  }

  @Test
  void aTargetThatThrowsLeavesTheOthersTheirReports() {
    BreakerTransitions relay = new BreakerTransitions();
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
    BreakerTransitions relay = relay();
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

  @Test
  void transitionsMadeBeforeTheFirstListenedCallAreNotReported() throws Exception {
    CircuitBreaker breaker = flapping("late");
    Policy policy = Policy.builder("late").circuitBreaker(breaker).build();
    Recorder heard = Recorder.on(policy.events());
    breaker.transitionToOpenState();
    breaker.transitionToHalfOpenState();

    assertThat(policy.call(() -> "probe")).isEqualTo("probe");
    breaker.transitionToForcedOpenState();

    assertThat(heard.of(CircuitStateChanged.class))
        .extracting(e -> e.from() + "->" + e.to())
        .containsExactly("HALF_OPEN->FORCED_OPEN");
  }

  private static CircuitBreaker flapping(String name) {
    return CircuitBreaker.of(name, CircuitBreakerConfig.custom()
        .slidingWindowSize(2)
        .minimumNumberOfCalls(2)
        .build());
  }
}
