package dev.riprap.config;

import static dev.riprap.config.PropertiesConfigurationTest.props;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.PolicyRegistry;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.testing.FakeTimeSource;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Policies built from properties behave as their keys say, through sync and async calls. */
class ConfiguredBehaviourTest {
  private final FakeTimeSource time = new FakeTimeSource();

  private Policy inventory() {
    return PolicyRegistry.builder()
        .timeSource(time)
        .asyncExecutor(Runnable::run)
        .properties(
            props(
                "riprap.defaults.retry.max-attempts=3",
                "riprap.defaults.retry.wait-duration=100ms",
                "riprap.defaults.retry.jitter=0",
                "riprap.policies.inventory.retry.multiplier=3",
                "riprap.policies.inventory.circuit-breaker.sliding-window-size=3",
                "riprap.policies.inventory.circuit-breaker.minimum-number-of-calls=3",
                "riprap.policies.inventory.circuit-breaker.failure-rate-threshold=100",
                "riprap.policies.inventory.circuit-breaker.wait-duration-in-open-state=1m"))
        .build()
        .policy("inventory");
  }

  @Test
  void aSyncCallRetriesWithTheConfiguredBackoffThenTheBreakerOpens() {
    Policy policy = inventory();
    AtomicInteger attempts = new AtomicInteger();

    assertThatThrownBy(
            () ->
                policy.call(
                    () -> {
                      attempts.incrementAndGet();
                      throw new IOException("down");
                    }))
        .isInstanceOf(IOException.class)
        .hasMessage("down");

    // Three attempts with waits of 100ms and 100ms x 3; their three failures open the breaker.
    assertThat(attempts).hasValue(3);
    assertThat(time.waits()).containsExactly(Duration.ofMillis(100), Duration.ofMillis(300));
    assertThatThrownBy(() -> policy.call(() -> "later"))
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN));
  }

  @Test
  void anAsyncCallRetriesWithTheConfiguredBackoffThenTheBreakerOpens() {
    Policy policy = inventory();
    AtomicInteger attempts = new AtomicInteger();

    CompletableFuture<String> call =
        policy.callAsync(
            () -> {
              attempts.incrementAndGet();
              return CompletableFuture.failedFuture(new IOException("down"));
            });
    assertThat(attempts).hasValue(1);
    assertThat(call).isNotDone();
    time.advance(Duration.ofMillis(99));
    assertThat(attempts).hasValue(1);
    time.advance(Duration.ofMillis(1));
    assertThat(attempts).hasValue(2);
    time.advance(Duration.ofMillis(299));
    assertThat(attempts).hasValue(2);
    assertThat(call).isNotDone();
    time.advance(Duration.ofMillis(1));

    assertThat(attempts).hasValue(3);
    assertThat(call).isDone();
    assertThatThrownBy(call::join)
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(IOException.class)
        .hasMessage("down");
    CompletableFuture<String> later =
        policy.callAsync(() -> CompletableFuture.completedFuture("later"));
    assertThat(later).isDone();
    assertThatThrownBy(later::join)
        .cause()
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN));
  }

  @Test
  void aCallThatSucceedsAfterAFailureReturnsItsResult() throws Exception {
    Policy policy = inventory();
    AtomicInteger attempts = new AtomicInteger();

    String sync =
        policy.call(
            () -> {
              if (attempts.incrementAndGet() == 1) {
                throw new IOException("blip");
              }
              return "stock";
            });
    CompletableFuture<String> async =
        policy.callAsync(() -> CompletableFuture.completedFuture("async stock"));

    assertThat(sync).isEqualTo("stock");
    assertThat(async).isCompletedWithValue("async stock");
  }
}
