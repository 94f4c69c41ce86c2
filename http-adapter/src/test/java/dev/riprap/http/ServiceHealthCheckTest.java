package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.PolicyObserver;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.EndpointStatus;
import dev.riprap.endpoint.HealthCheckSettings;
import dev.riprap.event.EndpointHealthChanged;
import dev.riprap.event.PolicyEvent;
import dev.riprap.testing.FakeTimeSource;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The HTTP health check of a service ({@code Builder.healthCheck(service, path, settings)})
 * against real JDK HttpServers on 127.0.0.1, its checks driven by fake time: a replica whose
 * health path answers 503 leaves rotation and comes back when it answers 200 again; the checks go
 * around the service's policy; the client's close and shutdownNow stop them.
 */
@ExtendWith(LeakCheck.class)
class ServiceHealthCheckTest {
  private static final HealthCheckSettings EXACT = HealthCheckSettings.defaults()
      .jitter(Duration.ZERO).unhealthyThreshold(2).healthyThreshold(2);

  private final List<AutoCloseable> closing = new ArrayList<>();
  private final FakeTimeSource fake = new FakeTimeSource();
  private final HttpClient delegate = HttpClient.newHttpClient();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  /** A replica: its health path answers {@code health[0]}, every other path 200 "served". */
  private static final class Replica {
    final AtomicInteger checks = new AtomicInteger();
    final AtomicInteger served = new AtomicInteger();
    volatile int health = 200;
    final Upstream upstream;

    Replica(List<AutoCloseable> closing) throws IOException {
      upstream = new Upstream((n, x) -> {
        if (x.getRequestURI().getPath().equals("/health")) {
          checks.incrementAndGet();
          return new Upstream.Answer(health, health == 200 ? "ok" : "x".repeat(100_000));
        }
        served.incrementAndGet();
        return new Upstream.Answer(200, "served");
      });
      closing.add(upstream);
    }

    URI uri() {
      return upstream.uri("");
    }
  }

  private ResilientHttpClient client(Replica a, Replica b, PolicyObserver... observers) {
    ResilientHttpClient.Builder builder = ResilientHttpClient.builder().delegate(delegate)
        .timeSource(fake)
        .policy(HttpPolicy.builder("orders").maxRetries(0).build())
        .endpoints("orders", List.of(a.uri(), b.uri()), g -> g.panicThresholdPercent(0))
        .healthCheck("orders", "/health", EXACT);
    for (PolicyObserver o : observers) {
      builder.observer(o);
    }
    ResilientHttpClient client = builder.build();
    closing.add(0, client);
    return client;
  }

  private static EndpointStatus<URI> status(ResilientHttpClient client, Replica r) {
    return client.service("orders").orElseThrow().status().stream()
        .filter(s -> s.endpoint().equals(r.uri())).findFirst().orElseThrow();
  }

