package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.RejectionReason;
import dev.riprap.endpoint.Balancer;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.EndpointStatus;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.EndpointEjected;
import dev.riprap.event.PolicyEvent;
import dev.riprap.testing.FakeTimeSource;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Logical services ({@code ResilientHttpClient.Builder.endpoints}) against real JDK HttpServers on
 * 127.0.0.1: a dead replica (its port closed), one answering 503 and a healthy one, through send
 * and sendAsync, on fake time.
 */
@ExtendWith(LeakCheck.class)
class ServiceEndpointsTest {
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final FakeTimeSource fake = new FakeTimeSource();
  private final List<PolicyEvent> events = new CopyOnWriteArrayList<>();
  private final HttpClient delegate = HttpClient.newHttpClient();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  /** Sends through send or sendAsync; async retries wait on the fake clock, moved 1 ms a step. */
  private HttpResponse<String> send(Mode mode, ResilientHttpClient client, HttpRequest request)
      throws Exception {
    if (mode == Mode.SYNC) {
      return client.send(request, BodyHandlers.ofString());
    }
    CompletableFuture<HttpResponse<String>> f = client.sendAsync(request, BodyHandlers.ofString());
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!f.isDone() && System.nanoTime() < end) {
      fake.advance(Duration.ofMillis(1));
      Thread.sleep(1);
    }
    try {
      return f.get(1, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
    }
  }

  private Upstream upstream(int status, String body) throws IOException {
    Upstream u = new Upstream((n, x) -> new Upstream.Answer(status, body));
    closing.add(u);
    return u;
  }

