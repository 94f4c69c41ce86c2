package dev.riprap.http;

import dev.riprap.Policy;
import dev.riprap.PolicyObserver;
import dev.riprap.TimeSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

/**
 * The per-host policies, created on demand and kept in a bounded map: at most {@code maxHosts}
 * entries (least recently used dropped first) and none unused for longer than {@code idleTimeout}.
 * An evicted host starts afresh (a new breaker, limiter and budget) the next time it is used;
 * requests in flight keep the policy they started with. Observers hear of every policy created and
 * evicted (outside the map's lock), so per-host meters and health entries leave with their host.
 *
 * <p>Looking up a known host takes no lock: every request does it, and a lock held by a thread
 * that loses its core makes all the others queue behind it (measured at 32 requests in flight on
 * 2 cores: waits of 10 ms and more). Creating a host's policy, evicting the least recently used one
 * and sweeping idle ones happen under a lock. The idle sweep runs only when the earliest moment an
 * entry can have become idle has passed, so idle entries still leave at the first request after
 * their idle timeout, as if every request swept.
 */
final class HostPolicies {
  private final int maxHosts;
  private final long idleNanos;
  private final TimeSource time;
  private final BiFunction<HttpPolicy, String, Policy> factory;
  private final ConcurrentHashMap<Key, Entry> map = new ConcurrentHashMap<>();
  private final List<PolicyObserver> observers;
  /** Orders uses for least-recently-used eviction when the clock shows the same time twice. */
  private final AtomicLong uses = new AtomicLong();
  private final Object lock = new Object();
  /** No entry can have been idle for {@code idleNanos} before this time. Guarded by the lock. */
  private volatile long nextSweep;

  /** Policies compare by identity: each route's settings make their own per-host policies. */
  record Key(HttpPolicy policy, String authority) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key && ((Key) o).policy == policy
          && ((Key) o).authority.equals(authority);
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(policy) * 31 + authority.hashCode();
    }
  }

  private static final class Entry {
    final Policy policy;
    volatile long lastUsed;
    volatile long useOrder;

    Entry(Policy policy, long lastUsed, long useOrder) {
      this.policy = policy;
      this.lastUsed = lastUsed;
      this.useOrder = useOrder;
    }
  }

  HostPolicies(int maxHosts, long idleNanos, TimeSource time,
      BiFunction<HttpPolicy, String, Policy> factory, List<PolicyObserver> observers) {
    this.observers = List.copyOf(observers);
    this.maxHosts = maxHosts;
    this.idleNanos = idleNanos;
    this.time = time;
    this.factory = factory;
    this.nextSweep = time.nanoTime() + idleNanos;
  }

  Policy get(HttpPolicy settings, String authority) {
    long now = time.nanoTime();
    Key key = new Key(settings, authority);
    if (now - nextSweep < 0) {
      Entry e = map.get(key);
      if (e != null) {
        touch(e, now);
        return e.policy;
      }
    }
    List<Policy> evicted = null;
    Policy added = null;
    Policy result;
    synchronized (lock) {
      if (now - nextSweep >= 0) {
        evicted = sweep(now);
      }
      Entry e = map.get(key);
      if (e == null) {
        e = new Entry(factory.apply(settings, authority), now, uses.incrementAndGet());
        added = e.policy;
        map.put(key, e);
        if (map.size() > maxHosts) {
          evicted = add(evicted, evictLeastRecentlyUsed(key));
        }
      } else {
        touch(e, now);
      }
      result = e.policy;
    }
    notify(added, evicted);
    return result;
  }

  private void touch(Entry e, long now) {
    // Later uses only move forward: a thread that read the clock earlier writes nothing.
    if (now - e.lastUsed > 0) {
      e.lastUsed = now;
    }
    e.useOrder = uses.incrementAndGet();
  }

  /** Removes the idle entries and moves {@link #nextSweep} to the earliest next expiry. */
  private List<Policy> sweep(long now) {
    List<Policy> evicted = null;
    long next = now + idleNanos;
    for (Iterator<Map.Entry<Key, Entry>> it = map.entrySet().iterator(); it.hasNext(); ) {
      Entry e = it.next().getValue();
      long expiry = e.lastUsed + idleNanos;
      if (now - expiry > 0) {
        it.remove();
        evicted = add(evicted, e.policy);
      } else if (expiry - next < 0) {
        next = expiry;
      }
    }
    nextSweep = next;
    return evicted;
  }

  private Policy evictLeastRecentlyUsed(Key keep) {
    Map.Entry<Key, Entry> eldest = null;
    for (Map.Entry<Key, Entry> m : map.entrySet()) {
      if (!m.getKey().equals(keep)
          && (eldest == null || m.getValue().useOrder < eldest.getValue().useOrder)) {
        eldest = m;
      }
    }
    map.remove(eldest.getKey());
    return eldest.getValue().policy;
  }

  /** Forgets every host (the client is closing) and tells the observers. */
  void clear() {
    List<Policy> evicted = new ArrayList<>();
    synchronized (lock) {
      for (Entry e : map.values()) {
        evicted.add(e.policy);
      }
      map.clear();
    }
    notify(null, evicted);
  }

  private static List<Policy> add(List<Policy> list, Policy p) {
    List<Policy> l = list == null ? new ArrayList<>(2) : list;
    l.add(p);
    return l;
  }

  private void notify(Policy added, List<Policy> evicted) {
    if (observers.isEmpty()) {
      return;
    }
    if (evicted != null) {
      for (Policy p : evicted) {
        for (PolicyObserver o : observers) {
          o.onRemoved(p);
        }
      }
    }
    if (added != null) {
      for (PolicyObserver o : observers) {
        o.onAdded(added);
      }
    }
  }

  /** The live policy for a host, without creating one or touching its idle time. */
  Policy peek(HttpPolicy settings, String authority) {
    Entry e = map.get(new Key(settings, authority));
    return e == null ? null : e.policy;
  }

  int size() {
    return map.size();
  }
}
