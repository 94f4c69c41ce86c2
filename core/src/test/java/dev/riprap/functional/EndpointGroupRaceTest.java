package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.endpoint.Balancer;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.EndpointStatus;
import dev.riprap.event.EndpointEjected;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Race;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Many threads choosing and finishing at once, started by a barrier: the outstanding counts come
 * back to zero, the ejected share never passes its maximum, and round robin stays exactly fair.
 */
class EndpointGroupRaceTest {
  private static final List<String> SIX = List.of("e0", "e1", "e2", "e3", "e4", "e5");

  @Test
  void concurrentCallsGiveEveryCountBackAndNeverEjectMoreThanTheShare() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    EndpointGroup<String> g = EndpointGroup.builder("replicas", SIX).timeSource(time)
        .consecutiveFailures(2).baseEjectionTime(Duration.ofMillis(50))
        .maxEjectionTime(Duration.ofMillis(200)).build();
    AtomicInteger mostEjected = new AtomicInteger();
    // Listeners run under the group's lock: the status they read is the one just made.
    g.events().subscribe(EndpointEjected.class, e -> mostEjected.accumulateAndGet(
        (int) g.status().stream().filter(EndpointStatus::ejected).count(), Math::max));
    Policy policy = Policy.builder("orders").timeSource(time).asyncExecutor(Runnable::run)
        .retry(3, Duration.ofMillis(1), Duration.ofMillis(1)).build();
    LongAdder calls = new LongAdder();
    Race.Party sync = () -> {
      for (int i = 0; i < 500; i++) {
        try {
          g.call(policy, EndpointGroupRaceTest::work);
        } catch (IOException expected) {
          // every attempt of this call failed
        }
        calls.increment();
      }
    };
    Race.Party async = () -> {
      for (int i = 0; i < 500; i++) {
        CompletableFuture<String> f = g.callAsync(policy, e -> {
          try {
            return CompletableFuture.completedFuture(work(e));
          } catch (IOException x) {
            return CompletableFuture.failedFuture(x);
          }
        });
        while (!f.isDone()) {
          time.advanceToNextTask(); // the async backoff waits on the fake timer
        }
        calls.increment();
      }
    };
    Race.Party clock = () -> {
      for (int i = 0; i < 200; i++) {
        time.advance(Duration.ofMillis(5)); // ejections end while others choose and fail
        Race.jitter();
      }
    };
    try (Race race = new Race(5)) {
      for (int round = 0; round < 4; round++) {
        race.round(sync, sync, async, async, clock);
        assertThat(g.status()).extracting(EndpointStatus::outstanding).containsOnly(0);
      }
    }
    assertThat(calls.sum()).isEqualTo(4 * 4 * 500);
    assertThat(mostEjected.get()).isBetween(1, 3);
  }

  /** Three endpoints always fail, three fail one time in ten. */
  private static String work(String endpoint) throws IOException {
    boolean bad = endpoint.compareTo("e3") < 0 || ThreadLocalRandom.current().nextInt(10) == 0;
    Race.jitter();
    if (bad) {
      throw new IOException(endpoint + " failed");
    }
    return endpoint;
  }

  @Test
  void roundRobinIsExactlyFairUnderConcurrency() {
    EndpointGroup<String> g = EndpointGroup.builder("replicas", List.of("a", "b", "c"))
        .balancer(Balancer.roundRobin()).build();
    Policy policy = Policy.builder("orders").build();
    Map<String, LongAdder> served = new ConcurrentHashMap<>();
    Race.Party party = () -> {
      for (int i = 0; i < 3_000; i++) {
        served.computeIfAbsent(g.call(policy, e -> e), k -> new LongAdder()).increment();
      }
    };
    try (Race race = new Race(4)) {
      race.round(party, party, party, party);
    }
    assertThat(served).hasSize(3);
    assertThat(served.values()).allSatisfy(n -> assertThat(n.sum()).isEqualTo(4_000));
  }

  @Test
  void leastOutstandingSpreadsConcurrentHeldAttemptsEvenly() throws Exception {
    EndpointGroup<String> g = EndpointGroup.builder("replicas", List.of("a", "b")).build();
    Policy policy = Policy.builder("orders").build();
    List<CompletableFuture<String>> held = new java.util.concurrent.CopyOnWriteArrayList<>();
    Race.Party party = () -> {
      for (int i = 0; i < 250; i++) {
        g.callAsync(policy, e -> {
          CompletableFuture<String> f = new CompletableFuture<>();
          held.add(f);
          return f;
        });
      }
    };
    try (Race race = new Race(4)) {
      race.round(party, party, party, party);
    }
    // Two endpoints: every choice compares both, so they drift apart only by choices that raced
    // past each other (one per thread at a time; twice that is a generous bound).
    List<Integer> counts = g.status().stream().map(EndpointStatus::outstanding).toList();
    assertThat(counts.get(0) + counts.get(1)).isEqualTo(1_000);
    assertThat(Math.abs(counts.get(0) - counts.get(1))).isLessThanOrEqualTo(8);
    for (CompletableFuture<String> f : held) {
      f.complete("done");
    }
    assertThat(g.status()).extracting(EndpointStatus::outstanding).containsOnly(0);
  }
}