  /** Runs the checks due now and waits (in real time, bounded) until the group has the answers. */
  private void checkRound(ResilientHttpClient client, Replica a, Replica b, int round) {
    fake.advance(Duration.ZERO);
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() ->
        a.checks.get() == round && b.checks.get() == round
            && checks(status(client, a)) == round && checks(status(client, b)) == round);
  }

  private static long checks(EndpointStatus<URI> s) {
    return s.passedChecks() + s.failedChecks();
  }

  /**
   * An hour of fake time (every check it would start runs within it), then a plain request to each
   * replica, which comes back after any check sent before it.
   */
  private void anHourLater(Replica... replicas) throws Exception {
    fake.advance(Duration.ofHours(1));
    for (Replica r : replicas) {
      delegate.send(HttpRequest.newBuilder(r.upstream.uri("/ping")).build(),
          BodyHandlers.discarding());
    }
  }

  private void sendSome(ResilientHttpClient client, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      HttpRequest r = HttpRequest.newBuilder(URI.create("http://orders/items/" + i)).build();
      HttpResponse<String> response = i % 2 == 0
          ? client.send(r, BodyHandlers.ofString())
          : client.sendAsync(r, BodyHandlers.ofString()).get(10, TimeUnit.SECONDS);
      assertThat(response.body()).isEqualTo("served");
    }
  }

  @Test
  void aReplicaWhoseHealthPathFailsLeavesRotationAndComesBackWhenItAnswers2xxAgain()
      throws Exception {
    Replica a = new Replica(closing);
    Replica b = new Replica(closing);
    List<PolicyEvent> events = new CopyOnWriteArrayList<>();
    ResilientHttpClient client = client(a, b);
    client.events().subscribe(events::add);

    checkRound(client, a, b, 1);
    assertThat(status(client, b).healthy()).isTrue();

    b.health = 503;
    fake.advance(Duration.ofSeconds(10));
    checkRound(client, a, b, 2);
    assertThat(status(client, b).healthy()).as("one failed check of two").isTrue();
    fake.advance(Duration.ofSeconds(10));
    checkRound(client, a, b, 3);
    assertThat(status(client, b).healthy()).isFalse();
    assertThat(status(client, b).failedChecks()).isEqualTo(2);

    int servedBefore = b.served.get();
    sendSome(client, 20);
    assertThat(b.served.get()).as("no traffic to the unhealthy replica").isEqualTo(servedBefore);
    assertThat(a.served.get()).isEqualTo(20);

    b.health = 200;
    fake.advance(Duration.ofSeconds(10));
    checkRound(client, a, b, 4);
    assertThat(status(client, b).healthy()).as("one passed check of two").isFalse();
    fake.advance(Duration.ofSeconds(10));
    checkRound(client, a, b, 5);
    assertThat(status(client, b).healthy()).isTrue();
    sendSome(client, 40);
    assertThat(b.served.get()).as("traffic is back").isGreaterThan(servedBefore);

    // The checks went around the service's policy: no call of it completed for them.
    assertThat(events).filteredOn(e -> e instanceof EndpointHealthChanged)
        .extracting(e -> ((EndpointHealthChanged) e).healthy()).containsExactly(false, true);
    assertThat(events).filteredOn(e -> e instanceof dev.riprap.event.CallCompleted)
        .hasSize(60 * 2); // each request: the service's call and its one endpoint attempt
  }

  @Test
  void closeStopsTheChecksAndTellsTheObserversOfTheService() throws Exception {
    Replica a = new Replica(closing);
    Replica b = new Replica(closing);
    List<String> told = new CopyOnWriteArrayList<>();
    PolicyObserver observer = new PolicyObserver() {
      @Override
      public void onAdded(Policy policy) {}

      @Override
      public void onRemoved(Policy policy) {}

      @Override
      public void onGroupAdded(EndpointGroup<?> group) {
        told.add("added " + group.name());
      }

      @Override
      public void onGroupRemoved(EndpointGroup<?> group) {
        told.add("removed " + group.name());
      }
    };
    ResilientHttpClient client = client(a, b, observer);
    assertThat(told).containsExactly("added orders");
    checkRound(client, a, b, 1);
    EndpointGroup<URI> group = client.service("orders").orElseThrow();
    assertThat(group.healthChecking()).isTrue();

    client.close();
    assertThat(group.healthChecking()).isFalse();
    assertThat(told).containsExactly("added orders", "removed orders");
    anHourLater(a, b);
    assertThat(a.checks.get()).isEqualTo(1);
    assertThat(b.checks.get()).isEqualTo(1);
  }

  @Test
  void shutdownNowStopsTheChecks() throws Exception {
    Replica a = new Replica(closing);
    Replica b = new Replica(closing);
    ResilientHttpClient client = client(a, b);
    checkRound(client, a, b, 1);
    client.shutdownNow();
    assertThat(client.service("orders").orElseThrow().healthChecking()).isFalse();
    anHourLater(a, b);
    assertThat(a.checks.get() + b.checks.get()).isEqualTo(2);
  }

  @Test
  void aHealthPathAnsweringLateTimesOutAndCountsAsFailed() throws Exception {
    CompletableFuture<Void> never = new CompletableFuture<>();
    closing.add(() -> never.complete(null));
    Upstream slow = new Upstream((n, x) -> {
      never.join(); // holds the check until the test ends
      return new Upstream.Answer(200, "late");
    });
    closing.add(slow);
    Replica a = new Replica(closing);
    ResilientHttpClient client = ResilientHttpClient.builder().delegate(delegate).timeSource(fake)
        .endpoints("orders", List.of(a.uri(), slow.uri("")))
        .healthCheck("orders", "/health", EXACT.unhealthyThreshold(1))
        .build();
    closing.add(0, client);
    fake.advance(Duration.ZERO);
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> slow.requests.get() == 1);
    fake.advance(Duration.ofSeconds(2)); // the check's timeout
    EndpointStatus<URI> s = client.service("orders").orElseThrow().status().get(1);
    assertThat(s.healthy()).isFalse();
    assertThat(s.failedChecks()).isEqualTo(1);
  }

  @Test
  void theHealthPathAndItsServiceAreChecked() {
    URI a = URI.create("http://127.0.0.1:1");
    assertThatThrownBy(() -> ResilientHttpClient.builder().healthCheck("orders", "health"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("service 'orders': health path must be an absolute path with an optional"
            + " query, such as /health, was 'health'");
    assertThatThrownBy(() -> ResilientHttpClient.builder()
        .healthCheck("orders", "http://x/health"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'http://x/health'");
    assertThatThrownBy(() -> ResilientHttpClient.builder().healthCheck("orders", "/h#frag"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ResilientHttpClient.builder().healthCheck("orders", "/h")
        .healthCheck("ORDERS", "/h"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("'orders'");
    assertThatThrownBy(() -> ResilientHttpClient.builder().endpoints("orders", List.of(a))
        .healthCheck("inventory", "/health").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'inventory'").hasMessageContaining("[orders]");
    ResilientHttpClient ok = ResilientHttpClient.builder().delegate(delegate).timeSource(fake)
        .healthCheck("Orders", "/health?ready=1")
        .endpoints("orders", List.of(a)).build();
    closing.add(ok);
    assertThat(ok.service("orders").orElseThrow().healthChecking()).isTrue();
  }
}
