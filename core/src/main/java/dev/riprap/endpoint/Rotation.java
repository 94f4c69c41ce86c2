package dev.riprap.endpoint;

import dev.riprap.TimeSource;
import dev.riprap.event.EndpointEjected;
import dev.riprap.event.EndpointEvent;
import dev.riprap.event.EndpointPanicChanged;
import dev.riprap.event.EndpointRestored;
import dev.riprap.event.EventStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which endpoints of a group are in rotation: outlier ejection, the return after the ejection
 * time, the probation, the maximum ejection share, panic mode and the replacement of the set.
 *
 * <p>Choices read {@link #view}, an immutable snapshot, without a lock. Every change of the
 * snapshot (an ejection, a return, a replacement) happens under this object's lock, which only
 * failing attempts that reach the threshold, the return timers and {@code update} take; the events
 * of a change are published before the lock is let go, so listeners see them one at a time and in
 * order.
 */
final class Rotation<E> {
  /** The endpoints as choices see them. Immutable. */
  static final class View<E> {
    final Member<E>[] all;
    /** The members not ejected; never empty unless {@code all} is all ejected after a replace. */
    final Member<E>[] inRotation;
    final boolean panic;

    View(Member<E>[] all, Member<E>[] inRotation, boolean panic) {
      this.all = all;
      this.inRotation = inRotation;
      this.panic = panic;
    }

    /** Where choices look: every member in panic mode or when none is in rotation. */
    Member<E>[] candidates() {
      return panic || inRotation.length == 0 ? all : inRotation;
    }

    boolean contains(Member<E> m) {
      for (Member<E> x : all) {
        if (x == m) {
          return true;
        }
      }
      return false;
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
    if (n >= consecutiveFailures && v.all.length - v.inRotation.length < maxEjected(v.all.length)) {
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
    int ejectedNow = v.all.length - v.inRotation.length;
    if (ejectedNow + 1 > maxEjected(v.all.length)) {
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
   * Replaces the set: members whose endpoint stays are kept as they are (ejected, on probation,
   * counting), the others dropped with their return timers.
   */
  synchronized void replace(Member<E>[] next) {
    View<E> v = view;
    for (Member<E> old : v.all) {
      boolean stays = false;
      for (Member<E> m : next) {
        stays |= m == old;
      }
      if (!stays && old.restoreTask != null) {
        old.restoreTask.cancel();
        old.restoreTask = null;
      }
    }
    View<E> built = build(next);
    view = built;
    publish(v, built, new ArrayList<>(1));
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
    for (Member<E> m : all) {
      in += m.ejected ? 0 : 1;
    }
    @SuppressWarnings("unchecked")
    Member<E>[] rotation = new Member[in];
    int i = 0;
    for (Member<E> m : all) {
      if (!m.ejected) {
        rotation[i++] = m;
      }
    }
    // Envoy's panic rule: fewer in rotation than the threshold's share of all.
    boolean panic = (long) in * 100 < (long) panicPercent * all.length;
    return new View<>(all, rotation, panic);
  }
}
