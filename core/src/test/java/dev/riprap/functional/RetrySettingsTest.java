package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.RetrySettings;
import dev.riprap.event.RetryScheduled;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import dev.riprap.testing.Recorder;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Riprap's own retry settings: nanosecond backoff, jitter bounds, predicates, validation. */
class RetrySettingsTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final AtomicInteger attempts = new AtomicInteger();

  private String failing() throws IOException {
    throw new IOException("attempt " + attempts.incrementAndGet() + " failed");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theBackoffGrowsToTheNanosecondAndStopsAtItsMaximum(Mode mode) {
    RetrySettings retry = RetrySettings.builder(5)
        .backoff(Duration.ofNanos(1_500), Duration.ofNanos(10_000))
        .multiplier(3)
        .jitter(0)
        .build();
    Policy policy = Policy.builder("p").timeSource(time).asyncExecutor(Runnable::run)
        .retry(retry).build();
    Recorder events = Recorder.on(policy.events());

    Outcome<String> out = mode.call(policy, time, this::failing);

    assertThat(out.failure).isInstanceOf(IOException.class).hasMessage("attempt 5 failed");
    List<Long> waits = events.of(RetryScheduled.class).stream()
        .map(e -> e.delay().toNanos()).collect(Collectors.toList());
    // 1.5 us, x3 = 4.5 us, x3 = 13.5 us capped at 10 us, and again 10 us.
    assertThat(waits).containsExactly(1_500L, 4_500L, 10_000L, 10_000L);
    assertThat(time.nanoTime()).isEqualTo(26_000L);
  }

  @Test
  void jitterKeepsEveryWaitWithinItsShareAndUnderTheMaximum() {
    RetrySettings retry = RetrySettings.builder(2)
        .backoff(Duration.ofMillis(100), Duration.ofMillis(120))
        .jitter(0.5)
        .build();
    Policy policy = Policy.builder("p").timeSource(time).retry(retry).build();
    Recorder events = Recorder.on(policy.events());

    for (int i = 0; i < 200; i++) {
      Mode.SYNC.call(policy, time, this::failing);
    }

    List<Duration> waits = events.of(RetryScheduled.class).stream()
        .map(RetryScheduled::delay).collect(Collectors.toList());
    assertThat(waits).hasSize(200).allSatisfy(d ->
        assertThat(d).isBetween(Duration.ofMillis(50), Duration.ofMillis(120)));
    assertThat(waits.stream().distinct().count()).as("jitter spreads the waits").isGreaterThan(10);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void onlyTheFailuresAndResultsThePredicatesNameAreRetried(Mode mode) {
    RetrySettings retry = RetrySettings.builder(3)
        .fixedBackoff(Duration.ofMillis(10))
        .retryOn(e -> e instanceof IllegalStateException)
        .retryOnResult("busy"::equals)
        .build();
    Policy policy = Policy.builder("p").timeSource(time).asyncExecutor(Runnable::run)
        .retry(retry).build();

    assertThat(mode.call(policy, time, this::failing).failure).hasMessage("attempt 1 failed");
    AtomicInteger calls = new AtomicInteger();
    Outcome<String> busy = mode.call(policy, time, () -> calls.incrementAndGet() < 3 ? "busy" : "ok");
    assertThat(busy.result).isEqualTo("ok");
    assertThat(calls).hasValue(3);
  }

  @Test
  void badSettingsAreRefusedWhenBuiltNamingTheValue() {
    assertThatThrownBy(() -> RetrySettings.builder(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxAttempts must be >= 1, was 0");
    assertThatThrownBy(() -> RetrySettings.builder(3).backoff(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("initial must be positive, was 0s");
    assertThatThrownBy(() -> RetrySettings.builder(3).jitter(1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("jitter must be in [0, 1], was 1.5");
    assertThatThrownBy(() -> RetrySettings.builder(3).multiplier(0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("multiplier must be >= 1, was 0.5");
    RetrySettings.Builder twice = RetrySettings.builder(3).jitter(0.1);
    assertThatThrownBy(() -> twice.jitter(0.2))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("jitter was already set to 0.1");
    assertThatThrownBy(() -> Policy.builder("p").retry(3, Duration.ofMillis(1), Duration.ofSeconds(1))
            .retry(RetrySettings.builder(2).build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("retry was already set to RetrySettings[3 attempts");
  }

  @Test
  void aHugeBackoffIsTakenAs36500DaysAndAFirstFailureStillEndsAtTheTotalTimeout() {
    RetrySettings retry = RetrySettings.builder(3)
        .backoff(Duration.ofDays(200_000), Duration.ofMillis(Long.MAX_VALUE))
        .build();
    assertThat(retry.backoff(1)).isEqualTo(Duration.ofDays(36_500));
    assertThat(retry.backoff(Integer.MAX_VALUE)).isEqualTo(Duration.ofDays(36_500));
    Policy policy = Policy.builder("p").timeSource(time).retry(retry)
        .totalTimeout(Duration.ofSeconds(1)).build();

    assertThat(Mode.SYNC.call(policy, time, this::failing).failure).hasMessage("attempt 1 failed");
    assertThat(time.nanoTime()).isZero();
  }
}
