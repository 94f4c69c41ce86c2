package dev.riprap.annotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.PolicyRegistry;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.event.CallCompleted;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@org.junit.jupiter.api.Timeout(10)
class ResilientBehaviourTest extends FakeClockFixture {
  /** Fails its first {@code failures} calls with an IOException, then answers "ok-N". */
  static final class Flaky {
    final AtomicInteger calls = new AtomicInteger();
    final int failures;

    Flaky(int failures) {
      this.failures = failures;
    }

    String next() throws IOException {
      int n = calls.incrementAndGet();
      if (n <= failures) {
        throw new IOException("failure " + n);
      }
      return "ok-" + n;
    }

    CompletableFuture<String> nextAsync() {
      try {
        return CompletableFuture.completedFuture(next());
      } catch (IOException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
  }

  private static <T> T await(CompletionStage<T> stage) throws Throwable {
    try {
      return stage.toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw e.getCause();
    }
  }

  // ---------------------------------------------------------------- retry

  interface Retried {
    @Retry(maxAttempts = 3, delay = "100ms", maxDelay = "1s")
    String get() throws IOException;

    @Retry(maxAttempts = 3, delay = "100ms", maxDelay = "1s")
    CompletableFuture<String> getAsync();
  }

  static final class FlakyRetried implements Retried {
    final Flaky flaky;

    FlakyRetried(int failures) {
      flaky = new Flaky(failures);
    }

    @Override
    public String get() throws IOException {
      return flaky.next();
    }

    @Override
    public CompletableFuture<String> getAsync() {
      return flaky.nextAsync();
    }
  }

  @Test
  void retryRepeatsAFailedSyncCallWithBackoff() throws IOException {
    FlakyRetried target = new FlakyRetried(2);
    Retried api = resilient.wrap(Retried.class, target);

    assertThat(api.get()).isEqualTo("ok-3");
    assertThat(time.waits()).hasSize(2);
    // ±50% jitter around 100ms then 200ms.
    assertThat(time.waits().get(0)).isBetween(Duration.ofMillis(50), Duration.ofMillis(150));
    assertThat(time.waits().get(1)).isBetween(Duration.ofMillis(100), Duration.ofMillis(300));
  }

  @Test
  void retryRepeatsAFailedAsyncCallWithBackoff() throws Throwable {
    FlakyRetried target = new FlakyRetried(2);
    Retried api = resilient.wrap(Retried.class, target);

    CompletableFuture<String> result = api.getAsync();
    assertThat(result).isNotDone();
    time.advance(Duration.ofSeconds(1));

    assertThat(await(result)).isEqualTo("ok-3");
    assertThat(target.flaky.calls).hasValue(3);
  }

  @Test
  void theLastCheckedExceptionComesBackAsItselfSync() {
    FlakyRetried target = new FlakyRetried(5);
    Retried api = resilient.wrap(Retried.class, target);

    assertThatThrownBy(api::get).isExactlyInstanceOf(IOException.class).hasMessage("failure 3");
  }

  @Test
  void theLastCheckedExceptionComesBackAsItselfAsync() {
    FlakyRetried target = new FlakyRetried(5);
    Retried api = resilient.wrap(Retried.class, target);

    CompletableFuture<String> result = api.getAsync();
    time.advance(Duration.ofSeconds(2));

    assertThatThrownBy(() -> await(result))
        .isExactlyInstanceOf(IOException.class)
        .hasMessage("failure 3");
  }

  @Test
  void cancellingTheFutureOfAnAsyncCallStopsItsRetries() {
    FlakyRetried target = new FlakyRetried(5);
    Retried api = resilient.wrap(Retried.class, target);

    CompletableFuture<String> result = api.getAsync();
    assertThat(target.flaky.calls).hasValue(1);
    result.cancel(true);
    time.advance(Duration.ofSeconds(10));

    assertThat(result).isCancelled();
    assertThat(target.flaky.calls).hasValue(1);
  }

  interface Selective {
    @Retry(maxAttempts = 3, retryOn = IOException.class, abortOn = java.io.FileNotFoundException.class)
    String get() throws IOException;
  }

  @Test
  void retryOnAndAbortOnChooseTheRetriedFailures() {
    AtomicInteger calls = new AtomicInteger();
    Selective notFound =
        resilient.wrap(
            Selective.class,
            () -> {
              calls.incrementAndGet();
              throw new java.io.FileNotFoundException("gone");
            });
    assertThatThrownBy(notFound::get).hasMessage("gone");
    assertThat(calls).hasValue(1);

    calls.set(0);
    Selective illegal =
        resilient.wrap(
            Selective.class,
            () -> {
              calls.incrementAndGet();
              throw new IllegalStateException("bug");
            });
    assertThatThrownBy(illegal::get).hasMessage("bug");
    assertThat(calls).hasValue(1);
  }

  @Retry(maxAttempts = 2)
  interface Inherits {
    String inherited() throws IOException;

    @Retry(maxAttempts = 4)
    String own() throws IOException;

    String plain() throws IOException;
  }

  @Test
  void anInterfaceAnnotationAppliesToEveryMethodAndAMethodsOwnOverridesIt() {
    AtomicInteger calls = new AtomicInteger();
    Inherits api =
        resilient.wrap(
            Inherits.class,
            new Inherits() {
              @Override
              public String inherited() throws IOException {
                calls.incrementAndGet();
                throw new IOException("inherited");
              }

              @Override
              public String own() throws IOException {
                calls.incrementAndGet();
                throw new IOException("own");
              }

              @Override
              public String plain() throws IOException {
                calls.incrementAndGet();
                throw new IOException("plain");
              }
            });

    assertThatThrownBy(api::inherited).hasMessage("inherited");
    assertThat(calls.getAndSet(0)).isEqualTo(2);
    assertThatThrownBy(api::own).hasMessage("own");
    assertThat(calls.getAndSet(0)).isEqualTo(4);
    assertThatThrownBy(api::plain).hasMessage("plain");
    assertThat(calls.getAndSet(0)).isEqualTo(2);
  }

  // ---------------------------------------------------------------- circuit breaker

  interface Breakers {
    @CircuitBreaker(name = "shared", slidingWindowSize = 2, minimumCalls = 2)
    String first() throws IOException;

    @CircuitBreaker(name = "shared", slidingWindowSize = 2, minimumCalls = 2)
    CompletableFuture<String> second();

    @CircuitBreaker(slidingWindowSize = 2, minimumCalls = 2)
    String alone() throws IOException;
  }

  static class FailingBreakers implements Breakers {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public String first() throws IOException {
      calls.incrementAndGet();
      throw new IOException("down");
    }

    @Override
    public CompletableFuture<String> second() {
      calls.incrementAndGet();
      return CompletableFuture.failedFuture(new IOException("down"));
    }

    @Override
    public String alone() throws IOException {
      calls.incrementAndGet();
      return "alone";
    }
  }

  @Test
  void methodsNamingTheSameBreakerShareItsState() throws IOException {
    FailingBreakers target = new FailingBreakers();
    Breakers api = resilient.wrap(Breakers.class, target);

    assertThatThrownBy(api::first).isInstanceOf(IOException.class);
    assertThatThrownBy(api::first).isInstanceOf(IOException.class);
    assertThat(target.calls.getAndSet(0)).isEqualTo(2);

    assertThatThrownBy(() -> await(api.second()))
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN));
    assertThat(target.calls).hasValue(0);
    assertThat(api.alone()).isEqualTo("alone");
  }

