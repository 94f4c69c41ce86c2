package dev.riprap.http;

import dev.riprap.Policy;
import dev.riprap.TimeSource;
import dev.riprap.lifecycle.PolicyObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The per-host policies, created on demand and kept in a bounded map: at most {@code maxHosts}
 * entries (least recently used dropped first) and none unused for longer than {@code idleTimeout}.
 * An evicted host starts afresh (a new breaker, limiter and budget) the next time it is used;
 * requests in flight keep the policy they started with. Observers hear of every policy created and
 * evicted (outside the map's lock), so per-host meters and health entries leave with their host.
 */
final class HostPolicies {
  private final int maxHosts;
  private final long idleNanos;
  private final TimeSource time;
  private final BiFunction<HttpPolicy, String, Policy> factory;
  private final LinkedHashMap<Key, Entry> map = new LinkedHashMap<>(16, 0.75f, true);
  private final List<PolicyObserver> observers;

  record Key(HttpPolicy policy, String authority) {}

  private static final class Entry {
    final Policy policy;
    long lastUsed;

    Entry(Policy policy, long lastUsed) {
      this.policy = policy;
      this.lastUsed = lastUsed;
    }
  }

  HostPolicies(int maxHosts, long idleNanos, TimeSource time,
      BiFunction<HttpPolicy, String, Policy> factory, List<PolicyObserver> observers) {
    this.observers = List.copyOf(observers);
    this.maxHosts = maxHosts;
    this.idleNanos = idleNanos;
    this.time = time;
    this.factory = factory;
  }

  Policy get(HttpPolicy settings, String authority) {
    long now = time.nanoTime();
    Key key = new Key(settings, authority);
    List<Policy> evicted = null;
    Policy added = null;
    Policy result;
    synchronized (map) {
      // Access order: the eldest entries are the least recently used, so the sweep stops early.
      Iterator<Entry> it = map.values().iterator();
      while (it.hasNext()) {
        Entry e = it.next();
        if (now - e.lastUsed <= idleNanos) {
          break;
        }
        it.remove();
        evicted = add(evicted, e.policy);
      }
      Entry e = map.get(key);
      if (e == null) {
        e = new Entry(factory.apply(settings, authority), now);
        added = e.policy;
        map.put(key, e);
        if (map.size() > maxHosts) {
          Iterator<Map.Entry<Key, Entry>> eldest = map.entrySet().iterator();
          evicted = add(evicted, eldest.next().getValue().policy);
          eldest.remove();
        }
      }
      e.lastUsed = now;
      result = e.policy;
    }
    notify(added, evicted);
    return result;
  }

  /** Forgets every host (the client is closing) and tells the observers. */
  void clear() {
    List<Policy> evicted = new ArrayList<>();
    synchronized (map) {
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
    synchronized (map) {
      Entry e = map.get(new Key(settings, authority));
      return e == null ? null : e.policy;
    }
  }

  int size() {
    synchronized (map) {
      return map.size();
    }
  }
}
