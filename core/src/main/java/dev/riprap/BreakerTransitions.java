package dev.riprap;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.event.CircuitBreakerOnStateTransitionEvent;
import io.github.resilience4j.core.EventConsumer;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The transitions of one resilience4j breaker, relayed to the policies that run on it and have
 * listeners: each transition resilience4j publishes is reported once, none invented, none held
 * back, in the order resilience4j publishes them.
 *
 * <p>Why a consumer of resilience4j's transition events, registered only once someone listens:
 * the breaker's state can be sampled for free, but a state that lasts an instant between two
 * readings is then missed; only resilience4j's own events see every transition. Registering any
 * consumer makes resilience4j build an event for every call (a {@code ZonedDateTime} and a {@code
 * Duration}, resilience4j #1391) and cannot be undone, so a policy asks for this relay when a
 * call begins with a listener on its stream ({@link Pipeline#listening}); a policy nobody listens
 * to never registers one. One relay per breaker, however many policies share it, so that
 * every policy reports the same sequence and the breaker holds one consumer.
 *
 * <p>Order: resilience4j publishes a transition after making it (after its compare-and-set), on
 * the thread that made it and outside any lock, so two transitions made at nearly the same instant
 * can reach the consumer in the other order, as they reach resilience4j's own consumers. The true
 * order cannot be rebuilt from the states (the same move can be made many times, and a publication
 * can be late by any amount), so the relay does not try: it reports in arrival order, and a
 * report's {@code from} is not always the previous report's {@code to}. A transition published
 * before the relay was registered is not reported (nobody listened).
 *
 * <p>Thread-safe; reports under this relay's monitor, so listeners see one transition at a time. A
 * transition that a listener causes while a report is delivered (its own call moved the breaker)
 * is queued and reported after the current report, by the call that is delivering it.
 */
final class BreakerTransitions implements EventConsumer<CircuitBreakerOnStateTransitionEvent> {
  /** Keys held weakly: a breaker nobody uses any more takes its relay with it. */
  private static final Map<CircuitBreaker, BreakerTransitions> RELAYS = new WeakHashMap<>();

  /** Who receives the reports: a policy's {@link BreakerStep}. */
  interface Target {
    /** The breaker moved from {@code from} to {@code to}: one real transition, as published. */
    void transitioned(CircuitBreaker.State from, CircuitBreaker.State to);
  }

  /** The policies' steps on this breaker that asked for reports (weakly: policies come and go). */
  private final List<WeakReference<Target>> steps = new ArrayList<>();
  /**
   * Transitions not reported yet, in arrival order: empty except while a report is delivered, when
   * it holds the ones that report's listeners caused.
   */
  private final ArrayDeque<CircuitBreaker.State[]> pending = new ArrayDeque<>();
  /** A report is being delivered on this thread: a transition its listener causes waits its turn. */
  private boolean reporting;

  /**
   * Makes sure {@code step} receives every transition of its breaker published from now on.
   * Idempotent.
   *
   * @param step the step of a policy that has listeners
   * @throws RuntimeException whatever the breaker's event publisher throws when the relay
   *     registers (a breaker of the user's own making)
   */
  static void relayTo(BreakerStep step) {
    CircuitBreaker breaker = step.breaker;
    BreakerTransitions relay;
    // One lock for finding and registering: a second policy on the same breaker returns only once
    // the relay is registered.
    synchronized (RELAYS) {
      relay = RELAYS.get(breaker);
      if (relay == null) {
        relay = new BreakerTransitions();
        breaker.getEventPublisher().onStateTransition(relay);
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

  /**
   * One transition, as resilience4j published it: reported now, or, when it was caused by a
   * listener during a report, right after that report.
   */
  synchronized void arrived(CircuitBreaker.State from, CircuitBreaker.State to) {
    pending.addLast(new CircuitBreaker.State[] {from, to});
    if (reporting) {
      // A listener's own call moved the breaker: the report in progress finishes first, and the
      // loop below, on this same thread, delivers this one next.
      return;
    }
    reporting = true;
    try {
      CircuitBreaker.State[] next;
      while ((next = pending.pollFirst()) != null) {
        report(next[0], next[1]);
      }
    } finally {
      reporting = false;
    }
  }

  private void report(CircuitBreaker.State from, CircuitBreaker.State to) {
    steps.removeIf(known -> known.refersTo(null));
    // A copy: a listener whose call makes another policy on this breaker listen adds a step (on
    // this thread, under this monitor) while the report is delivered; that step gets the next one.
    for (Object known : steps.toArray()) {
      @SuppressWarnings("unchecked")
      Target step = ((WeakReference<Target>) known).get();
      if (step != null) {
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
