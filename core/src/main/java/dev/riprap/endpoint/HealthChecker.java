package dev.riprap.endpoint;

import dev.riprap.Cancellable;
import dev.riprap.TimeSource;
import dev.riprap.internal.Check;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A group's active health checks: per endpoint, one {@link Probe} at a time, scheduled on the
 * group's time source (so fake time drives them), the next one an interval (plus jitter) after the
 * last one ended. Its answers change the members' health under the {@link Rotation}'s lock, which
 * also guards the probes and {@link #closed}; a probe's answer that comes after its member left,
 * after {@link #close()} or after a newer probe replaced it is ignored.
 */
final class HealthChecker<E> {
  /** One check of one member: scheduled, then running, then ended by its answer or timeout. */
  static final class Probe<E> {
    final Member<E> member;
    final AtomicBoolean ended = new AtomicBoolean();
    Cancellable task;
    volatile Cancellable timeout;
    volatile CompletableFuture<?> running;

    Probe(Member<E> member) {
      this.member = member;
    }
  }

  private final Rotation<E> rotation;
  private final HealthCheck<? super E> check;
  private final TimeSource time;
  private final long intervalNanos;
  private final long timeoutNanos;
  private final long jitterNanos;
  private final int unhealthyThreshold;
  private final int healthyThreshold;
  private boolean closed;

  HealthChecker(Rotation<E> rotation, HealthCheck<? super E> check, HealthCheckSettings s,
      TimeSource time) {
    this.rotation = rotation;
    this.check = check;
    this.time = time;
    this.intervalNanos = Check.saturatedNanos(s.interval());
    this.timeoutNanos = Check.saturatedNanos(s.timeout());
    this.jitterNanos = Check.saturatedNanos(s.jitter());
    this.unhealthyThreshold = s.unhealthyThreshold();
    this.healthyThreshold = s.healthyThreshold();
  }

  /** Starts the checks of every member of the view. */
  void start() {
    synchronized (rotation) {
      for (Member<E> m : rotation.view.all) {
        joined(m);
      }
    }
  }

  /** A member joined (or the group started): its first check after a random part of the jitter. */
  void joined(Member<E> m) {
    schedule(m, jitter());
  }

  /** A member left: its check is called off, a running one cancelled and its answer ignored. */
  void left(Member<E> m) {
    Probe<E> p = m.probe;
    m.probe = null;
    if (p != null) {
      abandon(p);
    }
  }

  /** Stops every check; answers still to come are ignored. Idempotent. */
  void close() {
    synchronized (rotation) {
      if (closed) {
        return;
      }
      closed = true;
      for (Member<E> m : rotation.view.all) {
        left(m);
      }
    }
  }

  boolean closed() {
    synchronized (rotation) {
      return closed;
    }
  }

  private long jitter() {
    return jitterNanos == 0 ? 0 : ThreadLocalRandom.current().nextLong(jitterNanos + 1);
  }

  /** Under the rotation's lock. */
  private void schedule(Member<E> m, long delayNanos) {
    if (closed) {
      return;
    }
    Probe<E> p = new Probe<>(m);
    m.probe = p;
    p.task = time.schedule(() -> run(p), delayNanos);
  }

  private void run(Probe<E> p) {
    synchronized (rotation) {
      if (closed || p.member.probe != p) {
        return;
      }
    }
    CompletionStage<Boolean> stage;
    try {
      stage = check.check(p.member.endpoint);
    } catch (Throwable t) {
      end(p, false, t);
      return;
    }
    if (stage == null) {
      end(p, false, new NullPointerException("the health check returned a null stage"));
      return;
    }
    try {
      p.running = stage.toCompletableFuture();
    } catch (Throwable t) {
      p.running = null; // a stage that cannot be cancelled: its answer still counts
    }
    try {
      // Scheduled before the callback, so that an answer already there finds it to cancel.
      p.timeout = time.schedule(() -> end(p, false, new TimeoutException(
          "health check of endpoint '" + p.member.name + "' timed out")), timeoutNanos);
      stage.whenComplete((healthy, t) -> {
        Throwable failure = t instanceof CompletionException && t.getCause() != null
            ? t.getCause() : t;
        end(p, failure == null && Boolean.TRUE.equals(healthy), failure);
      });
    } catch (Throwable t) {
      end(p, false, t);
    }
    if (p.ended.get()) {
      // Answered at once, or abandoned (the member left, the group closed) while starting: the
      // timeout must not stay behind (cancelling what is done changes nothing).
      Cancellable timeout = p.timeout;
      if (timeout != null) {
        timeout.cancel();
      }
      cancelRunning(p);
    }
  }

  /** The probe's one end: its answer, its timeout or a failure to start it. */
  private void end(Probe<E> p, boolean healthy, Throwable cause) {
    if (!p.ended.compareAndSet(false, true)) {
      return;
    }
    Cancellable timeout = p.timeout;
    if (timeout != null) {
      timeout.cancel();
    }
    if (cause instanceof TimeoutException) {
      cancelRunning(p);
    }
    synchronized (rotation) {
      Member<E> m = p.member;
      if (closed || m.probe != p || !rotation.view.contains(m)) {
        return;
      }
      record(m, healthy, cause);
      schedule(m, plus(intervalNanos, jitter()));
    }
  }

  /** Counts one answer and changes the verdict at its threshold. Under the rotation's lock. */
  private void record(Member<E> m, boolean healthy, Throwable cause) {
    if (healthy) {
      m.checksFailed = 0;
      m.checksPassed = saturatedIncrement(m.checksPassed);
      m.passedChecks = m.passedChecks + 1;
      if (m.unhealthy && m.checksPassed >= healthyThreshold) {
        rotation.health(m, true, m.checksPassed, null);
      }
    } else {
      m.checksPassed = 0;
      m.checksFailed = saturatedIncrement(m.checksFailed);
      m.failedChecks = m.failedChecks + 1;
      if (!m.unhealthy && m.checksFailed >= unhealthyThreshold) {
        rotation.health(m, false, m.checksFailed, cause);
      }
    }
  }

  /** Calls off a probe that is no longer wanted: its timer, its timeout and its running stage. */
  private void abandon(Probe<E> p) {
    if (p.task != null) {
      p.task.cancel();
    }
    if (p.ended.compareAndSet(false, true)) {
      Cancellable timeout = p.timeout;
      if (timeout != null) {
        timeout.cancel();
      }
      cancelRunning(p);
    }
  }

  private static void cancelRunning(Probe<?> p) {
    CompletableFuture<?> running = p.running;
    if (running != null) {
      try {
        running.cancel(true);
      } catch (Throwable ignored) {
        // A stage of the user's that throws on cancel: its answer is ignored all the same.
      }
    }
  }

  private static int saturatedIncrement(int n) {
    return n == Integer.MAX_VALUE ? n : n + 1;
  }

  private static long plus(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }
}
