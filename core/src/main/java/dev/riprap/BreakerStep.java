package dev.riprap;

import dev.riprap.event.CircuitStateChanged;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.util.concurrent.TimeUnit;

/**
 * The circuit-breaker step on a resilience4j breaker: takes its permission, records the attempt's
 * outcome, and reports the breaker's transitions. With {@code awaitProbe}, an attempt the open
 * breaker refuses is asked to wait for the next probe instead of failing at once.
 */
final class BreakerStep extends Step implements BreakerTransitions.Target {
  private static final long ONE_MILLI = TimeUnit.MILLISECONDS.toNanos(1);
  private static final CircuitBreakerConfig DEFAULTS = CircuitBreakerConfig.ofDefaults();
  /**
   * What the breaker records for a value the hooks call a failure (resilience4j records failures
   * as exceptions). Never thrown; no stack trace.
   */
  private static final Exception FAILED_RESULT =
      new Exception("a result the policy's outcome hooks classify as a failure", null, false, false) {
        private static final long serialVersionUID = 1L;
      };

  final CircuitBreaker breaker;
  private final TimeSource time;
  /** The policy, for events; set once by the policy that owns this step. */
  private Pipeline pipeline;
  /**
   * Whether the breaker looks at results (a record-result predicate or a transition on result).
   * When it does not, a returned value is recorded with {@code onSuccess}, which resilience4j does
   * without wrapping the result (its {@code onResult} allocates an {@code Either} per call).
   */
  private final boolean readsResults;
  /** How long a call refused by the breaker may wait for its next probe; 0 when it does not. */
  final long probeWaitNanos;
  /** The breaker's wait in the open state, as its config gives it for the first opening. */
  private final long openWaitNanos;
  /** How often a call waiting for a probe's outcome looks at the breaker again. */
  private final long probeStepNanos;

  /**
   * The breaker state this policy last read, for the probe wait's bookkeeping ({@link #openings},
   * {@link #openedAt}); read after each permission and record, sampled (no resilience4j consumer).
   * The events come from {@link BreakerTransitions}. Written under this step's monitor only.
   */
  private volatile CircuitBreaker.State seen;
  /** Counts the openings this policy saw; a waiting call gives up when it changes. */
  private volatile long openings;
  /** When this policy saw the breaker open last ({@link TimeSource#nanoTime()}). */
  private volatile long openedAt;
  /**
   * Whether this step receives its breaker's transitions from {@link BreakerTransitions}: set at
   * the first call that begins with a listener, never cleared (resilience4j cannot take a consumer
   * back). Set once the relay is registered, and volatile, so that a call that skips the relay
   * because another one asked first cannot move the breaker before the relay hears it; a thread
   * that reads {@code false} meanwhile asks the relay again, which is idempotent.
   */
  private volatile boolean relayed;

  BreakerStep(CircuitBreaker breaker, TimeSource time, long probeWaitNanos) {
    this.breaker = breaker;
    this.time = time;
    CircuitBreakerConfig config = breaker.getCircuitBreakerConfig();
    this.readsResults = config.getRecordResultPredicate() != DEFAULTS.getRecordResultPredicate()
        || config.getTransitionOnResult() != DEFAULTS.getTransitionOnResult();
    this.probeWaitNanos = probeWaitNanos;
    Long openMillis = config.getWaitIntervalFunctionInOpenState().apply(1);
    this.openWaitNanos = openMillis == null ? 0 : TimeUnit.MILLISECONDS.toNanos(openMillis);
    this.probeStepNanos = Math.max(ONE_MILLI, openWaitNanos / 20);
    this.seen = breaker.getState();
  }

  void attach(Pipeline pipeline) {
    this.pipeline = pipeline;
  }

  @Override
  long acquire(long remainingNanos) {
    boolean permitted = breaker.tryAcquirePermission();
    observe();
    return permitted ? GO : REFUSED;
  }

  /**
   * A call begins with someone listening ({@link Pipeline#listening}): from now on this policy
   * reports its breaker's transitions. Before the call's first permission, which may move the
   * breaker (open to half-open). One volatile read once relayed.
   */
  void listening() {
    if (relayed) {
      return;
    }
    try {
      BreakerTransitions.relayTo(this);
    } catch (RuntimeException e) {
      // A breaker of the user's own making that refuses consumers: its calls still run.
      System.getLogger(Policy.class.getName()).log(System.Logger.Level.WARNING,
          "circuit breaker '" + breaker.getName() + "' refused a transition consumer; policy '"
              + pipeline.name + "' cannot report its transitions", e);
    }
    relayed = true;
  }