  interface Healing {
    @CircuitBreaker(slidingWindowSize = 2, minimumCalls = 2, waitInOpen = "1s", halfOpenCalls = 1,
        awaitProbe = "2s")
    String fetch() throws IOException;
  }

  @Test
  void awaitProbeLetsARefusedCallWaitForTheNextProbe() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    Healing api = resilient.wrap(Healing.class, () -> {
      if (calls.incrementAndGet() <= 2) {
        throw new IOException("down");
      }
      return "healed";
    });
    assertThatThrownBy(api::fetch).isInstanceOf(IOException.class);
    assertThatThrownBy(api::fetch).isInstanceOf(IOException.class);
    long before = time.nanoTime();

    // The breaker is open: the call waits out its 1 s (on the fake clock) and is the probe.
    assertThat(api.fetch()).isEqualTo("healed");
    assertThat(time.nanoTime() - before).isEqualTo(Duration.ofMillis(1001).toNanos());
    assertThat(calls).hasValue(3);
  }

  @Test
  void namedBreakersAreSharedAcrossProxiesOfOneResilient() {
    Breakers one = resilient.wrap(Breakers.class, new FailingBreakers());
    FailingBreakers target = new FailingBreakers();
    Breakers two = resilient.wrap(Breakers.class, target);

    assertThatThrownBy(() -> await(one.second())).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> await(one.second())).isInstanceOf(IOException.class);

    assertThatThrownBy(two::first)
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN));
    assertThat(target.calls).hasValue(0);
  }

  @Test
  void anOpenBreakerLetsTrialCallsThroughAfterItsWait() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    Breakers api =
        resilient.wrap(
            Breakers.class,
            new FailingBreakers() {
              @Override
              public String first() throws IOException {
                if (calls.incrementAndGet() <= 2) {
                  throw new IOException("down");
                }
                return "back";
              }
            });
    assertThatThrownBy(api::first).isInstanceOf(IOException.class);
    assertThatThrownBy(api::first).isInstanceOf(IOException.class);
    assertThatThrownBy(api::first).isInstanceOf(RejectedException.class);

    time.advance(Duration.ofSeconds(61)); // resilience4j leaves OPEN strictly after the wait

    assertThat(api.first()).isEqualTo("back");
  }

  // ---------------------------------------------------------------- rate limiter, bulkhead

  interface Limited {
    @RateLimiter(limit = 1, period = "1h")
    String get();

    @RateLimiter(limit = 1, period = "1h")
    CompletableFuture<String> getAsync();
  }

  @Test
  void aRateLimiterRejectsCallsBeyondItsLimitSyncAndAsync() {
    Limited api =
        resilient.wrap(
            Limited.class,
            new Limited() {
              @Override
              public String get() {
                return "ok";
              }

              @Override
              public CompletableFuture<String> getAsync() {
                return CompletableFuture.completedFuture("ok");
              }
            });

    assertThat(api.get()).isEqualTo("ok");
    assertThatThrownBy(api::get)
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.RATE_LIMITED));
    assertThat(api.getAsync()).isCompletedWithValue("ok");
    assertThatThrownBy(() -> await(api.getAsync()))
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.RATE_LIMITED));
  }

  interface Guarded {
    @Bulkhead(1)
    String outer();

    @Bulkhead(1)
    CompletableFuture<String> pending();
  }

  @Test
  void aBulkheadRejectsASecondConcurrentSyncCall() {
    List<Guarded> self = new ArrayList<>();
    List<Throwable> inner = new ArrayList<>();
    Guarded target =
        new Guarded() {
          @Override
          public String outer() {
            if (inner.isEmpty()) {
              try {
                self.get(0).outer(); // re-entrant: the permit is held by this very call
              } catch (RejectedException e) {
                inner.add(e);
              }
            }
            return "outer";
          }

          @Override
          public CompletableFuture<String> pending() {
            return new CompletableFuture<>();
          }
        };
    Guarded api = resilient.wrap(Guarded.class, target);
    self.add(api);

    assertThat(api.outer()).isEqualTo("outer");
    assertThat(inner)
        .singleElement()
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.BULKHEAD_FULL));
    assertThat(api.outer()).isEqualTo("outer");
  }

  @Test
  void anAsyncCallHoldsItsBulkheadPermitUntilItsFutureCompletes() {
    List<CompletableFuture<String>> started = new ArrayList<>();
    Guarded api =
        resilient.wrap(
            Guarded.class,
            new Guarded() {
              @Override
              public String outer() {
                return "outer";
              }

              @Override
              public CompletableFuture<String> pending() {
                CompletableFuture<String> f = new CompletableFuture<>();
                started.add(f);
                return f;
              }
            });

    CompletableFuture<String> first = api.pending();
    assertThatThrownBy(() -> await(api.pending()))
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.BULKHEAD_FULL));
    started.get(0).complete("done");
    assertThat(first).isCompletedWithValue("done");
    CompletableFuture<String> third = api.pending();
    assertThat(started).hasSize(2);
    started.get(1).complete("again");
    assertThat(third).isCompletedWithValue("again");
  }

  // ---------------------------------------------------------------- timeout

  interface Slow {
    @Timeout("1s")
    String get() throws InterruptedException;

    @Timeout(value = "1s", total = "5s")
    CompletableFuture<String> getAsync();
  }

  @Test
  void aTimeoutCutsASlowCallSyncAndAsync() {
    List<CompletableFuture<String>> started = new ArrayList<>();
    Slow api =
        resilient.wrap(
            Slow.class,
            new Slow() {
              @Override
              public String get() throws InterruptedException {
                time.sleep(Duration.ofSeconds(5));
                return "late";
              }

              @Override
              public CompletableFuture<String> getAsync() {
                CompletableFuture<String> f = new CompletableFuture<>();
                started.add(f);
                return f;
              }
            });

    assertThatThrownBy(api::get)
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.TIMED_OUT));
    assertThat(Thread.interrupted()).isFalse();

    CompletableFuture<String> result = api.getAsync();
    time.advance(Duration.ofSeconds(1));
    assertThatThrownBy(() -> await(result))
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.TIMED_OUT));
    assertThat(started.get(0)).isCancelled();
    assertThat(time.pendingTasks()).isZero();
  }

  // ---------------------------------------------------------------- fallback

  interface WithFallbacks {
    @Fallback(method = "cached")
    String price(String sku) throws IOException;

    @Fallback(method = "cachedAsync")
    CompletableFuture<String> priceAsync(String sku);

    @Fallback(method = "stageFallback")
    CompletionStage<String> priceStage(String sku);

    @Fallback(method = "onlyTimeouts", on = RejectedException.class)
    String strict(String sku) throws IOException;

    @Fallback(method = "hidden")
    int count(String sku) throws IOException;

    default String cached(String sku, Throwable failure) {
      return "cached " + sku + " after " + failure.getMessage();
    }

    default String cachedAsync(String sku) {
      return "cached-async " + sku;
    }

    default CompletionStage<String> stageFallback(String sku, IOException failure) {
      return CompletableFuture.completedFuture("stage " + sku + " after " + failure.getMessage());
    }

    default String onlyTimeouts(String sku) {
      return "timeout " + sku;
    }
  }

  static class FailingPrices implements WithFallbacks {
    @Override
    public String price(String sku) throws IOException {
      throw new IOException("no price for " + sku);
    }

    @Override
    public CompletableFuture<String> priceAsync(String sku) {
      return CompletableFuture.failedFuture(new IOException("no price for " + sku));
    }

    @Override
    public CompletionStage<String> priceStage(String sku) {
      return CompletableFuture.failedFuture(new IOException("no price for " + sku));
    }

    @Override
    public String strict(String sku) throws IOException {
      throw new IOException("strict " + sku);
    }

    @Override
    public int count(String sku) throws IOException {
      throw new IOException("no count");
    }

    @SuppressWarnings("unused")
    private int hidden(String sku) {
      return sku.length();
    }
  }

  @Test
  void aFallbackReceivesTheArgumentsAndTheFailureSync() throws IOException {
    WithFallbacks api = resilient.wrap(WithFallbacks.class, new FailingPrices());

    assertThat(api.price("A-1")).isEqualTo("cached A-1 after no price for A-1");
    assertThat(api.count("four")).isEqualTo(4);
  }

  @Test
  void aFallbackReturnsTheValueOrTheStageOfAnAsyncMethod() throws Throwable {
    WithFallbacks api = resilient.wrap(WithFallbacks.class, new FailingPrices());

    assertThat(await(api.priceAsync("A-1"))).isEqualTo("cached-async A-1");
    assertThat(await(api.priceStage("B-2"))).isEqualTo("stage B-2 after no price for B-2");
  }

  @Test
  void aFailureTheFallbackDoesNotHandlePassesThrough() {
    WithFallbacks api = resilient.wrap(WithFallbacks.class, new FailingPrices());

    assertThatThrownBy(() -> api.strict("C-3"))
        .isExactlyInstanceOf(IOException.class)
        .hasMessage("strict C-3");
  }

  interface Guarded2 {
    @RateLimiter(limit = 1, period = "1h")
    @Fallback(method = "later")
    String get() throws IOException;

    @RateLimiter(limit = 1, period = "1h")
    @Fallback(method = "later")
    CompletableFuture<String> getAsync();

    @Fallback(method = "broken")
    String fails() throws IOException;

    default String later(RejectedException rejected) {
      return "later: " + rejected.reason();
    }

    default String broken(Throwable failure) throws IOException {
      throw new IOException("fallback failed too", failure);
    }
  }

  @Test
  void aFallbackSeesRejectionsAndThePolicyReportsItSyncAndAsync() throws Throwable {
    PolicyRegistry registry = PolicyRegistry.builder().timeSource(time).build();
    List<CallCompleted> completed = new ArrayList<>();
    registry.events().subscribe(CallCompleted.class, completed::add);
    Guarded2 api =
        Resilient.builder()
            .registry(registry)
            .timeSource(time)
            .build()
            .wrap(
                Guarded2.class,
                new Guarded2() {
                  @Override
                  public String get() {
                    return "now";
                  }

                  @Override
                  public CompletableFuture<String> getAsync() {
                    return CompletableFuture.completedFuture("now");
                  }

                  @Override
                  public String fails() throws IOException {
                    throw new IOException("down");
                  }
                });

    assertThat(api.get()).isEqualTo("now");
    assertThat(api.get()).isEqualTo("later: RATE_LIMITED");
    assertThat(await(api.getAsync())).isEqualTo("now");
    assertThat(await(api.getAsync())).isEqualTo("later: RATE_LIMITED");
    assertThat(completed)
        .extracting(CallCompleted::policy, CallCompleted::outcome)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("Guarded2.get", CallCompleted.Outcome.SUCCESS),
            org.assertj.core.groups.Tuple.tuple("Guarded2.get", CallCompleted.Outcome.FALLBACK),
            org.assertj.core.groups.Tuple.tuple("Guarded2.getAsync", CallCompleted.Outcome.SUCCESS),
            org.assertj.core.groups.Tuple.tuple(
                "Guarded2.getAsync", CallCompleted.Outcome.FALLBACK));
  }

  @Test
  void aFallbackThatThrowsFailsTheCallWithItsOwnCheckedException() {
    Guarded2 api =
        resilient.wrap(
            Guarded2.class,
            new Guarded2() {
              @Override
              public String get() {
                return "now";
              }

              @Override
              public CompletableFuture<String> getAsync() {
                return CompletableFuture.completedFuture("now");
              }

              @Override
              public String fails() throws IOException {
                throw new IOException("down");
              }
            });

    assertThatThrownBy(api::fails)
        .isExactlyInstanceOf(IOException.class)
        .hasMessage("fallback failed too")
        .hasRootCauseMessage("down");
  }

  // ---------------------------------------------------------------- default methods, Object methods

  interface WithDefault {
    @Retry(maxAttempts = 2, delay = "10ms", maxDelay = "10ms")
    String fetch() throws IOException;

    default String twice() throws IOException {
      return fetch() + "+" + fetch();
    }

    @Retry(maxAttempts = 2, delay = "10ms", maxDelay = "10ms")
    default String decorated() throws IOException {
      return fetch();
    }
  }

  @Test
  void aDefaultMethodRunsOnTheProxySoItsCallsAreDecorated() throws IOException {
    Flaky flaky = new Flaky(1);
    WithDefault api = resilient.wrap(WithDefault.class, flaky::next);

    assertThat(api.twice()).isEqualTo("ok-2+ok-3");
  }

  @Test
  void aDefaultMethodOverriddenByTheTargetRunsTheTargetsCode() throws IOException {
    WithDefault api =
        resilient.wrap(
            WithDefault.class,
            new WithDefault() {
              @Override
              public String fetch() {
                return "f";
              }

              @Override
              public String twice() {
                return "own";
              }
            });

    assertThat(api.twice()).isEqualTo("own");
    assertThat(api.decorated()).isEqualTo("f");
  }

  @Test
  void equalsHashCodeAndToStringPassThroughToTheTarget() {
    WithFallbacks target =
        new FailingPrices() {
          @Override
          public String toString() {
            return "prices";
          }
        };
    WithFallbacks api = resilient.wrap(WithFallbacks.class, target);
    WithFallbacks again = resilient.wrap(WithFallbacks.class, target);

    assertThat(api.toString()).isEqualTo("prices");
    assertThat(api.hashCode()).isEqualTo(target.hashCode());
    assertThat(api).isEqualTo(again).isEqualTo(api).isNotEqualTo(new FailingPrices());
    assertThat(api.equals(target)).isTrue();
  }

  interface Plain {
    String get() throws IOException;

    CompletableFuture<String> getAsync();
  }

  @Test
  void aMethodWithoutAnnotationsCallsTheTargetDirectly() {
    IOException failure = new IOException("plain");
    Plain api =
        resilient.wrap(
            Plain.class,
            new Plain() {
              @Override
              public String get() throws IOException {
                throw failure;
              }

              @Override
              public CompletableFuture<String> getAsync() {
                return CompletableFuture.completedFuture("direct");
              }
            });

    assertThatThrownBy(api::get).isSameAs(failure);
    assertThat(api.getAsync()).isCompletedWithValue("direct");
  }

  // ---------------------------------------------------------------- registry policies

  @Policy("inventory")
  interface Registered {
    String get() throws IOException;

    @Policy("payments")
    CompletableFuture<String> pay();

    @Retry(maxAttempts = 1)
    String own() throws IOException;
  }

  @Test
  void policyUsesTheNamedRegistryPolicySyncAndAsync() throws Throwable {
    PolicyRegistry registry =
        PolicyRegistry.builder()
            .timeSource(time)
            .policy(
                "inventory",
                p -> p.retry(3, Duration.ofMillis(10), Duration.ofMillis(10))
                    .asyncExecutor(Runnable::run))
            .policy(
                "payments",
                p -> p.retry(2, Duration.ofMillis(10), Duration.ofMillis(10))
                    .asyncExecutor(Runnable::run))
            .build();
    List<String> completed = new ArrayList<>();
    registry.events().subscribe(CallCompleted.class, e -> completed.add(e.policy()));
    Flaky flaky = new Flaky(2);
    Resilient withRegistry = Resilient.builder()
            .timeSource(time)
            .asyncExecutor(Runnable::run)
            .registry(registry)
            .build();
    Registered api =
        withRegistry.wrap(
            Registered.class,
            new Registered() {
              @Override
              public String get() throws IOException {
                return flaky.next();
              }

              @Override
              public CompletableFuture<String> pay() {
                return flaky.nextAsync();
              }

              @Override
              public String own() throws IOException {
                return flaky.next();
              }
            });

    assertThat(api.get()).isEqualTo("ok-3");
    flaky.calls.set(0);
    CompletableFuture<String> paid = api.pay();
    time.advance(Duration.ofSeconds(1));
    assertThatThrownBy(() -> await(paid)).hasMessage("failure 2");
    flaky.calls.set(0);
    assertThatThrownBy(api::own).hasMessage("failure 1");
    assertThat(completed).containsExactly("inventory", "payments", "Registered.own");
  }
}
