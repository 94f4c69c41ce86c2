package dev.riprap.bucket4j;

import dev.riprap.Durations;
import dev.riprap.ExternalLimiter;
import dev.riprap.TimeSource;
import dev.riprap.event.EventStream;
import dev.riprap.event.LimiterModeChanged;
import dev.riprap.event.LimiterModeChanged.Mode;
import io.github.bucket4j.Bucket;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What a {@link DistributedLimiter} does about its store's health: the breaker around the store,
 * the fail mode's answers while the store cannot answer, and the mode in force with its events.
 * Every store request asks {@link #permitted()} first and then reports exactly once, {@link
 * #answered} or {@link #failed} (or {@link #notAsked} when the call's deadline, not the store, cut
 * it short), so the breaker's permission is given back once.
 */
final class StoreGuard {
  private final String limiter;
  private final CircuitBreaker breaker;
  private final FailMode failMode;
  private final Bucket local;
  private final TimeSource time;
  private final Duration storeTimeout;
  private final AtomicReference<Mode> mode = new AtomicReference<>(Mode.SHARED);
  private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
  /** Guards each change of {@link #mode} with its place in {@link #changes}. */
  private final Object changing = new Object();
  /** The changes not yet told to the listeners, in the order they happened. */
  private final ConcurrentLinkedQueue<Change> changes = new ConcurrentLinkedQueue<>();
  /** Whether a thread is telling the listeners now; the others leave their changes to it. */
  private final AtomicBoolean publishing = new AtomicBoolean();

  StoreGuard(String limiter, CircuitBreaker breaker, FailMode failMode, Bucket local,
      TimeSource time, Duration storeTimeout) {
    this.limiter = limiter;
    this.breaker = breaker;
    this.failMode = failMode;
    this.local = local;
    this.time = time;
    this.storeTimeout = storeTimeout;
  }

  /** Whether the store may be asked now: false while the breaker is open. */
  boolean permitted() {
    return breaker.tryAcquirePermission();
  }

  /** The request asked at {@code start} was cut short by the call's deadline: no verdict. */
  void notAsked() {
    breaker.releasePermission();
  }

  /** The store answered the request asked at {@code start}. */
  void answered(long start) {
    breaker.onSuccess(time.nanoTime() - start, TimeUnit.NANOSECONDS);
    if (mode.get() != Mode.SHARED) {
      change(Mode.SHARED, true, "store answered again", null);
    }
  }

  /**
   * The request asked at {@code start} failed or timed out: the breaker records it, and the fail
   * mode answers.
   */
  long failed(long start, Throwable failure) {
    breaker.onError(time.nanoTime() - start, TimeUnit.NANOSECONDS, failure);
    // Always through change(): a check of the mode here could miss a change back to SHARED that
    // another thread is making, and leave SHARED in force with the breaker open.
    String why = failure instanceof TimeoutException
        ? failure.getMessage()
        : "store failed: " + failure;
    change(failingMode(), false, why, failure);
    return failModeAnswer();
  }

  /**
   * Asking the store threw {@code thrown}: a failure like {@link #failed}, recorded first so that
   * the breaker's permission is given back; an {@link Error} is then rethrown, so that the call
   * fails with it visibly.
   */
  long thrown(long start, Throwable thrown) {
    long answer = failed(start, thrown);
    if (thrown instanceof Error) {
      throw (Error) thrown;
    }
    return answer;
  }

  TimeoutException timedOut() {
    return new TimeoutException("store did not answer within " + Durations.format(storeTimeout));
  }

  /** The fail mode's answer: the store is not asked (open breaker) or could not answer. */
  long failModeAnswer() {
    switch (failMode) {
      case ALLOW:
        return 0;
      case REJECT:
        return ExternalLimiter.REFUSED;
      default:
        return local.tryConsume(1) ? 0 : ExternalLimiter.REFUSED;
    }
  }

  private Mode failingMode() {
    switch (failMode) {
      case ALLOW:
        return Mode.ALLOW;
      case REJECT:
        return Mode.REJECT;
      default:
        return Mode.LOCAL;
    }
  }

  Mode mode() {
    return mode.get();
  }

  CircuitBreaker breaker() {
    return breaker;
  }

  FailMode failMode() {
    return failMode;
  }

  /**
   * Tells the policy's stream of the mode changes from now on. The stream is held weakly, so that
   * a policy the application drops (one built per request or per tenant) is not kept alive by a
   * limiter that outlives it; the listeners of dropped policies are removed here and as changes
   * are told.
   */
  void attach(String policy, Map<String, String> tags, EventStream events, TimeSource timeSource) {
    listeners.removeIf(Listener::dropped);
    listeners.add(new Listener(policy, tags, events, timeSource));
  }

  /**
   * Puts {@code to} in force (back to SHARED only while the breaker is closed, checked in the same
   * step) and tells the listeners. The changes are made one at a time and told in the order they
   * were made, by one thread at a time, and no lock is held while user code runs: a change made
   * while another thread tells the listeners (from a listener, say) is told by that thread after
   * the earlier ones.
   */
  private void change(Mode to, boolean onlyIfClosed, String reason, Throwable cause) {
    synchronized (changing) {
      if (onlyIfClosed && breaker.getState() != CircuitBreaker.State.CLOSED) {
        return;
      }
      if (mode.getAndSet(to) == to) {
        return;
      }
      changes.add(new Change(to, reason, cause));
    }
    // Re-checked after giving up the flag, so that a change queued meanwhile is not left behind.
    while (!changes.isEmpty() && publishing.compareAndSet(false, true)) {
      try {
        for (Change c; (c = changes.poll()) != null; ) {
          for (Listener l : listeners) {
            if (!l.publish(limiter, c.mode, c.reason, c.cause)) {
              listeners.remove(l);
            }
          }
        }
      } finally {
        publishing.set(false);
      }
    }
  }

  /** One change of the mode, waiting to be told. */
  private record Change(Mode mode, String reason, Throwable cause) {}

  /** A policy built with the limiter: where its mode changes go, while the policy lives. */
  private static final class Listener {
    final String policy;
    final Map<String, String> tags;
    final WeakReference<EventStream> events;
    final TimeSource time;

    Listener(String policy, Map<String, String> tags, EventStream events, TimeSource time) {
      this.policy = policy;
      this.tags = tags;
      this.events = new WeakReference<>(events);
      this.time = time;
    }

    boolean dropped() {
      return events.get() == null;
    }

    /** Tells the policy's stream; false if the policy was dropped. */
    boolean publish(String limiter, Mode mode, String reason, Throwable cause) {
      EventStream stream = events.get();
      if (stream == null) {
        return false;
      }
      try {
        if (stream.hasListeners()) {
          stream.publish(
              new LimiterModeChanged(policy, tags, time.instant(), limiter, mode, reason, cause));
        }
      } catch (Throwable ignored) {
        // A time source of the user's that threw: the decision stands, the event is lost.
      }
      return true;
    }
  }
}
