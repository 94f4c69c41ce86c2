package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.PolicyRegistry;
import dev.riprap.annotation.Fallback;
import dev.riprap.annotation.Policy;
import dev.riprap.annotation.Retry;
import dev.riprap.annotation.Timeout;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import dev.riprap.testing.FakeTimeSource;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One retry layer: an {@link HttpApi} method's {@code @Retry} configures the policy its requests
 * run under in the {@link ResilientHttpClient}, so the client's HTTP retry decision does the
 * retrying. Against a JDK {@code HttpServer} on 127.0.0.1, the client on a fake clock, through
 * sync and async methods.
 */
@ExtendWith(LeakCheck.class)
class HttpApiRetryTest {
  private static final HttpClient DELEGATE =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private Upstream upstream;
  private Harness harness;
  /** The Idempotency-Key of each request the upstream received. */
  private final List<String> keys = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    if (harness != null) {
      harness.client.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  interface Inventory {
    @GET("/items")
    @Retry(maxAttempts = 3, delay = "100ms", maxDelay = "1s")
    String items();

    @GET("/items")
    @Retry(maxAttempts = 3, delay = "100ms", maxDelay = "1s")
    CompletableFuture<String> itemsAsync();

    @GET("/items")
    @Retry(maxAttempts = 1)
    String itemsOnce();

    @GET("/items")
    @Retry(maxAttempts = 1)
    CompletableFuture<String> itemsOnceAsync();

    @GET("/items")
    String plain();

    @GET("/items")
    CompletableFuture<String> plainAsync();

    @POST("/orders")
    @Idempotent
    @Retry(maxAttempts = 3)
    String order(@Body String order);

    @POST("/orders")
    @Idempotent
    @Retry(maxAttempts = 3)
    CompletableFuture<String> orderAsync(@Body String order);

    @GET("/items")
    @Retry(maxAttempts = 3)
    @Fallback(method = "none")
    String itemsOrNone();

    @GET("/items")
    @Retry(maxAttempts = 3)
    @Fallback(method = "none")
    CompletableFuture<String> itemsOrNoneAsync();

    @GET("/slow")
    @Retry(maxAttempts = 2)
    @Timeout("200ms")
    String slow() throws IOException;

    @GET("/slow")
    @Retry(maxAttempts = 2)
    @Timeout("200ms")
    CompletableFuture<String> slowAsync();

    default String none() {
      return "none";
    }
  }

  /** An upstream answering every request with {@code status} and {@code headers}. */
  private Inventory api(int status, HttpPolicy policy, String... headers) throws IOException {
    return api(status, policy, null, headers);
  }

  private Inventory api(int status, HttpPolicy policy, PolicyRegistry registry, String... headers)
      throws IOException {
    upstream = new Upstream((n, e) -> {
      keys.add(String.valueOf(e.getRequestHeaders().getFirst("Idempotency-Key")));
      return new Upstream.Answer(status, status == 200 ? "items" : "busy", headers);
    });
    harness = new Harness(DELEGATE, ResilientHttpClient.builder().policy(policy));
    HttpApi.Builder b = HttpApi.builder(harness.client, upstream.uri("/api"))
        .timeSource(harness.fake)
        .asyncExecutor(Runnable::run);
    if (registry != null) {
      b.registry(registry);
    }
    return b.build().create(Inventory.class);
  }

  /** The client's standard retries (3) and backoff, no breaker. */
  private static HttpPolicy.Builder route() {
    return HttpPolicy.builder("route").noCircuitBreaker();
  }

  /** Calls the sync form or the async one (driving the client's fake clock), as {@code mode} says. */
  private <T> T call(Mode mode, Supplier<T> sync, Supplier<CompletableFuture<T>> async)
      throws Throwable {
    if (mode == Mode.SYNC) {
      return sync.get();
    }
    CompletableFuture<T> f = async.get();
    harness.drive(f);
    try {
      return f.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause();
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aMethodRetryOfThreeAttemptsSendsExactlyThreeRequestsThoughTheClientRetriesToo(Mode mode)
      throws Exception {
    // The route retries 3 times by itself; the method's 3 attempts replace that, not multiply it.
    Inventory api = api(503, route().build());

    assertThatThrownBy(() -> call(mode, api::items, api::itemsAsync))
        .isInstanceOfSatisfying(HttpStatusException.class, e -> {
          assertThat(e.statusCode()).isEqualTo(503);
          assertThat(e.bodyAsString()).isEqualTo("busy");
        });
    assertThat(upstream.requests.get()).isEqualTo(3);
    // The client's own retry decision ran, under the policy derived for the method.
    assertThat(harness.events(RetryScheduled.class)).hasSize(2)
        .allSatisfy(e -> assertThat(e.tags()).containsEntry("policy", "route.Inventory." + (
            mode == Mode.SYNC ? "items" : "itemsAsync")));
    assertThat(harness.events(RetryAbandoned.class)).singleElement()
        .satisfies(e -> assertThat(e.reason()).isEqualTo(RetryAbandoned.Reason.MAX_ATTEMPTS));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theBackoffIsTheAnnotationsDoublingFromItsDelayWithinHalfEitherWay(Mode mode)
      throws Exception {
    Inventory api = api(503, route().backoff(Duration.ofSeconds(3), Duration.ofSeconds(3)).build());

    assertThatThrownBy(() -> call(mode, api::items, api::itemsAsync))
        .isInstanceOf(HttpStatusException.class);

    List<Duration> delays = harness.retryDelays();
    assertThat(delays).hasSize(2);
    assertThat(delays.get(0)).isBetween(Duration.ofMillis(50), Duration.ofMillis(150));
    assertThat(delays.get(1)).isBetween(Duration.ofMillis(100), Duration.ofMillis(300));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRetryAfterOfOneSecondIsWaitedInsteadOfTheAnnotationsBackoff(Mode mode) throws Exception {
    Inventory api = api(503, route().build(), "Retry-After", "1");
    long start = harness.fake.nanoTime();

    assertThatThrownBy(() -> call(mode, api::items, api::itemsAsync))
        .isInstanceOf(HttpStatusException.class);

    assertThat(harness.retryDelays()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1));
    assertThat(Duration.ofNanos(harness.fake.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    assertThat(upstream.requests.get()).isEqualTo(3);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theRoutesRetryBudgetBoundsTheMethodsRetries(Mode mode) throws Exception {
    Inventory api = api(503, route().retryBudget(0, 0, Duration.ofSeconds(10)).build());

    assertThatThrownBy(() -> call(mode, api::items, api::itemsAsync))
        .isInstanceOf(HttpStatusException.class);

    assertThat(upstream.requests.get()).isEqualTo(1);
    assertThat(harness.events(RetryAbandoned.class)).singleElement()
        .satisfies(e -> assertThat(e.reason()).isEqualTo(RetryAbandoned.Reason.BUDGET_EXHAUSTED));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anIdempotentPostKeepsOneIdempotencyKeyAcrossTheClientsAttempts(Mode mode) throws Exception {
    Inventory api = api(503, route().build());

    assertThatThrownBy(() -> call(mode, () -> api.order("two apples"),
        () -> api.orderAsync("two apples")))
        .isInstanceOf(HttpStatusException.class);

    assertThat(upstream.methods).containsExactly("POST", "POST", "POST");
    assertThat(keys).hasSize(3);
    assertThat(keys.stream().distinct()).singleElement().asString().hasSize(36);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aMethodWithoutRetryGetsTheClientsRetries(Mode mode) throws Exception {
    Inventory api = api(503, route().maxRetries(2).build());

    assertThatThrownBy(() -> call(mode, api::plain, api::plainAsync))
        .isInstanceOf(HttpStatusException.class);

    assertThat(upstream.requests.get()).isEqualTo(3);
    assertThat(harness.events(RetryScheduled.class))
        .allSatisfy(e -> assertThat(e.tags()).containsEntry("policy", "route"));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRetryOfOneAttemptSendsOneRequestThoughTheClientRetries(Mode mode) throws Exception {
    Inventory api = api(503, route().build());

    assertThatThrownBy(() -> call(mode, api::itemsOnce, api::itemsOnceAsync))
        .isInstanceOf(HttpStatusException.class);

    assertThat(upstream.requests.get()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theMethodsFallbackAnswersOnceTheClientsAttemptsAreSpent(Mode mode) throws Throwable {
    Inventory api = api(503, route().build());

    assertThat(call(mode, api::itemsOrNone, api::itemsOrNoneAsync)).isEqualTo("none");
    assertThat(upstream.requests.get()).isEqualTo(3);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theTimeoutBoundsEachOfTheClientsAttempts(Mode mode) throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Inventory api = api(200, route().build());
    upstream.script((n, e) -> {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      return new Upstream.Answer(200, "late");
    });
    try {
      assertThatThrownBy(() -> call(mode, () -> {
        try {
          return api.slow();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, api::slowAsync))
          .satisfies(t -> {
            Throwable e = t instanceof java.io.UncheckedIOException ? t.getCause() : t;
            assertThat(e).isInstanceOfSatisfying(HttpCallTimeoutException.class, timeout -> {
              assertThat(timeout.timeout()).isEqualTo(HttpCallTimeoutException.Timeout.ATTEMPT);
              assertThat(timeout.configured()).isEqualTo(Duration.ofMillis(200));
            });
          });
      assertThat(upstream.requests.get()).isEqualTo(2);
    } finally {
      release.countDown();
    }
  }

  interface Registered {
    @GET("/items")
    @Policy("inventory")
    String items();
  }

  @Test
  void aRegistryPolicyThatRetriesSendsEachOfItsAttemptsThroughTheClientOnce() throws Exception {
    FakeTimeSource registryTime = new FakeTimeSource();
    PolicyRegistry registry = PolicyRegistry.builder().timeSource(registryTime)
        .policy("inventory", p -> p.retry(2, Duration.ofMillis(10), Duration.ofMillis(10)))
        .build();
    api(503, route().build(), registry);
    Registered api = HttpApi.builder(harness.client, upstream.uri("/api")).registry(registry)
        .build().create(Registered.class);

    assertThatThrownBy(api::items).isInstanceOf(HttpStatusException.class);

    assertThat(upstream.requests.get()).isEqualTo(2);
    assertThat(harness.events(RetryScheduled.class)).isEmpty();
  }

  interface Routed {
    @GET("/special/items")
    @Retry(maxAttempts = 2)
    String special();

    @GET("/items")
    @Retry(maxAttempts = 2)
    String other();
  }

  @Test
  void eachRequestRunsUnderThePolicyDerivedFromItsOwnRoute() throws Exception {
    api(503, route().build());
    harness.client.close();
    harness = new Harness(DELEGATE, ResilientHttpClient.builder()
        .route("GET", "/api/special/**", HttpPolicy.builder("special").noCircuitBreaker().build())
        .policy(route().build()));
    Routed api = HttpApi.builder(harness.client, upstream.uri("/api")).build()
        .create(Routed.class);

    assertThatThrownBy(api::special).isInstanceOf(HttpStatusException.class);
    assertThatThrownBy(api::other).isInstanceOf(HttpStatusException.class);

    assertThat(upstream.requests.get()).isEqualTo(4);
    assertThat(harness.events(RetryScheduled.class))
        .extracting(e -> e.tags().get("policy"))
        .containsExactly("special.Routed.special", "route.Routed.other");
  }
}