  /** A port on 127.0.0.1 where nothing listens: connections are refused. */
  private static URI dead() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return URI.create("http://127.0.0.1:" + s.getLocalPort());
    }
  }

  private static URI root(Upstream u) {
    return u.uri("");
  }

  /** Fast fake-time retries and no breaker. */
  private static HttpPolicy.Builder policy(int retries) {
    return policy(retries, Duration.ofSeconds(5)).noCircuitBreaker();
  }

  /** Fast fake-time retries; the breaker is the test's. */
  private static HttpPolicy.Builder withBreaker(int retries) {
    return policy(retries, Duration.ofSeconds(5));
  }

  private static HttpPolicy.Builder policy(int retries, Duration attemptTimeout) {
    return HttpPolicy.builder("orders-api")
        .maxRetries(retries)
        .backoff(Duration.ofMillis(1), Duration.ofMillis(2))
        .jitter(0)
        .attemptTimeout(attemptTimeout)
        .totalTimeout(Duration.ofMinutes(10));
  }

  /** Ejections that last longer than any test, so that nothing returns mid-test. */
  private static Consumer<EndpointGroup.Builder<URI>> longEjections(
      Consumer<EndpointGroup.Builder<URI>> more) {
    return g -> {
      g.baseEjectionTime(Duration.ofHours(1)).maxEjectionTime(Duration.ofHours(1));
      more.accept(g);
    };
  }

  private ResilientHttpClient client(ResilientHttpClient.Builder b) {
    ResilientHttpClient c = b.delegate(delegate).timeSource(fake).build();
    c.events().subscribe(events::add);
    closing.add(c);
    return c;
  }

  private static HttpRequest get(String uri) {
    return HttpRequest.newBuilder(URI.create(uri)).GET().build();
  }

  /** The attempts that reached the endpoint's own policy, from its CallCompleted events. */
  private long attemptsOn(URI endpoint) {
    String host = Redact.authority(endpoint);
    return events.stream().filter(e -> e instanceof CallCompleted)
        .filter(e -> host.equals(e.tags().get("host"))).count();
  }

  private static EndpointStatus<URI> status(ResilientHttpClient c, URI endpoint) {
    return c.service("orders").orElseThrow().status().stream()
        .filter(s -> s.endpoint().equals(endpoint)).findFirst().orElseThrow();
  }

  // ---------------------------------------------------------------- behaviour

  @ParameterizedTest
  @EnumSource(Mode.class)
  void callersSucceedWhileTheDeadAndThe503ReplicasAreEjectedAndThenReceiveNothing(Mode mode)
      throws Exception {
    URI dead = dead();
    Upstream failing = upstream(503, "busy");
    Upstream healthy = upstream(200, "ok");
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(policy(2).build())
        .endpoints("orders", List.of(dead, root(failing), root(healthy)), longEjections(g -> g
            // Both failing replicas may be out at once, and the one left takes all the traffic.
            .maxEjectionPercent(100).panicThresholdPercent(0))));

    int calls = 0;
    while (events.stream().filter(e -> e instanceof EndpointEjected).count() < 2) {
      assertThat(calls++).as("calls before both are ejected").isLessThan(100);
      HttpResponse<String> r = send(mode, c, get("http://orders/items?page=2"));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
    }
    assertThat(status(c, dead).ejected()).isTrue();
    assertThat(status(c, root(failing)).ejected()).isTrue();
    assertThat(events.stream().filter(e -> e instanceof EndpointEjected)
        .map(e -> ((EndpointEjected) e).endpoint()))
        .containsExactlyInAnyOrder(dead.toString(), root(failing).toString());
    long deadBefore = attemptsOn(dead);
    int failingBefore = failing.requests.get();
    int healthyBefore = healthy.requests.get();
    assertThat(deadBefore).isEqualTo(5); // the default consecutive failures
    assertThat(failingBefore).isEqualTo(5);

    for (int i = 0; i < 20; i++) {
      assertThat(send(mode, c, get("http://orders/items")).body()).isEqualTo("ok");
    }

    assertThat(attemptsOn(dead)).isEqualTo(deadBefore);
    assertThat(failing.requests.get()).isEqualTo(failingBefore);
    assertThat(healthy.requests.get()).isEqualTo(healthyBefore + 20);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void eachRetryGoesToAnEndpointTheRequestHasNotTriedYet(Mode mode) throws Exception {
    Upstream a = upstream(503, "a");
    Upstream b = upstream(503, "b");
    Upstream d = upstream(503, "d");
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(policy(2).build())
        .endpoints("orders", List.of(root(a), root(b), root(d)),
            longEjections(g -> g.outlierDetection(false))));

    for (int i = 1; i <= 4; i++) {
      assertThat(send(mode, c, get("http://orders/items")).statusCode()).isEqualTo(503);
      // Three attempts of each request: one on each replica.
      assertThat(List.of(a.requests.get(), b.requests.get(), d.requests.get()))
          .containsOnly(i);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRefusedConnectionIsRetriedOnAnotherEndpointEvenForAPost(Mode mode) throws Exception {
    URI dead = dead();
    Upstream healthy = upstream(201, "made");
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(policy(1).build())
        .endpoints("orders", List.of(dead, root(healthy)),
            longEjections(g -> g.balancer(Balancer.roundRobin()))));
    HttpRequest post = HttpRequest.newBuilder(URI.create("http://orders/orders"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build();

    for (int i = 0; i < 4; i++) {
      assertThat(send(mode, c, post).statusCode()).isEqualTo(201);
    }

    assertThat(healthy.methods).containsExactly("POST", "POST", "POST", "POST");
    assertThat(attemptsOn(dead)).isPositive(); // round robin starts on it
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFourHundredAnswerIsNotAFailureOfItsEndpoint(Mode mode) throws Exception {
    Upstream missing = upstream(404, "no such order");
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(policy(2).build())
        .endpoints("orders", List.of(root(missing)), g -> g.consecutiveFailures(1)));

    for (int i = 0; i < 3; i++) {
      assertThat(send(mode, c, get("http://orders/items/9")).statusCode()).isEqualTo(404);
    }

    assertThat(missing.requests.get()).isEqualTo(3); // not retried
    assertThat(status(c, root(missing)).consecutiveFailures()).isZero();
    assertThat(events).noneMatch(e -> e instanceof EndpointEjected);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void pathAndQueryComeFromTheRequestAndSchemeHostAndPortFromTheEndpoint(Mode mode)
      throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    Upstream u = new Upstream((n, x) -> {
      seen.add(x.getRequestURI().toString() + " " + x.getRequestHeaders().getFirst("Host"));
      return new Upstream.Answer(200, "ok");
    });
    closing.add(u);
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(policy(0).build())
        .endpoints("Orders.Internal", List.of(URI.create(root(u) + "/"))));

    send(mode, c, get("http://orders.internal/a%20b/c?x=1&y=%2F"));

    assertThat(seen).containsExactly(
        "/a%20b/c?x=1&y=%2F " + root(u).getAuthority());
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anEndpointsOpenBreakerSendsItsAttemptsElsewhere(Mode mode) throws Exception {
    Upstream failing = upstream(500, "down");
    Upstream healthy = upstream(200, "ok");
    // The breaker opens after 4 calls at 50% failures, before 5 consecutive failures eject.
    HttpPolicy breaking = withBreaker(1)
        .circuitBreaker(50, Duration.ofSeconds(10), 4, Duration.ofHours(1)).noProbeWait().build();
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(breaking)
        .endpoints("orders", List.of(root(failing), root(healthy)),
            g -> g.balancer(Balancer.roundRobin())));

    for (int i = 0; i < 16; i++) {
      assertThat(send(mode, c, get("http://orders/items")).body()).isEqualTo("ok");
    }

    assertThat(failing.requests.get()).isEqualTo(4);
    assertThat(healthy.requests.get()).isEqualTo(16);
    assertThat(status(c, root(failing)).ejected()).isFalse();
    assertThat(c.hostPolicy("GET", root(failing)).orElseThrow().name())
        .isEqualTo("orders-api@" + root(failing).getAuthority());
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRejectionByAnEndpointsBreakerNamesTheServiceAndTheEndpoint(Mode mode) throws Exception {
    Upstream failing = upstream(500, "down");
    HttpPolicy breaking = withBreaker(0)
        .circuitBreaker(50, Duration.ofSeconds(10), 4, Duration.ofHours(1)).noProbeWait().build();
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(breaking)
        .endpoints("orders", List.of(root(failing))));
    for (int i = 0; i < 4; i++) {
      assertThat(send(mode, c, get("http://orders/items?token=secret")).statusCode())
          .isEqualTo(500);
    }

    assertThatThrownBy(() -> send(mode, c, get("http://orders/items?token=secret")))
        .isInstanceOfSatisfying(HttpRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN);
          assertThat(e.host()).isEqualTo(root(failing).getAuthority());
          assertThat(e).hasMessage("GET http://orders/items?token=... rejected for host '"
              + root(failing).getAuthority() + "' by policy 'orders-api': circuit open");
        });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aCallThatFailsOnEveryEndpointNamesTheServiceAndTheLastEndpoint(Mode mode)
      throws Exception {
    URI one = dead();
    URI two = dead();
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(policy(1).build())
        .endpoints("orders", List.of(one, two)));

    assertThatThrownBy(() -> send(mode, c, get("http://orders/items")))
        .isInstanceOf(ConnectException.class)
        .hasMessageStartingWith("GET http://orders/items failed after 2 attempts (service 'orders',"
            + " last endpoint '127.0.0.1:")
        .hasMessageContaining("policy 'orders-api')");
    assertThat(attemptsOn(one)).isEqualTo(1);
    assertThat(attemptsOn(two)).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void updateEndpointsKeepsTheStateOfTheEndpointsThatStay(Mode mode) throws Exception {
    URI dead = dead();
    Upstream first = upstream(200, "first");
    Upstream second = upstream(200, "second");
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(policy(1).build())
        .endpoints("orders", List.of(dead, root(first)),
            longEjections(g -> g.consecutiveFailures(1).balancer(Balancer.roundRobin()))));
    assertThat(send(mode, c, get("http://orders/x")).body()).isEqualTo("first");
    assertThat(status(c, dead).ejected()).isTrue();

    c.updateEndpoints("ORDERS", List.of(dead, root(second)));

    assertThat(c.service("orders").orElseThrow().endpoints()).containsExactly(dead, root(second));
    assertThat(status(c, dead).ejected()).isTrue();
    assertThat(status(c, dead).ejections()).isEqualTo(1);
    long deadBefore = attemptsOn(dead);
    for (int i = 0; i < 4; i++) {
      assertThat(send(mode, c, get("http://orders/x")).body()).isEqualTo("second");
    }
    assertThat(attemptsOn(dead)).isEqualTo(deadBefore);
    assertThat(first.requests.get()).isEqualTo(1);
  }

  @Test
  void cancellingARequestToAServiceGivesItsEndpointBackAndCountsNothingAgainstIt()
      throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Upstream slow = hanging(arrived, release);
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(policy(2).build())
        .endpoints("orders", List.of(root(slow)), g -> g.consecutiveFailures(1)));
    CompletableFuture<HttpResponse<String>> f =
        c.sendAsync(get("http://orders/slow"), BodyHandlers.ofString());
    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(status(c, root(slow)).outstanding()).isEqualTo(1);

    f.cancel(true);

    Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(2))
        .until(() -> status(c, root(slow)).outstanding() == 0);
    release.countDown();
    assertThat(status(c, root(slow)).consecutiveFailures()).isZero();
    assertThat(status(c, root(slow)).ejected()).isFalse();
    assertThat(slow.requests.get()).isEqualTo(1);
  }

  /** A server that holds each request until released (10 s at most), and says when one came. */
  private Upstream hanging(CountDownLatch arrived, CountDownLatch release) throws IOException {
    Upstream u = new Upstream((n, x) -> {
      arrived.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new Upstream.Answer(200, "late");
    });
    closing.add(u);
    return u;
  }

  @Test
  void anInterruptedSendToAServiceThrowsAndCountsNothingAgainstTheEndpoint() throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Upstream slow = hanging(arrived, release);
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(policy(2).build())
        .endpoints("orders", List.of(root(slow)), g -> g.consecutiveFailures(1)));
    CompletableFuture<Throwable> thrown = new CompletableFuture<>();
    CompletableFuture<Boolean> flagKept = new CompletableFuture<>();
    Thread caller = new Thread(() -> {
      try {
        c.send(get("http://orders/slow"), BodyHandlers.ofString());
        thrown.complete(null);
      } catch (Throwable t) {
        thrown.complete(t);
      }
      flagKept.complete(Thread.currentThread().isInterrupted());
    });
    caller.start();
    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();

    caller.interrupt();

    assertThat(thrown.get(10, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
    assertThat(flagKept.get(10, TimeUnit.SECONDS)).isTrue();
    release.countDown();
    caller.join(10_000);
    assertThat(status(c, root(slow)).outstanding()).isZero();
    assertThat(status(c, root(slow)).consecutiveFailures()).isZero();
    assertThat(slow.requests.get()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anAttemptThatTimesOutOnAnEndpointIsRetriedOnAnotherAndCountsAgainstIt(Mode mode)
      throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Upstream slow = hanging(new CountDownLatch(1), release);
    Upstream healthy = upstream(200, "ok");
    // A real timer: 1 s leaves the healthy endpoint's answer room on a loaded machine (at 200 ms
    // the second attempt itself timed out under load); only the hanging endpoint must run out.
    ResilientHttpClient c = client(ResilientHttpClient.builder()
        .policy(policy(1, Duration.ofSeconds(1)).noCircuitBreaker().build())
        .endpoints("orders", List.of(root(slow), root(healthy)),
            longEjections(g -> g.consecutiveFailures(1).balancer(Balancer.roundRobin()))));

    assertThat(send(mode, c, get("http://orders/x")).body()).isEqualTo("ok");

    release.countDown();
    assertThat(slow.requests.get()).isEqualTo(1); // round robin starts on it
    assertThat(status(c, root(slow)).ejected()).isTrue();
    assertThat(events).filteredOn(e -> e instanceof EndpointEjected)
        .singleElement().satisfies(e -> assertThat(((EndpointEjected) e).cause())
            .isInstanceOf(java.net.http.HttpTimeoutException.class));
  }

  interface Orders {
    @GET("/orders/{id}")
    String order(@Path("id") String id);

    @GET("/orders/{id}")
    CompletableFuture<String> orderAsync(@Path("id") String id);
  }

  @Test
  void anHttpApiTakesAServiceAsItsBaseUri() throws Exception {
    URI dead = dead();
    List<String> seen = new CopyOnWriteArrayList<>();
    Upstream healthy = new Upstream((n, x) -> {
      seen.add(x.getRequestURI().getPath());
      return new Upstream.Answer(200, "order");
    });
    closing.add(healthy);
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(policy(1).build())
        .endpoints("orders", List.of(dead, root(healthy)),
            longEjections(g -> g.balancer(Balancer.roundRobin()))));
    Orders orders = HttpApi.create(Orders.class, c, URI.create("http://orders"));

    assertThat(orders.order("1")).isEqualTo("order");
    assertThat(orders.orderAsync("2").get(10, TimeUnit.SECONDS)).isEqualTo("order");

    assertThat(seen).containsExactly("/orders/1", "/orders/2");
    assertThat(attemptsOn(dead)).isPositive(); // round robin starts on it
  }

  interface RetryingOrders {
    @GET("/orders/{id}")
    @dev.riprap.annotation.Retry(maxAttempts = 3, delay = "1ms", maxDelay = "2ms")
    String order(@Path("id") String id);
  }

  @Test
  void anHttpApiMethodsRetryOnAServiceSendsItsAttemptsToDifferentEndpoints() throws Exception {
    List<java.util.concurrent.atomic.AtomicInteger> received = new ArrayList<>();
    List<URI> endpoints = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
      received.add(n);
      Upstream u = new Upstream((k, x) -> {
        n.incrementAndGet();
        return new Upstream.Answer(503, "busy");
      });
      closing.add(u);
      endpoints.add(root(u));
    }
    // Real time here: the method's derived policy waits 1 to 2 ms between attempts.
    ResilientHttpClient c = ResilientHttpClient.builder()
        .delegate(delegate)
        .policy(policy(5).build())
        .endpoints("orders", endpoints, g -> g.balancer(Balancer.roundRobin()))
        .build();
    closing.add(c);
    RetryingOrders orders = HttpApi.create(RetryingOrders.class, c, URI.create("http://orders"));

    assertThatThrownBy(() -> orders.order("7")).isInstanceOf(HttpStatusException.class);

    // The method's @Retry(maxAttempts = 3) is the one retry layer (not the route's 6 attempts),
    // and each attempt went to an endpoint the call had not tried.
    assertThat(received).extracting(java.util.concurrent.atomic.AtomicInteger::get)
        .containsExactly(1, 1, 1);
  }

  @Test
  void servicesAndPlainHostsShareOneClient() throws Exception {
    Upstream a = upstream(200, "a");
    Upstream b = upstream(200, "b");
    ResilientHttpClient c = client(ResilientHttpClient.builder().policy(policy(0).build())
        .endpoints("alpha", List.of(root(a)))
        .endpoints("beta", List.of(root(b))));

    assertThat(c.send(get("http://alpha/"), BodyHandlers.ofString()).body()).isEqualTo("a");
    assertThat(c.send(get("http://beta/"), BodyHandlers.ofString()).body()).isEqualTo("b");
    assertThat(c.send(get(root(a) + "/direct"), BodyHandlers.ofString()).body()).isEqualTo("a");
  }

  // ---------------------------------------------------------------- validation

  private static ResilientHttpClient.Builder endpoints(String service, URI... endpoints) {
    return ResilientHttpClient.builder().endpoints(service, List.of(endpoints));
  }

  private static final URI A = URI.create("http://10.0.0.1:8080");

  @Test
  void aServiceNameMustBeAHostName() {
    assertThatThrownBy(() -> endpoints("orders_db", A))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("service must be a host name (letters, digits, hyphens and dots), was "
            + "'orders_db'");
    assertThatThrownBy(() -> endpoints("10.0.0.9", A))
        .hasMessageContaining("was '10.0.0.9'");
    assertThatThrownBy(() -> endpoints("-orders", A)).hasMessageContaining("was '-orders'");
    assertThatThrownBy(() -> endpoints("", A)).hasMessageContaining("was ''");
  }

  @Test
  void eachEndpointMustBeAnAbsoluteHttpUriWithAHostAndNothingAfterThePort() {
    String expected = "service 'orders': endpoints must be absolute http or https URIs with a "
        + "host and no userinfo, path, query or fragment, was ";
    assertThatThrownBy(() -> endpoints("orders", A, URI.create("http://10.0.0.2:8080/api")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(expected + "http://10.0.0.2:8080/api at index 1");
    assertThatThrownBy(() -> endpoints("orders", URI.create("http://10.0.0.2/?a=b")))
        .hasMessage(expected + "http://10.0.0.2/?a=... at index 0");
    assertThatThrownBy(() -> endpoints("orders", URI.create("http://u:secret@10.0.0.2")))
        .hasMessage(expected + "http://10.0.0.2 at index 0");
    assertThatThrownBy(() -> endpoints("orders", URI.create("ftp://10.0.0.2")))
        .hasMessage(expected + "ftp://10.0.0.2 at index 0");
    assertThatThrownBy(() -> endpoints("orders", URI.create("/relative")))
        .hasMessage(expected + "/relative at index 0");
  }

  @Test
  void theSetMustHoldEndpointsAllDifferent() {
    assertThatThrownBy(() -> ResilientHttpClient.builder().endpoints("orders", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("service 'orders': endpoints must be at least one endpoint, was []");
    assertThatThrownBy(() -> endpoints("orders", A, URI.create("http://10.0.0.1:8080/")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("EndpointGroup 'orders': endpoints must be distinct, was the same endpoint "
            + "at index 0 and 1");
  }

  @Test
  void aServiceNameCannotAlsoBeAnEndpointsHost() {
    assertThatThrownBy(() -> endpoints("orders", URI.create("http://orders:8080")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("service 'orders': endpoints must be endpoints whose host is not the "
            + "service's own name, was http://orders:8080 at index 0");
    assertThatThrownBy(() -> endpoints("orders", URI.create("http://db:1"))
        .endpoints("db", List.of(A)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("service must be a name that is no endpoint's host, was 'db', the host of "
            + "http://db:1 of the service 'orders'");
    assertThatThrownBy(() -> endpoints("db", A)
        .endpoints("orders", List.of(URI.create("http://db:1"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("service 'orders': endpoints must be hosts that are no service's name, was "
            + "http://db:1, whose host is the service 'db'");
    assertThatThrownBy(() -> endpoints("orders", A).endpoints("Orders", List.of(A)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("service 'orders' was given already, with [http://10.0.0.1:8080]");
  }

  @Test
  void updateEndpointsChecksLikeTheBuilderAndLeavesTheSetAsItWasOnAFailure() {
    ResilientHttpClient c = client(endpoints("orders", A));

    assertThatThrownBy(() -> c.updateEndpoints("payments", List.of(A)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("service must be one of [orders], was 'payments'");
    assertThatThrownBy(() -> c.updateEndpoints("orders", List.of()))
        .hasMessage("service 'orders': endpoints must be at least one endpoint, was []");
    assertThatThrownBy(() -> c.updateEndpoints("orders", List.of(URI.create("http://x/y"))))
        .hasMessageContaining("was http://x/y at index 0");
    assertThat(c.service("orders").orElseThrow().endpoints()).containsExactly(A);
  }

  @Test
  void aRequestNamingAServiceWithAPortIsRefused() {
    ResilientHttpClient c = client(endpoints("orders", A));

    assertThatThrownBy(() -> c.send(get("http://orders:8080/x"), BodyHandlers.ofString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("request URI http://orders:8080/x names the service 'orders' with a port; "
            + "a service's endpoints have the ports");
  }
}
