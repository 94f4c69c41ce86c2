package dev.riprap.http;

import dev.riprap.Policy;
import dev.riprap.TimeSource;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The per-host policies, created on demand and kept in a bounded map: at most {@code maxHosts}
 * entries (least recently used dropped first) and none unused for longer than {@code idleTimeout}.
 * An evicted host starts afresh (a new breaker, limiter and budget) the next time it is used;
 * requests in flight keep the policy they started with.
 */
final class HostPolicies {
  private final int maxHosts;
  private final long idleNanos;
  private final TimeSource time;
  private final BiFunction<HttpPolicy, String, Policy> factory;
  private final LinkedHashMap<Key, Entry> map = new LinkedHashMap<>(16, 0.75f, true);

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
      BiFunction<HttpPolicy, String, Policy> factory) {
    this.maxHosts = maxHosts;
    this.idleNanos = idleNanos;
    this.time = time;
    this.factory = factory;
  }

  Policy get(HttpPolicy settings, String authority) {
    long now = time.nanoTime();
    Key key = new Key(settings, authority);
    synchronized (map) {
      // Access order: the eldest entries are the least recently used, so the sweep stops early.
      Iterator<Entry> it = map.values().iterator();
      while (it.hasNext()) {
        Entry e = it.next();
        if (now - e.lastUsed <= idleNanos) {
          break;
        }
        it.remove();
      }
      Entry e = map.get(key);
      if (e == null) {
        e = new Entry(factory.apply(settings, authority), now);
        map.put(key, e);
        if (map.size() > maxHosts) {
          Iterator<Map.Entry<Key, Entry>> eldest = map.entrySet().iterator();
          eldest.next();
          eldest.remove();
        }
      }
      e.lastUsed = now;
      return e.policy;
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
