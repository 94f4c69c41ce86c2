package dev.riprap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.endpoint.Balancer;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.Hedging;
import dev.riprap.event.EndpointEjected;
import dev.riprap.event.EndpointEvent;
import dev.riprap.event.EndpointPanicChanged;
import dev.riprap.event.EndpointRestored;
import dev.riprap.testing.FakeTimeSource;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The code shown in docs/endpoints.md and the EndpointGroup class Javadoc, compiled and run here
 * so the docs cannot rot. Keep the two in step when either changes.
 */
class EndpointsDocSnippetsTest {
  /** A stand-in for a JDBC DataSource: one database replica. */
  record Replica(String host) {}

  record Order(String id, String servedBy) {}

  /** A stand-in for the repository that reads from one replica. */
  static final class Orders {
    Order load(Replica replica, String id) throws IOException {
      if (replica.host().equals("db-2")) {
        throw new IOException("connection refused: " + replica.host());
      }
      return new Order(id, replica.host());
    }

    CompletableFuture<Order> loadAsync(Replica replica, String id) {
      try {
        return CompletableFuture.completedFuture(load(replica, id));
      } catch (IOException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
  }

  private final FakeTimeSource time = new FakeTimeSource();
  private final Orders orders = new Orders();
  private final Replica a = new Replica("db-1");
  private final Replica b = new Replica("db-2");
  private final Replica c = new Replica("db-3");

  /** docs/endpoints.md, Use. */
  @Test
  void syncAndAsyncCallsThroughAGroup() throws Exception {
    String id = "o-42";
    EndpointGroup<Replica> replicas = EndpointGroup.builder("orders-db", List.of(a, b, c))
        .name(Replica::host)             // names in events and metrics; default toString()
        .timeSource(time)                // tests only
        .build();
    Policy policy = Policy.builder("orders")
        .retry(3, Duration.ofMillis(50), Duration.ofSeconds(1))
        .attemptTimeout(Duration.ofSeconds(2))
        .timeSource(time)                // tests only
        .build();

    // Sync: each attempt gets a replica; a retry goes to one this call has not tried yet.
    Order order = replicas.call(policy, replica -> orders.load(replica, id));
    // Async, the same way.
    CompletableFuture<Order> later = replicas.callAsync(policy, replica -> orders.loadAsync(replica, id));
    // With the attempt's context, to hand the time left down to the driver.
    Order bounded = replicas.execute(policy, (replica, attempt) -> {
      long millis = TimeUnit.NANOSECONDS.toMillis(attempt.remainingNanos());
      return orders.load(replica, id + "?timeout=" + millis);
    });

    while (!later.isDone()) {
      time.advanceToNextTask(); // a retry's backoff waits on the fake clock
    }
    assertThat(order.servedBy()).isNotEqualTo("db-2");
    assertThat(later.get(0, TimeUnit.SECONDS).servedBy()).isNotEqualTo("db-2");
    assertThat(bounded.id()).isEqualTo("o-42?timeout=2000");
  }

  /** docs/endpoints.md, Settings. */
  @Test
  void everySettingAtItsDefault() {
    EndpointGroup<URI> group = EndpointGroup.builder("inventory",
            List.of(URI.create("http://10.0.0.1:8080"), URI.create("http://10.0.0.2:8080")))
        .balancer(Balancer.leastOutstanding())   // or peakEwma(), roundRobin()
        .consecutiveFailures(5)
        .baseEjectionTime(Duration.ofSeconds(30))
        .maxEjectionTime(Duration.ofSeconds(300))
        .maxEjectionPercent(50)
        .panicThresholdPercent(50)
        .failureOn(e -> e instanceof Exception)  // which exceptions count against the endpoint
        .failureOnResult(r -> false)             // which results do
        .build();
    assertThat(group).hasToString(
        "EndpointGroup{inventory, 2 endpoints, leastOutstanding, outlier detection on}");
  }

  /** docs/endpoints.md, Events and the set. */
  @Test
  void eventsAndANewSet() throws Exception {
    EndpointGroup<Replica> replicas = EndpointGroup.builder("orders-db", List.of(a, b, c))
        .name(Replica::host).timeSource(time).build();
    List<String> log = new ArrayList<>();
    replicas.events().subscribe(EndpointEvent.class, e -> {
      if (e instanceof EndpointEjected ejected) {
        log.add(ejected.endpoint() + " out for " + ejected.duration().toSeconds() + " s");
      } else if (e instanceof EndpointRestored restored) {
        log.add(restored.endpoint() + " back on probation");
      } else if (e instanceof EndpointPanicChanged panic) {
        log.add((panic.panic() ? "panic: " : "calm: ") + panic.inRotation() + "/" + panic.total());
      }
    });
    Policy policy = Policy.builder("orders").retry(2, Duration.ofMillis(50), Duration.ofSeconds(1))
        .timeSource(time).build();
    for (int i = 0; i < 100; i++) {   // db-2 fails 5 times in a row within the first few dozen
      replicas.call(policy, replica -> orders.load(replica, "o-1"));
    }
    time.advance(Duration.ofSeconds(30));

    // Service discovery found a new replica and lost one: db-2 keeps its state, db-4 starts fresh.
    replicas.update(List.of(b, c, new Replica("db-4")));

    assertThat(log).containsExactly("db-2 out for 30 s", "db-2 back on probation");
    assertThat(replicas.endpoints()).extracting(Replica::host)
        .containsExactly("db-2", "db-3", "db-4");
  }

  /** docs/endpoints.md, Hedging. */
  @Test
  void aHedgedGroup() throws Exception {
    String id = "o-7";
    Policy policy = Policy.builder("orders")
        .retry(3, Duration.ofMillis(50), Duration.ofSeconds(1))
        .timeSource(time)                // tests only
        .build();
    ExecutorService blockingPool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "blocking");
      t.setDaemon(true);
      return t;
    });
    try {
      EndpointGroup<Replica> replicas = EndpointGroup.builder("orders-db", List.of(a, b, c))
          .name(Replica::host)
          .hedging(Hedging.percentile(95, Duration.ofMillis(5), Duration.ofSeconds(1))
              .executor(blockingPool))       // sync work that blocks: threads of its own
          .timeSource(time)                // tests only
          .build();
      // One attempt of the policy: db-1 first; if it has not answered after the group's recent
      // p95, the same work on db-2 or db-3 too; the first acceptable answer is the call's.
      Order order = replicas.call(policy, replica -> orders.load(replica, id));

      assertThat(order.servedBy()).isIn("db-1", "db-3");
      assertThat(replicas.toString()).endsWith("Hedging{after p95 in [5ms, 1s], maxHedges=1}}");
    } finally {
      blockingPool.shutdownNow();
    }
  }
}
