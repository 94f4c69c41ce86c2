package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.RetryBudget;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad settings fail when the policy is built, with a message naming the argument, the value and
 * what was expected; huge values are accepted as "forever" or refused with the limit.
 */
class BuilderValidationTest {

  @Test
  void aBlankNameIsRejected() {
    assertThatThrownBy(() -> Policy.builder(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must not be blank, was ' '");
    Policy p = Policy.builder("p").build();
    assertThatThrownBy(() -> p.toBuilder(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must not be blank, was ''");
  }

  @Test
  void zeroAttemptsAreRejected() {
    assertThatThrownBy(
            () -> Policy.builder("p").retry(0, Duration.ofMillis(100), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxAttempts must be >= 1, was 0");
  }

  @Test
  void aMaxDelayBelowTheInitialDelayIsRejected() {
    assertThatThrownBy(
            () -> Policy.builder("p").retry(3, Duration.ofSeconds(2), Duration.ofMillis(500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxDelay must be at least initialDelay (2s), was 500ms");
  }

  @Test
  void aFirstRetryDelayUnderAMillisecondIsKeptToTheNanosecond() {
    // Riprap's own backoff counts in nanoseconds (resilience4j's refused anything under 1 ms).
    Policy p = Policy.builder("p").retry(3, Duration.ofNanos(500_000), Duration.ofSeconds(1)).build();
    assertThat(p.retrySettings().orElseThrow().backoff(1)).isEqualTo(Duration.ofNanos(500_000));
    assertThatThrownBy(() -> Policy.builder("p").retry(3, Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("initialDelay must be positive, was 0s");
  }

  @Test
  void aNonPositiveTimeoutIsRejected() {
    assertThatThrownBy(() -> Policy.builder("p").attemptTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("attemptTimeout must be positive, was 0s");
    assertThatThrownBy(() -> Policy.builder("p").totalTimeout(Duration.ofMillis(-5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("totalTimeout must be positive, was -5ms");
  }

  @Test
  void aStrategySetTwiceIsAConflict() {
    Policy.Builder b = Policy.builder("p").bulkhead(4);
    assertThatThrownBy(() -> b.bulkhead(8))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("bulkhead was already set to BulkheadConfig{maxConcurrentCalls=4");
    Policy.Builder t = Policy.builder("p").attemptTimeout(Duration.ofSeconds(1));
    assertThatThrownBy(() -> t.attemptTimeout(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("attemptTimeout was already set to 1s");
    Policy.Builder w =
        Policy.builder("p")
            .circuitBreaker(CircuitBreakerConfig.ofDefaults())
            .awaitProbe(Duration.ofSeconds(1));
    assertThatThrownBy(() -> w.awaitProbe(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("awaitProbe was already set to 1s");
    RetryBudget budget = RetryBudget.ofRatio(0.1);
    Policy.Builder r = Policy.builder("p").retryBudget(budget);
    assertThatThrownBy(() -> r.retryBudget(budget))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("retryBudget was already set to " + budget);
    Policy.Builder l = Policy.builder("p").pacedRate(10, Duration.ZERO);
    assertThatThrownBy(() -> l.pacedRate(0, Duration.ZERO))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("rateLimiter was already set to 10/s paced");
    Policy.Builder twice = Policy.builder("p").retry(3, Duration.ofMillis(1), Duration.ofMillis(1));
    assertThatThrownBy(() -> twice.retry(0, Duration.ZERO, Duration.ZERO))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("retry was already set to ");
  }

  @Test
  void theWiringTakesTheLastValueGiven() {
    FakeTimeSource first = new FakeTimeSource();
    FakeTimeSource second = new FakeTimeSource();

    Policy p = Policy.builder("p").timeSource(first).timeSource(second).build();

    assertThat(p.timeSource()).isSameAs(second);
  }

  @Test
  void aBadBulkheadOrRateIsRejected() {
    assertThatThrownBy(() -> Policy.builder("p").bulkhead(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConcurrentCalls must be >= 1, was 0");
    assertThatThrownBy(() -> Policy.builder("p").pacedRate(0, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permitsPerSecond must be in [1, 1000000], was 0");
    assertThatThrownBy(() -> Policy.builder("p").pacedRate(5, Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWait must not be negative, was -1ms");
  }

  @Test
  void anAttemptTimeoutAboveTheTotalTimeoutFailsAtBuild() {
    Policy.Builder b =
        Policy.builder("inventory")
            .attemptTimeout(Duration.ofSeconds(5))
            .totalTimeout(Duration.ofSeconds(2));
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Policy 'inventory': attempt timeout (5s) must not exceed total timeout (2s)");
  }

  @Test
  void aTimeBasedBreakerWindowShorterThanTwoAttemptTimeoutsFailsAtBuild() {
    Policy.Builder b =
        Policy.builder("inventory")
            .attemptTimeout(Duration.ofSeconds(2))
            .circuitBreaker(
                CircuitBreakerConfig.custom()
                    .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.TIME_BASED)
                    .slidingWindowSize(3)
                    .build());
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Policy 'inventory': the circuit breaker's time-based window (3s) must be at least 2x"
                + " the attempt timeout (2s)");
  }

  @Test
  void badRetryBudgetSettingsAreRejected() {
    assertThatThrownBy(() -> RetryBudget.builder().ratio(-0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ratio must be in [0, 1000], was -0.1");
    assertThatThrownBy(() -> RetryBudget.builder().window(Duration.ofMillis(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("window must be between 1s and 1h, was 10ms");
    assertThatThrownBy(() -> RetryBudget.builder().window(Duration.ofDays(200_000)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("window must be between 1s and 1h, was 200000d");
    assertThatThrownBy(() -> RetryBudget.builder().minRetriesPerSecond(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minRetriesPerSecond must be >= 0, was -1");
    RetryBudget.Builder b = RetryBudget.builder().ratio(0.5);
    assertThatThrownBy(() -> b.ratio(0.6))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("ratio was already set to 0.5");
  }

  // ---------------------------------------------------------------- huge values

  /** Durations that mean "forever", all past the 292 years a long of nanoseconds holds. */
  static Stream<Arguments> hugeDurations() {
    return Stream.of(
            Duration.ofDays(200_000),
            Duration.parse("PT2562048H"),
            Duration.ofMillis(Long.MAX_VALUE),
            Duration.ofSeconds(Long.MAX_VALUE, 999_999_999))
        .flatMap(d -> Stream.of(Mode.values()).map(m -> Arguments.of(d, m)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("hugeDurations")
  void aHugeDurationForAnyArgumentIsAcceptedAsForeverAndACallSucceeds(Duration huge, Mode mode) {
    FakeTimeSource time = new FakeTimeSource();
    Policy p =
        Policy.builder("inventory")
            .timeSource(time)
            .attemptTimeout(huge)
            .totalTimeout(huge)
            .retry(3, huge, huge)
            .circuitBreaker(CircuitBreakerConfig.ofDefaults())
            .awaitProbe(huge)
            .pacedRate(10, huge)
            .build();

    assertThat(mode.call(p, time, () -> "stock").result).isEqualTo("stock");
    assertThat(p.attemptTimeout()).contains(Duration.ofDays(36_500));
    assertThat(p.totalTimeout()).contains(Duration.ofDays(36_500));
    assertThat(p.awaitProbe()).contains(Duration.ofDays(36_500));
    assertThat(p.pacedLimiter().orElseThrow().maxWait()).isEqualTo(Duration.ofDays(36_500));
  }

  @Test
  void aHugeTimeoutIsNamedAsGivenWhenItConflicts() {
    Policy.Builder b =
        Policy.builder("inventory")
            .attemptTimeout(Duration.ofDays(200_000))
            .totalTimeout(Duration.ofSeconds(1));
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Policy 'inventory': attempt timeout (200000d) must not exceed total timeout (1s)");
    Policy.Builder w =
        Policy.builder("inventory")
            .attemptTimeout(Duration.ofSeconds(Long.MAX_VALUE))
            .circuitBreaker(
                CircuitBreakerConfig.custom()
                    .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.TIME_BASED)
                    .slidingWindowSize(60)
                    .build());
    assertThatThrownBy(w::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Policy 'inventory': the circuit breaker's time-based window (1m) must be at least 2x"
                + " the attempt timeout (9223372036854775807s)");
  }

  @Test
  void aBreakerWindowOrHalfOpenCountResilience4jCouldNotAllocateIsRejected() {
    assertThatThrownBy(
            () ->
                Policy.builder("p")
                    .circuitBreaker(
                        CircuitBreakerConfig.custom().slidingWindowSize(Integer.MAX_VALUE).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("slidingWindowSize must be <= 100000, was 2147483647");
    CircuitBreakerConfig halfOpen =
        CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(2_000_000_000).build();
    assertThatThrownBy(() -> Policy.builder("p").circuitBreaker(halfOpen))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permittedNumberOfCallsInHalfOpenState must be <= 100000, was 2000000000");
    // A breaker instance allocates its half-open window only when it goes half-open: mid-call.
    CircuitBreaker instance = CircuitBreaker.of("shared", halfOpen);
    assertThatThrownBy(() -> Policy.builder("p").circuitBreaker(instance))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permittedNumberOfCallsInHalfOpenState must be <= 100000, was 2000000000");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void hugeCountsThatAllocateNothingAreAccepted(Mode mode) {
    FakeTimeSource time = new FakeTimeSource();
    Policy p =
        Policy.builder("p")
            .timeSource(time)
            .bulkhead(Integer.MAX_VALUE)
            .retry(Integer.MAX_VALUE, Duration.ofMillis(1), Duration.ofMillis(1))
            .circuitBreaker(
                CircuitBreakerConfig.custom()
                    .slidingWindowSize(100_000)
                    .minimumNumberOfCalls(Integer.MAX_VALUE)
                    .permittedNumberOfCallsInHalfOpenState(100_000)
                    .build())
            .build();

    assertThat(mode.call(p, time, () -> "stock").result).isEqualTo("stock");
    assertThat(p.bulkhead().orElseThrow().getMetrics().getAvailableConcurrentCalls())
        .isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void toBuilderSharesGivenInstancesAndMakesFreshOnesFromConfigs() {
    CircuitBreaker shared = CircuitBreaker.ofDefaults("shared");
    Policy a = Policy.builder("a").circuitBreaker(shared).bulkhead(3).build();
    Policy b = a.toBuilder("b").build();

    assertThat(b.name()).isEqualTo("b");
    assertThat(b.circuitBreaker()).containsSame(shared);
    assertThat(b.bulkhead().orElseThrow()).isNotSameAs(a.bulkhead().orElseThrow());
    assertThat(b.bulkhead().orElseThrow().getBulkheadConfig().getMaxConcurrentCalls()).isEqualTo(3);
  }
}