  /**
   * The breaker refused {@code call}'s attempt and the policy lets it wait for a probe: how long
   * to wait before asking again, or -1 to give up. The first refusal of an attempt starts its
   * wait: it may last {@link #probeWaitNanos}, and ends early when the breaker opens again.
   */
  long probeWait(Call call, long remainingNanos) {
    long now = time.nanoTime();
    if (!call.probing) {
      call.probing = true;
      call.probeOpening = openings;
      call.probeUntil = Pipeline.plus(now, probeWaitNanos);
    }
    return probeWait(call.probeOpening, call.probeUntil, Pipeline.plus(now, remainingNanos), now);
  }

  /**
   * How long a call refused by the breaker waits before asking it again, or -1 to give up: until
   * the end of the open period this policy saw begin, then in short steps while a probe is out. It
   * gives up when the breaker opened again since the call began waiting ({@code opening}: the
   * probe failed), when the wait would pass {@code until} or the deadline, and for states that no
   * probe ends (forced open, disabled).
   */
  private long probeWait(long opening, long until, long deadline, long now) {
    long limit = Math.min(until, deadline);
    CircuitBreaker.State state = breaker.getState();
    long wait;
    if (state == CircuitBreaker.State.OPEN) {
      if (openings != opening) {
        return -1;
      }
      // resilience4j lets the first call through once its clock is past the open period's end.
      long reopens = Pipeline.plus(openedAt, Pipeline.plus(openWaitNanos, ONE_MILLI));
      wait = Math.max(probeStepNanos, Pipeline.remaining(reopens, now));
    } else if (state == CircuitBreaker.State.HALF_OPEN) {
      wait = probeStepNanos;
    } else if (state == CircuitBreaker.State.CLOSED) {
      return 0;
    } else {
      return -1;
    }
    if (Pipeline.plus(now, wait) > limit) {
      // The breaker cannot let the call through before its limit: no point waiting for it.
      return state == CircuitBreaker.State.HALF_OPEN && limit > now ? limit - now : -1;
    }
    return wait;
  }

  @Override
  RejectedException refusal(Pipeline p) {
    return p.rejection(
        RejectionReason.CIRCUIT_OPEN,
        null,
        CallNotPermittedException.createCallNotPermittedException(breaker));
  }

  @Override
  void release() {
    breaker.releasePermission();
  }

  @Override
  void settle(long nanos, Object result, Throwable failure) {
    try {
      dev.riprap.internal.OutcomeHooks<Object, Object> hooks = pipeline == null ? null : pipeline.hooks;
      if (hooks != null) {
        settleHooked(hooks, nanos, result, failure);
      } else if (failure != null) {
        breaker.onError(nanos, TimeUnit.NANOSECONDS, failure);
      } else if (readsResults) {
        breaker.onResult(nanos, TimeUnit.NANOSECONDS, result);
      } else {
        breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
      }
    } catch (Throwable userCode) {
      // A record predicate threw before the breaker recorded anything: give the permission back,
      // so that a half-open breaker is not left waiting for a probe that will never report.
      breaker.releasePermission();
      observe();
      throw userCode;
    }
    observe();
  }

  /** The adapter's hooks say what the attempt's outcome means for the breaker. */
  private void settleHooked(
      dev.riprap.internal.OutcomeHooks<Object, Object> hooks, long nanos, Object result,
      Throwable failure) {
    if (failure != null) {
      if (hooks.countsForBreaker(failure)) {
        breaker.onError(nanos, TimeUnit.NANOSECONDS, failure);
      } else {
        // Of the caller's or Riprap's own making: nothing to say about the downstream.
        breaker.releasePermission();
      }
    } else if (result != null && hooks.isFailure(result)) {
      breaker.onError(nanos, TimeUnit.NANOSECONDS, FAILED_RESULT);
    } else {
      breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Keeps the probe wait's view of the breaker current: when the state differs from the one this
   * policy read last, notes an opening. One volatile read each when nothing changed; nothing
   * allocated. (Events do not come from here: a sampled state can miss one that lasted an
   * instant, see {@link BreakerTransitions}.)
   */
  void observe() {
    if (breaker.getState() != seen) {
      changed();
    }
  }

  private synchronized void changed() {
    CircuitBreaker.State now = breaker.getState();
    if (now == seen) {
      return;
    }
    seen = now;
    if (now == CircuitBreaker.State.OPEN) {
      openedAt = time.nanoTime();
      openings++;
    }
  }

  /**
   * The breaker moved from {@code from} to {@code to} (one real transition, in the order
   * resilience4j published it, from {@link BreakerTransitions}): publishes it to this policy's
   * listeners.
   */
  @Override
  public void transitioned(CircuitBreaker.State from, CircuitBreaker.State to) {
    Pipeline p = pipeline;
    if (p.events.hasListeners()) {
      p.events.publish(
          new CircuitStateChanged(p.name, p.tags, time.instant(), breaker.getName(), from, to));
    }
  }
}
