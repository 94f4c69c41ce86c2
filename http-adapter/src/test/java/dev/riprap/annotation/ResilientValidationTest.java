package dev.riprap.annotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Every mistake fails when the proxy is made, with a message naming interface, method, problem. */
class ResilientValidationTest {

  @SuppressWarnings("unchecked")
  private static <T> T target(Class<T> api) {
    // A target that is never called: validation happens before any call.
    return (T)
        java.lang.reflect.Proxy.newProxyInstance(
            api.getClassLoader(),
            new Class<?>[] {api},
            (p, m, a) -> {
              throw new AssertionError("called " + m.getName());
            });
  }

  private static void assertRejected(
      Class<?> api, Class<? extends RuntimeException> type, String message) {
    assertRejected(Resilient.builder().build(), api, type, message);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void assertRejected(
      Resilient resilient, Class<?> api, Class<? extends RuntimeException> type, String message) {
    assertThatThrownBy(() -> resilient.wrap((Class) api, target(api)))
        .isExactlyInstanceOf(type)
        .hasMessage(message);
  }

  // ---------------------------------------------------------------- fallback methods

  interface MissingFallback {
    @Fallback(method = "cached")
    String price(String sku, int quantity);

    default String cached(String sku) {
      return sku;
    }
  }

  @Test
  void aMissingFallbackMethodIsNamedWithTheExpectedSignatures() {
    assertRejected(
        MissingFallback.class,
        IllegalArgumentException.class,
        "MissingFallback.price(String, int): @Fallback method cached(String, int) or"
            + " cached(String, int, Throwable) not found in MissingFallback; found"
            + " MissingFallback.cached(String)");
  }

  interface WrongReturn {
    @Fallback(method = "cached")
    String price(String sku);

    default Integer cached(String sku, Throwable t) {
      return 0;
    }
  }

  @Test
  void aFallbackReturningAnotherTypeIsRejected() {
    assertRejected(
        WrongReturn.class,
        IllegalArgumentException.class,
        "WrongReturn.price(String): @Fallback method WrongReturn.cached(String, Throwable) returns"
            + " Integer, expected String");
  }

  interface WrongAsyncReturn {
    @Fallback(method = "cached")
    CompletableFuture<String> price(String sku);

    default CompletionStage<Integer> cached(String sku) {
      return CompletableFuture.completedFuture(0);
    }
  }

  @Test
  void anAsyncFallbackMustReturnTheElementTypeOrAStageOfIt() {
    assertRejected(
        WrongAsyncReturn.class,
        IllegalArgumentException.class,
        "WrongAsyncReturn.price(String): @Fallback method WrongAsyncReturn.cached(String) returns"
            + " CompletionStage<Integer>, expected String or CompletionStage<String>");
  }

  interface WrongGeneric {
    @Fallback(method = "cached")
    java.util.List<String> names();

    default java.util.List<Integer> cached() {
      return java.util.List.of();
    }
  }

  @Test
  void aFallbackReturningAnotherParameterizationIsRejected() {
    assertRejected(
        WrongGeneric.class,
        IllegalArgumentException.class,
        "WrongGeneric.names(): @Fallback method WrongGeneric.cached() returns List<Integer>,"
            + " expected List<String>");
  }

  interface UnreachableFailure {
    @Fallback(method = "cached", on = TimeoutException.class)
    String price(String sku) throws IOException;

    default String cached(String sku, IOException failure) {
      return sku;
    }
  }

  @Test
  void aFallbackWhoseFailureParameterCanNeverMatchIsRejected() {
    assertRejected(
        UnreachableFailure.class,
        IllegalArgumentException.class,
        "UnreachableFailure.price(String): @Fallback method UnreachableFailure.cached(String,"
            + " IOException) can never receive TimeoutException, listed in on");
  }

  interface UndeclaredChecked {
    @Fallback(method = "cached")
    String price(String sku);

    default String cached(String sku) throws IOException {
      throw new IOException();
    }
  }

  @Test
  void aSyncFallbackMayNotThrowACheckedExceptionTheMethodDoesNotDeclare() {
    assertRejected(
        UndeclaredChecked.class,
        IllegalArgumentException.class,
        "UndeclaredChecked.price(String): @Fallback method UndeclaredChecked.cached(String)"
            + " declares IOException, which price does not");
  }

  interface Ambiguous {
    @Fallback(method = "cached")
    String price(String sku);

    default String cached(String sku) {
      return sku;
    }

    default String cached(String sku, Throwable t) {
      return sku;
    }
  }

  @Test
  void twoFittingFallbackMethodsAreAmbiguous() {
    assertRejected(
        Ambiguous.class,
        IllegalStateException.class,
        "Ambiguous.price(String): @Fallback method 'cached' is ambiguous: Ambiguous.cached(String)"
            + " and Ambiguous.cached(String, Throwable)");
  }

  // ---------------------------------------------------------------- registry policies

  interface Named {
    @Policy("invntory")
    String stock();
  }

  @Test
  void anUnknownPolicyNameListsTheKnownOnes() {
    Resilient resilient =
        Resilient.builder()
            .registry(
                dev.riprap.PolicyRegistry.builder()
                    .policy("payments", p -> {})
                    .policy("inventory", p -> {})
                    .build())
            .build();
    assertRejected(
        resilient,
        Named.class,
        IllegalArgumentException.class,
        "Named.stock(): @Policy(\"invntory\"): Unknown policy 'invntory': did you mean"
            + " 'inventory'? Known policies: inventory, payments");
  }

  @Test
  void aPolicyAnnotationWithoutARegistryIsRejected() {
    assertRejected(
        Named.class,
        IllegalStateException.class,
        "Named.stock(): @Policy(\"invntory\") needs a PolicyRegistry; pass one to Resilient.proxy"
            + " or Resilient.builder()");
  }

  interface PolicyAndRetry {
    @Policy("inventory")
    @Retry
    @Timeout("1s")
    String stock();
  }

  @Test
  void aPolicyCombinedWithStrategiesOnOneMethodIsAContradiction() {
    assertRejected(
        PolicyAndRetry.class,
        IllegalStateException.class,
        "PolicyAndRetry.stock(): @Policy(\"inventory\") cannot be combined with @Retry, @Timeout on"
            + " the same method; configure them in the registry policy");
  }

  @Policy("inventory")
  @Bulkhead(3)
  interface PolicyAndBulkheadOnType {
    String stock();
  }

  @Test
  void aPolicyCombinedWithStrategiesOnTheInterfaceIsAContradiction() {
    assertRejected(
        PolicyAndBulkheadOnType.class,
        IllegalStateException.class,
        "PolicyAndBulkheadOnType.stock(): @Policy(\"inventory\") cannot be combined with @Bulkhead"
            + " on the interface; configure them in the registry policy");
  }

  // ---------------------------------------------------------------- strategy settings

  interface BadDuration {
    @Retry(delay = "2 seconds")
    String get();
  }

  @Test
  void anUnparsableDurationNamesTheAttributeAndTheText() {
    assertRejected(
        BadDuration.class,
        IllegalArgumentException.class,
        "BadDuration.get(): @Retry delay: expected a positive duration such as 250ms, 2s"
            + " or PT2S, was '2 seconds'");
  }

  interface ShortMaxDelay {
    @Retry(delay = "2s", maxDelay = "1s")
    String get();
  }

  @Test
  void aMaxDelayBelowTheDelayIsRejected() {
    assertRejected(
        ShortMaxDelay.class,
        IllegalArgumentException.class,
        "ShortMaxDelay.get(): @Retry maxDelay must be at least delay (2s), was 1s");
  }

  interface NoAttempts {
    @Retry(maxAttempts = 0)
    String get();
  }

  @Test
  void zeroAttemptsIsRejected() {
    assertRejected(
        NoAttempts.class,
        IllegalArgumentException.class,
        "NoAttempts.get(): @Retry maxAttempts must be >= 1, was 0");
  }

  interface RetryAndAbort {
    @Retry(retryOn = IOException.class, abortOn = IOException.class)
    String get() throws IOException;
  }

  @Test
  void aFailureBothRetriedAndAbortedIsAContradiction() {
    assertRejected(
        RetryAndAbort.class,
        IllegalStateException.class,
        "RetryAndAbort.get(): @Retry lists IOException in both retryOn and abortOn");
  }

  interface TimeoutOrder {
    @Timeout(value = "5s", total = "2s")
    String get();
  }

  @Test
  void anAttemptTimeoutAboveTheTotalIsAContradiction() {
    assertRejected(
        TimeoutOrder.class,
        IllegalStateException.class,
        "TimeoutOrder.get(): @Timeout value (5s) must not exceed total (2s)");
  }

  interface EmptyTimeout {
    @Timeout
    String get();
  }

  @Test
  void aTimeoutWithNeitherValueNorTotalIsRejected() {
    assertRejected(
        EmptyTimeout.class,
        IllegalArgumentException.class,
        "EmptyTimeout.get(): @Timeout sets neither value nor total");
  }

  interface ZeroWait {
    @CircuitBreaker(waitInOpen = "0s")
    String get();
  }

  @Test
  void aZeroBreakerWaitIsRejected() {
    assertRejected(
        ZeroWait.class,
        IllegalArgumentException.class,
        "ZeroWait.get(): @CircuitBreaker waitInOpen: expected a duration of at least 1ms such as"
            + " 250ms, 2s or PT2S, was '0s'");
  }

  interface NegativeProbeWait {
    @CircuitBreaker(awaitProbe = "PT-1S")
    String get();
  }

  @Test
  void aNegativeProbeWaitIsRejected() {
    assertRejected(
        NegativeProbeWait.class,
        IllegalArgumentException.class,
        "NegativeProbeWait.get(): @CircuitBreaker awaitProbe: expected a duration of zero or more"
            + " such as 0s, 250ms or PT2S, was 'PT-1S'");
  }

  interface BadThreshold {
    @CircuitBreaker(failureRateThreshold = 150)
    String get();
  }

  @Test
  void aThresholdAbove100IsRejected() {
    assertRejected(
        BadThreshold.class,
        IllegalArgumentException.class,
        "BadThreshold.get(): @CircuitBreaker failureRateThreshold must be in (0, 100], was 150.0");
  }

  interface ZeroLimit {
    @RateLimiter(limit = 0)
    String get();
  }

  @Test
  void aZeroRateLimitIsRejected() {
    assertRejected(
        ZeroLimit.class,
        IllegalArgumentException.class,
        "ZeroLimit.get(): @RateLimiter limit must be >= 1, was 0");
  }

  interface NegativeWait {
    @Bulkhead(value = 2, maxWait = "-PT1S")
    String get();
  }

  @Test
  void aNegativeBulkheadWaitIsRejected() {
    assertRejected(
        NegativeWait.class,
        IllegalArgumentException.class,
        "NegativeWait.get(): @Bulkhead maxWait: expected a duration of zero or more such as 0s,"
            + " 250ms or PT2S, was '-PT1S'");
  }

  interface HugeWindow {
    @CircuitBreaker(slidingWindowSize = Integer.MAX_VALUE)
    String get();
  }

  interface HugeHalfOpen {
    @CircuitBreaker(halfOpenCalls = 2_000_000_000)
    String get();
  }

  @Test
  void aBreakerWindowResilience4jCouldNotAllocateIsRejected() {
    assertRejected(
        HugeWindow.class,
        IllegalArgumentException.class,
        "HugeWindow.get(): @CircuitBreaker slidingWindowSize must be in [1, 100000], was"
            + " 2147483647");
    assertRejected(
        HugeHalfOpen.class,
        IllegalArgumentException.class,
        "HugeHalfOpen.get(): @CircuitBreaker halfOpenCalls must be in [1, 100000], was"
            + " 2000000000");
  }

  interface TooLong {
    @Timeout("99999999999999999999d")
    String get();
  }

  @Test
  void aDurationTooLongForJavaTimeNamesTheLimit() {
    assertRejected(
        TooLong.class,
        IllegalArgumentException.class,
        "TooLong.get(): @Timeout value: expected a duration of at most 292 billion years, was"
            + " '99999999999999999999d'");
  }

  interface Forever {
    @Retry(delay = "200000d", maxDelay = "9223372036854775807ms")
    @CircuitBreaker(waitInOpen = "PT2562048H", awaitProbe = "200000d", halfOpenCalls = 100_000)
    @RateLimiter(limit = Integer.MAX_VALUE, period = "200000d", maxWait = "200000d")
    @Bulkhead(value = Integer.MAX_VALUE, maxWait = "9223372036854775807ms")
    @Timeout(value = "PT2562048H", total = "200000d")
    String get();

    @Retry(delay = "200000d", maxDelay = "200000d")
    @Timeout(value = "200000d", total = "200000d")
    CompletionStage<String> getAsync();
  }

  @Test
  void hugeDurationsAreAcceptedAsForeverAndTheMethodsWork() throws Exception {
    Forever proxy =
        Resilient.proxy(
            Forever.class,
            new Forever() {
              @Override
              public String get() {
                return "stock";
              }

              @Override
              public CompletionStage<String> getAsync() {
                return CompletableFuture.completedFuture("stock");
              }
            });

    assertThat(proxy.get()).isEqualTo("stock");
    assertThat(proxy.getAsync().toCompletableFuture().get()).isEqualTo("stock");
  }

  interface SharedMismatch {
    @CircuitBreaker(name = "pricing", failureRateThreshold = 50)
    String a();

    @CircuitBreaker(name = "pricing", failureRateThreshold = 20)
    String b();
  }

  @Test
  void aSharedBreakerDeclaredWithOtherSettingsIsAContradiction() {
    String message;
    try {
      Resilient.proxy(SharedMismatch.class, target(SharedMismatch.class));
      throw new AssertionError("expected a failure");
    } catch (IllegalStateException e) {
      message = e.getMessage();
    }
    // getMethods() has no fixed order, so either method may be the first declaration.
    assertThat(message)
        .isIn(
            "SharedMismatch.b(): @CircuitBreaker(name = \"pricing\") has other settings than on"
                + " SharedMismatch.a(); every declaration of a shared circuit breaker must match",
            "SharedMismatch.a(): @CircuitBreaker(name = \"pricing\") has other settings than on"
                + " SharedMismatch.b(); every declaration of a shared circuit breaker must match");
  }

  @Test
  void aFailedProxyLeavesNoSharedBreakerBehind() {
    interface First {
      @CircuitBreaker(name = "pricing", failureRateThreshold = 20)
      String a();

      @Retry(maxAttempts = 0)
      String broken();
    }
    interface Second {
      @CircuitBreaker(name = "pricing", failureRateThreshold = 50)
      String b();
    }
    Resilient resilient = Resilient.builder().build();
    assertThatThrownBy(() -> resilient.wrap(First.class, target(First.class)))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(resilient.wrap(Second.class, target(Second.class))).isNotNull();
  }

  // ---------------------------------------------------------------- where annotations go

  interface Service {
    String get() throws IOException;
  }

  static final class AnnotatedImplementation implements Service {
    @Override
    @Retry
    @Timeout("1s")
    public String get() {
      return "x";
    }
  }

  @Test
  void annotationsOnAClassMethodAreRejected() {
    assertThatThrownBy(() -> Resilient.proxy(Service.class, new AnnotatedImplementation()))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "AnnotatedImplementation.get() is a method of a class: its @Retry, @Timeout has no"
                + " effect through a proxy; put it on the interface method Service.get");
  }

  @Retry
  static final class AnnotatedClass implements Service {
    @Override
    public String get() {
      return "x";
    }
  }

  @Test
  void annotationsOnAClassAreRejected() {
    assertThatThrownBy(() -> Resilient.proxy(Service.class, new AnnotatedClass()))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "AnnotatedClass is a class: its @Retry has no effect through a proxy; put it on the"
                + " interface Service");
  }

  @Test
  void aClassIsNotAnApi() {
    assertThatThrownBy(() -> Resilient.proxy(AnnotatedClass.class, new AnnotatedClass()))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("AnnotatedClass is a class, not an interface: a proxy implements interfaces only");
  }

  @Test
  void validationNeedsNoCall() {
    // The target throws on any call, and a valid interface still makes a proxy.
    Service proxy = Resilient.proxy(Service.class, target(Service.class));
    assertThat(proxy).isNotNull();
  }
}
