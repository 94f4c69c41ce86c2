package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.PolicyObserver;
import dev.riprap.testing.FakeTimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The per-host map on its own: creation once per key, LRU order, idle eviction at its moment. */
class HostPoliciesTest {
  static final HttpPolicy SETTINGS = HttpPolicy.builder("p").build();
  final FakeTimeSource fake = new FakeTimeSource();
  final AtomicInteger created = new AtomicInteger();
  final List<String> seen = new CopyOnWriteArrayList<>();

  HostPolicies hosts(int maxHosts, Duration idle) {
    return new HostPolicies(maxHosts, idle.toNanos(), fake,
        (settings, authority) -> {
          created.incrementAndGet();
          return Policy.builder(authority).tag("host", authority).build();
        },
        List.of(new PolicyObserver() {
          @Override
          public void onAdded(Policy policy) {
            seen.add("+" + policy.name());
          }

          @Override
          public void onRemoved(Policy policy) {
            seen.add("-" + policy.name());
          }
        }));
  }

  @Test
  void racingFirstRequestsToOneHostShareOnePolicy() throws Exception {
    HostPolicies hosts = hosts(10, Duration.ofMinutes(1));
    int threads = 8;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Policy>> got = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        got.add(pool.submit(() -> {
          start.await();
          return hosts.get(SETTINGS, "a:80");
        }));
      }
      Set<Policy> distinct = ConcurrentHashMap.newKeySet();
      for (Future<Policy> f : got) {
        distinct.add(f.get(10, TimeUnit.SECONDS));
      }
      assertThat(distinct).hasSize(1);
      assertThat(created).hasValue(1);
      assertThat(seen).containsExactly("+a:80");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theLeastRecentlyUsedHostLeavesFirstEvenWhenTheClockStandsStill() {
    HostPolicies hosts = hosts(2, Duration.ofMinutes(1));
    Policy a = hosts.get(SETTINGS, "a:80");
    hosts.get(SETTINGS, "b:80");
    assertThat(hosts.get(SETTINGS, "a:80")).isSameAs(a);
    hosts.get(SETTINGS, "c:80");

    assertThat(hosts.size()).isEqualTo(2);
    assertThat(hosts.peek(SETTINGS, "b:80")).isNull();
    assertThat(hosts.peek(SETTINGS, "a:80")).isSameAs(a);
    // Observers hear of the eviction before the addition that caused it.
    assertThat(seen).containsExactly("+a:80", "+b:80", "-b:80", "+c:80");
  }

  @Test
  void eachRouteSettingsGetItsOwnPolicyForTheSameHost() {
    HostPolicies hosts = hosts(10, Duration.ofMinutes(1));
    HttpPolicy other = HttpPolicy.builder("p").build();
    assertThat(hosts.get(SETTINGS, "a:80")).isNotSameAs(hosts.get(other, "a:80"));
    assertThat(hosts.size()).isEqualTo(2);
  }

  @Test
  void aHostLeavesAtTheFirstRequestAfterItsIdleTimeoutNotBefore() {
    HostPolicies hosts = hosts(10, Duration.ofSeconds(60));
    Policy a = hosts.get(SETTINGS, "a:80");
    fake.advance(Duration.ofSeconds(30));
    hosts.get(SETTINGS, "b:80");
    fake.advance(Duration.ofSeconds(30));
    // a was last used exactly 60 s ago: not idle for longer than its timeout yet.
    hosts.get(SETTINGS, "b:80");
    assertThat(hosts.peek(SETTINGS, "a:80")).isSameAs(a);

    fake.advance(Duration.ofNanos(1));
    hosts.get(SETTINGS, "b:80");
    assertThat(hosts.peek(SETTINGS, "a:80")).isNull();
    assertThat(seen).containsExactly("+a:80", "+b:80", "-a:80");

    // A use keeps a host: b was used just now, and stays until 60 s after its last use.
    fake.advance(Duration.ofSeconds(60));
    assertThat(hosts.get(SETTINGS, "b:80")).isNotNull();
    assertThat(seen).containsExactly("+a:80", "+b:80", "-a:80");
    fake.advance(Duration.ofSeconds(61));
    Policy b = hosts.get(SETTINGS, "b:80");
    assertThat(seen).containsExactly("+a:80", "+b:80", "-a:80", "-b:80", "+b:80");
    assertThat(hosts.peek(SETTINGS, "b:80")).isSameAs(b);
  }
}
