package dev.riprap.endpoint;

import dev.riprap.TimeSource;
import dev.riprap.event.EndpointEjected;
import dev.riprap.event.EndpointEvent;
import dev.riprap.event.EndpointHealthChanged;
import dev.riprap.event.EndpointPanicChanged;
import dev.riprap.event.EndpointRestored;
import dev.riprap.event.EndpointsUpdated;
import dev.riprap.event.EventStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which endpoints of a group are in rotation: outlier ejection, the return after the ejection
 * time, the probation, the maximum ejection share, the active health check's verdicts ({@link
 * HealthChecker}), panic mode and the replacement of the set. An endpoint is in rotation when it
 * is neither ejected nor unhealthy: both verdicts must agree to route to it (Envoy's rule).
 *
 * <p>Choices read {@link #view}, an immutable snapshot, without a lock. Every change of the
 * snapshot (an ejection, a return, a health verdict, a replacement) happens under this object's
 * lock, which only failing attempts that reach the threshold, the return timers, the health
 * checks' answers and {@code update} take; the events
 * of a change are published before the lock is let go, so listeners see them one at a time and in
 * order.
 */
final class Rotation<E> {
  /** The endpoints as choices see them. Immutable. */
  static final class View<E> {
    final Member<E>[] all;
    /**
     * The members neither ejected nor unhealthy; empty only when the health check has all of them
     * unhealthy, or {@code all} is all ejected after a replace.
     */
    final Member<E>[] inRotation;
    /** The members ejected by outlier detection (unhealthy ones do not count against its share). */
    final int ejected;
    final boolean panic;

    View(Member<E>[] all, Member<E>[] inRotation, int ejected, boolean panic) {
      this.all = all;
      this.inRotation = inRotation;
      this.ejected = ejected;
      this.panic = panic;
    }

    /** Where choices look: every member in panic mode or when none is in rotation. */
    Member<E>[] candidates() {
      return panic || inRotation.length == 0 ? all : inRotation;
    }

    boolean contains(Member<E> m) {
      return Rotation.contains(all, m);
    }
  }

  private final String group;
  private final Map<String, String> tags;
  private final TimeSource time;
  private final EventStream events;
  private final boolean detection;
  private final int consecutiveFailures;
  private final long baseNanos;
  private final long maxNanos;
  private final int maxEjectionPercent;
  private final int panicPercent;
  /** The active health check, or null when the group has none. */
  final HealthChecker<E> checker;

  volatile View<E> view;

  Rotation(EndpointGroup.Builder<E> b, EventStream events, Member<E>[] members) {
    this.group = b.name;
    this.tags = b.tagsCopy();
    this.time = b.timeSource;
    this.events = events;
    this.detection = b.outlierDetection;
    this.consecutiveFailures = b.consecutiveFailures;
    this.baseNanos = nanos(b.baseEjectionTime);
    this.maxNanos = nanos(b.maxEjectionTime);
    this.maxEjectionPercent = b.maxEjectionPercent;
    this.panicPercent = b.panicThresholdPercent;
    this.view = build(members);
    this.checker = b.healthCheck == null ? null
        : new HealthChecker<>(this, b.healthCheck, b.healthCheckSettings, time);
  }

  /** The group's tags, for its events. */
  Map<String, String> tags() {
    return tags;
  }

  private static long nanos(Duration d) {
    return dev.riprap.internal.Check.saturatedNanos(dev.riprap.internal.Check.capped(d));
  }

  // ---------------------------------------------------------------- outcomes (no lock)

  void succeeded(Member<E> m) {
    m.succeeded();
  }

  void failed(Member<E> m, Throwable cause) {
    if (!detection || m.ejected) {
      return;
    }
    if (m.probation) {
      eject(m, 1, cause); // on probation: one failure is enough
      return;
    }
    int n = m.failed();
    View<E> v = view;
    // Read without the lock first, so that failures while the share is full do not queue on it.
    if (n >= consecutiveFailures && v.ejected < maxEjected(v.all.length)) {
      eject(m, n, cause);
    }
  }

  // ---------------------------------------------------------------- changes (under the lock)

  /**
   * The most members that may be ejected at once among {@code total}: the share, at least one
   * (Envoy's rule, so a small group can eject at all), never all of them.
   */
  int maxEjected(int total) {
    long share = (long) total * maxEjectionPercent / 100;
    return (int) Math.min(total - 1L, Math.max(1L, share));
  }

  private synchronized void eject(Member<E> m, int failures, Throwable cause) {
    View<E> v = view;
    if (m.ejected || !v.contains(m)) {
      return;
    }
    if (v.ejected + 1 > maxEjected(v.all.length)) {
      return; // the share is full: the member stays, and its next failure asks again
    }
    long now = time.nanoTime();
    if (m.ejections > 0) {
      // One step back for each base ejection time spent in rotation since the last return.
      long steps = Math.max(0, now - m.restoredAt) / baseNanos;
      m.ejections = (int) Math.max(0, m.ejections - steps);
    }
    if (m.ejections < Integer.MAX_VALUE) {
      m.ejections++;
    }
    long nanos = m.ejections > maxNanos / baseNanos ? maxNanos : Math.min(maxNanos, baseNanos * m.ejections);
    long sequence = m.ejectionSequence + 1;
    // Scheduled first: if the time source refuses, nothing has changed. The task takes this lock,
    // so it cannot run before the ejection below is complete.
    m.restoreTask = time.schedule(() -> restore(m, sequence), nanos);
    m.ejectionSequence = sequence;
    m.ejected = true;
    m.probation = false;
    m.consecutiveFailures.set(0);
    List<EndpointEvent> out = new ArrayList<>(2);
    if (events.hasListeners()) {
      out.add(new EndpointEjected(group, tags, time.instant(), m.name, failures, m.ejections,
          Duration.ofNanos(nanos), cause));
    }
    change(v, out);
  }

  private synchronized void restore(Member<E> m, long sequence) {
    View<E> v = view;
    if (!m.ejected || m.ejectionSequence != sequence || !v.contains(m)) {
      return;
    }
    m.ejected = false;
    m.probation = true;
    m.restoredAt = time.nanoTime();
    m.restoreTask = null;
    List<EndpointEvent> out = new ArrayList<>(2);
    if (events.hasListeners()) {
      out.add(new EndpointRestored(group, tags, time.instant(), m.name));
    }
    change(v, out);
  }

  /**
   * The active health check's verdict on {@code m} changed: it leaves rotation ({@code healthy ==
   * false}) or comes back to it (unless ejected). Called by the {@link HealthChecker} under this
   * lock, for a member of the view.
   */
  synchronized void health(Member<E> m, boolean healthy, int checks, Throwable cause) {
    View<E> v = view;
    m.unhealthy = !healthy;
    List<EndpointEvent> out = new ArrayList<>(2);
    if (events.hasListeners()) {
      out.add(new EndpointHealthChanged(group, tags, time.instant(), m.name, healthy, checks,
          healthy ? null : cause));
    }
    change(v, out);
  }

  /**
   * Replaces the set: members whose endpoint stays are kept as they are (ejected, on probation,
   * counting, their health checks running), the others dropped with their return timers and
   * health checks; new members' checks start.
   */
  synchronized void replace(Member<E>[] next) {
    View<E> v = view;
    List<String> removed = new ArrayList<>();
    for (Member<E> old : v.all) {
      if (!contains(next, old)) {
        removed.add(old.name);
        if (old.restoreTask != null) {
          old.restoreTask.cancel();
          old.restoreTask = null;
        }
        if (checker != null) {
          checker.left(old);
        }
      }
    }
    List<String> added = new ArrayList<>();
    for (Member<E> m : next) {
      if (!v.contains(m)) {
        added.add(m.name);
        if (checker != null) {
          checker.joined(m);
        }
      }
    }
    View<E> built = build(next);
    view = built;
    List<EndpointEvent> out = new ArrayList<>(2);
    if (events.hasListeners() && (!added.isEmpty() || !removed.isEmpty())) {
      out.add(new EndpointsUpdated(group, tags, time.instant(), added, removed));
    }
    publish(v, built, out);
  }

  private static <E> boolean contains(Member<E>[] members, Member<E> m) {
    for (Member<E> x : members) {
      if (x == m) {
        return true;
      }
    }
    return false;
  }

  private void change(View<E> before, List<EndpointEvent> out) {
    View<E> after = build(before.all);
    view = after;
    publish(before, after, out);
  }

  private void publish(View<E> before, View<E> after, List<EndpointEvent> out) {
    if (before.panic != after.panic && events.hasListeners()) {
      out.add(new EndpointPanicChanged(group, tags, time.instant(), after.panic,
          after.inRotation.length, after.all.length));
    }
    for (EndpointEvent e : out) {
      events.publish(e);
    }
  }

  private View<E> build(Member<E>[] all) {
    int in = 0;
    int ejected = 0;
    for (Member<E> m : all) {
      in += m.ejected || m.unhealthy ? 0 : 1;
      ejected += m.ejected ? 1 : 0;
    }
    @SuppressWarnings("unchecked")
    Member<E>[] rotation = new Member[in];
    int i = 0;
    for (Member<E> m : all) {
      if (!m.ejected && !m.unhealthy) {
        rotation[i++] = m;
      }
    }
    // Envoy's panic rule: fewer in rotation than the threshold's share of all.
    boolean panic = (long) in * 100 < (long) panicPercent * all.length;
    return new View<>(all, rotation, ejected, panic);
  }
}
