package dev.riprap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.riprap.event.CallCompleted;
import dev.riprap.event.CallCompleted.Outcome;
import dev.riprap.event.PolicyEvent;
import dev.riprap.event.RetryScheduled;
import dev.riprap.event.Subscription;
import dev.riprap.testing.FakeTimeSource;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PolicyRegistryTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final ExecutorService pool = Executors.newFixedThreadPool(4);

  @AfterEach
  void stopThreads() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  private static Properties props(String... lines) {
    Properties p = new Properties();
    for (String line : lines) {
      int eq = line.indexOf('=');
      p.setProperty(line.substring(0, eq), line.substring(eq + 1));
    }
    return p;
  }

  private PolicyRegistry inventoryAndPayments() {
    return PolicyRegistry.builder()
        .timeSource(time)
        .policy("payments", p -> p.bulkhead(3))
        .properties(props("riprap.policies.inventory.retry.max-attempts=2"))
        .build();
  }

  @Test
  void aPolicyFromCodeIsBuiltOnTheRegistrysTimeSourceGateAndEvents() {
    PolicyRegistry registry = inventoryAndPayments();

    Policy payments = registry.policy("payments");
    assertThat(payments.name()).isEqualTo("payments");
    assertThat(payments.bulkhead().orElseThrow().getBulkheadConfig().getMaxConcurrentCalls())
        .isEqualTo(3);
    assertThat(payments.timeSource()).isSameAs(time);
    assertThat(payments.shutdownGate()).containsSame(registry.shutdownGate());
    assertThat(registry.policy("inventory").shutdownGate()).containsSame(registry.shutdownGate());
  }

  @Test
  void thePolicyIsTheSameInstanceEveryTime() {
    PolicyRegistry registry = inventoryAndPayments();

    assertThat(registry.policy("inventory")).isSameAs(registry.policy("inventory"));
    assertThat(registry.policy("payments")).isSameAs(registry.policy("payments"));
    assertThat(registry.find("payments")).containsSame(registry.policy("payments"));
  }

  @Test
  void namesListsCodeAndPropertiesPoliciesSorted() {
    assertThat(inventoryAndPayments().names()).containsExactly("inventory", "payments");
  }

  @Test
  void fromPropertiesBuildsTheConfiguredPolicies() {
    PolicyRegistry registry =
        PolicyRegistry.fromProperties(props("riprap.policies.search.attempt-timeout=750ms"));

    assertThat(registry.policy("search").attemptTimeout()).contains(Duration.ofMillis(750));
  }

  @Test
  void anUnknownNameNamesTheClosestAndTheKnownPolicies() {
    PolicyRegistry registry = inventoryAndPayments();

    assertThatThrownBy(() -> registry.policy("inventroy"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Unknown policy 'inventroy': did you mean 'inventory'? Known policies: inventory,"
                + " payments");
    assertThatThrownBy(() -> registry.policy("shipping"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Unknown policy 'shipping'. Known policies: inventory, payments");
    assertThatThrownBy(() -> PolicyRegistry.builder().build().policy("shipping"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Unknown policy 'shipping': this registry has no policies");
    assertThat(registry.find("shipping")).isEmpty();
  }

  @Test
  void aNameAddedTwiceInCodeFailsAtOnce() {
    PolicyRegistry.Builder builder = PolicyRegistry.builder().policy("payments", p -> {});

    assertThatThrownBy(() -> builder.policy("payments", p -> p.bulkhead(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("policy 'payments' was already added");
    assertThatThrownBy(() -> builder.policy(" ", p -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must not be blank, was ' '");
  }

  @Test
  void aCodeConfigurerThatFailsFailsTheBuild() {
    assertThatThrownBy(
            () ->
                PolicyRegistry.builder()
                    .policy(
                        "payments",
                        p -> p.attemptTimeout(Duration.ofSeconds(5)).totalTimeout(Duration.ofSeconds(1)))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Policy 'payments': attempt timeout (5s) must not exceed total timeout (1s)");
  }

  @Test
  void policyOrDefaultBuildsOnceFromTheDefaults() {
    PolicyRegistry registry =
        PolicyRegistry.builder()
            .timeSource(time)
            .properties(props("riprap.defaults.retry.max-attempts=4"))
            .policy("payments", p -> p.bulkhead(3))
            .build();

    Policy adhoc = registry.policyOrDefault("adhoc");
    assertThat(adhoc.name()).isEqualTo("adhoc");
    assertThat(adhoc.retrySettings().orElseThrow().maxAttempts()).isEqualTo(4);
    assertThat(adhoc.shutdownGate()).containsSame(registry.shutdownGate());
    assertThat(registry.policyOrDefault("adhoc")).isSameAs(adhoc);
    assertThat(registry.find("adhoc")).containsSame(adhoc);
    assertThat(registry.policyOrDefault("payments")).isSameAs(registry.policy("payments"));
    assertThat(registry.names()).containsExactly("payments");
    assertThatThrownBy(() -> registry.policy("adhoc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Unknown policy 'adhoc'. Known policies: payments");
    assertThatThrownBy(() -> registry.policyOrDefault(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must not be blank, was ''");
  }

  @Test
  void policyOrDefaultGivesOneInstanceToThreadsRacingForANewName() throws Exception {
    PolicyRegistry registry = PolicyRegistry.builder().timeSource(time).build();
    int threads = 4;
    CyclicBarrier barrier = new CyclicBarrier(threads);
    List<Future<Policy>> results =
        IntStream.range(0, threads)
            .mapToObj(
                i ->
                    pool.submit(
                        () -> {
                          barrier.await(5, TimeUnit.SECONDS);
                          return registry.policyOrDefault("raced");
                        }))
            .collect(Collectors.toList());

    Set<Policy> distinct = new java.util.HashSet<>();
    for (Future<Policy> f : results) {
      distinct.add(f.get(5, TimeUnit.SECONDS));
    }
    assertThat(distinct).hasSize(1);
  }

  @Test
  void theRegistryStreamReceivesTheEventsOfEveryPolicySyncAndAsync() throws Exception {
    PolicyRegistry registry = inventoryAndPayments();
    List<PolicyEvent> seen = new CopyOnWriteArrayList<>();
    Subscription subscription = registry.events().subscribe(seen::add);
    AtomicInteger attempts = new AtomicInteger();

    String sync =
        registry
            .policy("inventory")
            .call(
                () -> {
                  if (attempts.incrementAndGet() == 1) {
                    throw new IOException("first attempt fails");
                  }
                  return "stock";
                });
    String async =
        registry
            .policy("payments")
            .callAsync(() -> CompletableFuture.completedFuture("paid"))
            .get(5, TimeUnit.SECONDS);
    String adhoc = registry.policyOrDefault("adhoc").call(() -> "ok");

    assertThat(List.of(sync, async, adhoc)).containsExactly("stock", "paid", "ok");
    assertThat(seen).filteredOn(RetryScheduled.class::isInstance).hasSize(1);
    assertThat(seen)
        .filteredOn(CallCompleted.class::isInstance)
        .map(e -> (CallCompleted) e)
        .extracting(CallCompleted::policy, CallCompleted::outcome, CallCompleted::attempts)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("inventory", Outcome.SUCCESS, 2),
            org.assertj.core.groups.Tuple.tuple("payments", Outcome.SUCCESS, 1),
            org.assertj.core.groups.Tuple.tuple("adhoc", Outcome.SUCCESS, 1));

    subscription.close();
    registry.policy("payments").call(() -> "unseen");
    assertThat(seen.stream().filter(CallCompleted.class::isInstance)).hasSize(3);
  }

  @Test
  void drainWaitsForASyncCallInFlightAndRejectsNewCallsOfEveryPolicy() throws Exception {
    PolicyRegistry registry =
        PolicyRegistry.builder()
            .policy("inventory", p -> {})
            .properties(props("riprap.policies.payments.bulkhead.max-concurrent-calls=5"))
            .build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> inFlight =
        pool.submit(
            () ->
                registry
                    .policy("inventory")
                    .call(
                        () -> {
                          started.countDown();
                          release.await();
                          return "done";
                        }));
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

    Future<DrainReport> drain = pool.submit(() -> registry.drain(Duration.ofSeconds(30)));
    await().atMost(Duration.ofSeconds(5)).until(registry::isDraining);

    for (String name : List.of("inventory", "payments")) {
      assertThatThrownBy(() -> registry.policy(name).call(() -> "late"))
          .isInstanceOfSatisfying(
              RejectedException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(RejectionReason.SHUTTING_DOWN);
                assertThat(e.policyName()).isEqualTo(name);
              });
    }
    assertThat(drain).isNotDone();

    release.countDown();
    assertThat(inFlight.get(5, TimeUnit.SECONDS)).isEqualTo("done");
    DrainReport report = drain.get(5, TimeUnit.SECONDS);
    assertThat(report.inFlightAtStart()).isEqualTo(1);
    assertThat(report.completed()).isEqualTo(1);
    assertThat(report.stillRunning()).isZero();
    assertThat(report.isClean()).isTrue();
  }

  @Test
  void drainWaitsForAnAsyncCallInFlightAndRejectsNewAsyncCalls() throws Exception {
    PolicyRegistry registry = PolicyRegistry.builder().policy("inventory", p -> {}).build();
    CompletableFuture<String> work = new CompletableFuture<>();
    CompletableFuture<String> inFlight = registry.policy("inventory").callAsync(() -> work);

    Future<DrainReport> drain = pool.submit(() -> registry.drain(Duration.ofSeconds(30)));
    await().atMost(Duration.ofSeconds(5)).until(registry::isDraining);

    CompletableFuture<String> late =
        registry.policy("inventory").callAsync(() -> CompletableFuture.completedFuture("late"));
    assertThat(late).isCompletedExceptionally();
    assertThatThrownBy(late::join)
        .cause()
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.SHUTTING_DOWN));
    assertThat(drain).isNotDone();

    work.complete("done");
    assertThat(inFlight.get(5, TimeUnit.SECONDS)).isEqualTo("done");
    DrainReport report = drain.get(5, TimeUnit.SECONDS);
    assertThat(report.inFlightAtStart()).isEqualTo(1);
    assertThat(report.completed()).isEqualTo(1);
    assertThat(report.stillRunning()).isZero();
  }

  @Test
  void drainReturnsAtOnceWhenIdle() throws InterruptedException {
    PolicyRegistry registry = inventoryAndPayments();
    assertThat(registry.isDraining()).isFalse();

    DrainReport report = registry.drain(Duration.ofHours(1));

    assertThat(report.inFlightAtStart()).isZero();
    assertThat(report.stillRunning()).isZero();
    assertThat(report.took()).isEqualTo(Duration.ZERO);
    assertThat(time.nanoTime()).isZero();
    assertThat(registry.isDraining()).isTrue();
  }

  @Test
  void drainRefusesANegativeTimeout() {
    assertThatThrownBy(() -> inventoryAndPayments().drain(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must not be negative, was -1s");
  }

  @Test
  void aDrainReachesPoliciesMadeFromTheDefaults() throws Exception {
    PolicyRegistry registry = PolicyRegistry.builder().timeSource(time).build();
    Policy adhoc = registry.policyOrDefault("adhoc");

    registry.drain(Duration.ZERO);

    assertThatThrownBy(() -> adhoc.call(() -> "late"))
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.SHUTTING_DOWN));
    assertThatThrownBy(
            () ->
                registry
                    .policyOrDefault("other")
                    .callAsync(() -> CompletableFuture.completedFuture(1))
                    .get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.SHUTTING_DOWN));
  }
}
