package dev.riprap.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The message templates and the saturation every builder and parser shares. */
class CheckTest {

  @Test
  void aValuePassedInCodeIsNamedWithWhatWasExpected() {
    assertThatThrownBy(() -> Check.positive(Duration.ofSeconds(-1), "attemptTimeout"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("attemptTimeout must be positive, was -1s");
    assertThatThrownBy(() -> Check.notNegative(Duration.ofMillis(-1), "maxWait"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWait must not be negative, was -1ms");
    assertThatThrownBy(() -> Check.atLeastOneMilli(Duration.ofNanos(10), "breakDuration"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("breakDuration must be at least 1ms, was 10ns");
    assertThatThrownBy(() -> Check.atLeast(0, 1, "maxAttempts"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxAttempts must be >= 1, was 0");
    assertThatThrownBy(() -> Check.inRange(11, 0, 10, "maxRetries"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxRetries must be in [0, 10], was 11");
    assertThatThrownBy(() -> Check.inRange(Double.NaN, 0, 1000, "ratio"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ratio must be in [0, 1000], was NaN");
    assertThatThrownBy(() -> Check.notBlank(" ", "name"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must not be blank, was ' '");
    assertThatThrownBy(() -> Check.positive(null, "attemptTimeout"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("attemptTimeout");
  }

  @Test
  void aParsedTextIsQuotedAsWritten() {
    assertThatThrownBy(
            () -> Check.positiveDuration("riprap.policies.inventory.retry.wait-duration", "-1s"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "riprap.policies.inventory.retry.wait-duration: expected a positive duration such as"
                + " 250ms, 2s or PT2S, was '-1s'");
    assertThatThrownBy(() -> Check.millisDuration("X.get(): @Retry delay", "2 seconds"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "X.get(): @Retry delay: expected a duration of at least 1ms such as 250ms, 2s or PT2S,"
                + " was '2 seconds'");
    assertThat(Check.nonNegativeDuration("k", " 0s ")).isEqualTo(Duration.ZERO);
  }

  @Test
  void aSettingGivenTwiceNamesItsCurrentValue() {
    assertThatThrownBy(() -> Check.requireUnset(true, "attemptTimeout", Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("attemptTimeout was already set to 1s");
    Check.requireUnset(false, "attemptTimeout", null);
  }

  @Test
  void conflictingSettingsShowDurationsInTheShortForm() {
    assertThatThrownBy(
            () ->
                Check.requireState(
                    false, "a (%s) must not exceed b (%s)", Duration.ofDays(2), Duration.ZERO))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("a (2d) must not exceed b (0s)");
  }

  @Test
  void longDurationsAreCappedAt36500Days() {
    assertThat(Check.capped(Duration.ofDays(200_000))).isEqualTo(Duration.ofDays(36_500));
    assertThat(Check.capped(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)))
        .isEqualTo(Duration.ofDays(36_500));
    assertThat(Check.capped(Duration.ofDays(36_500))).isEqualTo(Duration.ofDays(36_500));
    assertThat(Check.capped(Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(5));
    // Two capped values still add up in nanoseconds.
    assertThat(Math.addExact(Check.LONGEST.toNanos(), Check.LONGEST.toNanos())).isPositive();
  }

  @Test
  void nanosecondsSaturateInsteadOfOverflowing() {
    assertThat(Check.saturatedNanos(Duration.ofDays(200_000))).isEqualTo(Long.MAX_VALUE);
    assertThat(Check.saturatedNanos(Duration.ofDays(-200_000))).isEqualTo(Long.MIN_VALUE);
    assertThat(Check.saturatedNanos(Duration.ofNanos(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
    assertThat(Check.saturatedNanos(Duration.ofNanos(Long.MIN_VALUE))).isEqualTo(Long.MIN_VALUE);
    assertThat(Check.saturatedNanos(Duration.ofNanos(Long.MAX_VALUE).plusNanos(1)))
        .isEqualTo(Long.MAX_VALUE);
    assertThat(Check.saturatedNanos(Duration.ofNanos(Long.MIN_VALUE).minusNanos(1)))
        .isEqualTo(Long.MIN_VALUE);
    assertThat(Check.saturatedNanos(Duration.ofMillis(-1500))).isEqualTo(-1_500_000_000L);
  }
}
