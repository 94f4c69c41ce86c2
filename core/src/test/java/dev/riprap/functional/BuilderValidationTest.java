package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.RetryBudget;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Bad settings fail when the policy is built, with a message naming the value. */
class BuilderValidationTest {

  @Test
  void aBlankNameIsRejected() {
    assertThatThrownBy(() -> Policy.builder(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("policy name must not be blank, was ' '");
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
        .hasMessage("maxDelay (500ms) must be >= initialDelay (2s)");
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
        .hasMessageStartingWith("bulkhead was already set to ");
    Policy.Builder t = Policy.builder("p").attemptTimeout(Duration.ofSeconds(1));
    assertThatThrownBy(() -> t.attemptTimeout(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("attempt timeout was already set to PT1S");
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
        .hasMessage("maxWait must be zero or more, was -1ms");
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
