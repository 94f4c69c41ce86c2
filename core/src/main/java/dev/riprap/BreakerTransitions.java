package dev.riprap;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.event.CircuitBreakerOnStateTransitionEvent;
import io.github.resilience4j.core.EventConsumer;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The transitions of one resilience4j breaker, relayed to the policies that run on it and have
 * listeners: each transition resilience4j makes is reported once, in the breaker's order.
 *
 * <p>Why a consumer of resilience4j's transition events, registered only once someone listens:
 * the breaker's state can be sampled for free, but a state that lasts an instant between two
 * readings is then missed; only resilience4j's own events see every transition. Registering any
 * consumer makes resilience4j build an event for every call (a {@code ZonedDateTime} and a {@code
 * Duration}, resilience4j #1391) and cannot be undone, so a policy asks for this relay when a
 * call begins with a listener on its stream ({@link Pipeline#listening}); a policy nobody listens
 * to never registers one. One relay per breaker, however many policies share it, so that
 * every policy reports the same order and the breaker holds one consumer.
 *
 * <p>Order: resilience4j publishes a transition after making it, on the thread that made it and
 * outside any lock, so a transition made right after another can reach the consumer first. The
 * relay puts them back in order by their states: a transition is reported when it starts from the
 * state the last report ended in; one that arrives early waits here for the one before it, which
 * its own thread is about to publish. When several waiting transitions start from the current
 * state, the one that arrived first goes first (if the true next one is itself still on its way,
 * two moves out of the same state, half-open to open and half-open to closed, can then swap places;
 * each is still reported once, and the chain of states stays unbroken). A transition published
 * before the relay was
 * registered is not reported (nobody listened); one that arrives with more than {@link
 * #MAX_WAITING} transitions waiting (a thread descheduled between resilience4j's transition and its
 * publication while many more were made) is reported as it is, so that nothing is held forever.
 *
 * <p>Thread-safe; reports under this relay's monitor, so listeners see one transition at a time.
 */
final class BreakerTransitions implements EventConsumer<CircuitBreakerOnStateTransitionEvent> {
  /** How many early transitions wait for their predecessor before the oldest is reported anyway. */
  static final int MAX_WAITING = 64;

  /** Keys held weakly: a breaker nobody uses any more takes its relay with it. */
  private static final Map<CircuitBreaker, BreakerTransitions> RELAYS = new WeakHashMap<>();

  /** Who receives the reports: a policy's {@link BreakerStep}. */
  interface Target {
    /** The breaker moved from {@code from} to {@code to}: one real transition, in order. */
    void transitioned(CircuitBreaker.State from, CircuitBreaker.State to);
  }

  /** The policies' steps on this breaker that asked for reports (weakly: policies come and go). */
  private final List<WeakReference<Target>> steps = new ArrayList<>();
  /** Transitions that arrived before the one they follow, in arrival order. */
  private final ArrayDeque<CircuitBreaker.State[]> waiting = new ArrayDeque<>();
  /** The state the last report ended in (at first, the breaker's state when the relay began). */
  private CircuitBreaker.State current;
  /**
   * No transition reported yet: one that arrives alone and ends in {@link #current} was made
   * before the relay read it.
   */
  private boolean fresh = true;
  /** A report is being delivered on this thread: a transition its listener causes waits its turn. */
  private boolean reporting;

  /** A relay whose reports start from {@code start}; registered by {@link #relayTo}. */
  BreakerTransitions(CircuitBreaker.State start) {
    this.current = start;
  }

  /**
   * Makes sure {@code step} receives every transition of its breaker from now on. Idempotent.
   *
   * @param step the step of a policy that has listeners
   */
  static void relayTo(BreakerStep step) {
    CircuitBreaker breaker = step.breaker;
    BreakerTransitions relay;
    // One lock for finding and registering: a second policy on the same breaker returns only once
    // the relay is registered.
    synchronized (RELAYS) {
      relay = RELAYS.get(breaker);
      if (relay == null) {
        relay = new BreakerTransitions(null);
        synchronized (relay) {
          // Under the relay's monitor: a transition published from now on waits until the
          // starting state is read, and then chains from it.
          breaker.getEventPublisher().onStateTransition(relay);
          relay.current = breaker.getState();
        }
        RELAYS.put(breaker, relay);
      }
    }
    relay.add(step);
  }

  /** Makes {@code target} receive the reports from now on, once however often it asks. */
  synchronized void add(Target target) {
    for (WeakReference<Target> known : steps) {
      if (known.get() == target) {
        return;
      }
    }
    steps.add(new WeakReference<>(target));
  }

  @Override
  public void consumeEvent(CircuitBreakerOnStateTransitionEvent event) {
    CircuitBreaker.StateTransition t = event.getStateTransition();
    arrived(t.getFromState(), t.getToState());
  }

  /** One transition, as resilience4j published it. */
  synchronized void arrived(CircuitBreaker.State from, CircuitBreaker.State to) {
    if (fresh && waiting.isEmpty() && from != current && to == current) {
      // Made before the relay read the breaker's state, published after it registered: the
      // relay starts after it. (A real move back into the starting state before the first report
      // arrives would need the transitions before it to be late as well: with one of them
      // already waiting, this is not taken for an old one.)
      return;
    }
    waiting.addLast(new CircuitBreaker.State[] {from, to});
    if (reporting) {
      // A listener's own call moved the breaker: the report in progress finishes first.
      return;
    }
    reporting = true;
    try {
      CircuitBreaker.State[] next;
      while ((next = next()) != null) {
        fresh = false;
        current = next[1];
        report(next[0], next[1]);
      }
    } finally {
      reporting = false;
    }
  }

  /** The waiting transition to report now, removed from the queue, or null if none can go. */
  private CircuitBreaker.State[] next() {
    for (Iterator<CircuitBreaker.State[]> it = waiting.iterator(); it.hasNext(); ) {
      CircuitBreaker.State[] t = it.next();
      if (t[0] == current) {
        it.remove();
        return t;
      }
    }
    // None follows the last report. Its predecessor is on its way, unless too many wait: then
    // the oldest goes as it is rather than never.
    return waiting.size() > MAX_WAITING ? waiting.pollFirst() : null;
  }

  private void report(CircuitBreaker.State from, CircuitBreaker.State to) {
    for (Iterator<WeakReference<Target>> it = steps.iterator(); it.hasNext(); ) {
      Target step = it.next().get();
      if (step == null) {
        it.remove();
      } else {
        try {
          step.transitioned(from, to);
        } catch (Throwable userCode) {
          // A time source of the user's threw while the event was built: the other policies on
          // this breaker still get theirs, and resilience4j would only log it.
        }
      }
    }
  }
}
