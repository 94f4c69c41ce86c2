package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.Hedging;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hedging settings are checked when given, naming the argument, the value and what was expected;
 * huge durations saturate at 36,500 days.
 */
class HedgingValidationTest {
  @Test
  void theDelayMustBePositive() {
    assertThatThrownBy(() -> Hedging.after(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("hedge delay must be positive, was 0s");
    assertThatThrownBy(() -> Hedging.after(Duration.ofMillis(-5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("hedge delay must be positive, was -5ms");
    assertThatThrownBy(() -> Hedging.after(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("hedge delay");
  }

  @Test
  void aHugeDelayIsTakenAs36500Days() {
    assertThat(Hedging.after(Duration.ofSeconds(Long.MAX_VALUE)).delay())
        .contains(Duration.ofDays(36_500));
    assertThat(Hedging.percentile(99, Duration.ofMillis(1), Duration.ofSeconds(Long.MAX_VALUE))
        .ceiling()).contains(Duration.ofDays(36_500));
  }

  @Test
  void thePercentileMustBeBetweenZeroAndAHundredExclusive() {
    for (double bad : new double[] {0, 100, -1, Double.NaN}) {
      assertThatThrownBy(() -> Hedging.percentile(bad, Duration.ofMillis(1), Duration.ofSeconds(1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("hedge percentile must be in (0, 100), was " + bad);
    }
    assertThat(Hedging.percentile(99.9, Duration.ofMillis(1), Duration.ofSeconds(1)).percentile())
        .hasValue(99.9);
  }

  @Test
  void theFloorAndCeilingMustBePositiveAndInOrder() {
    assertThatThrownBy(() -> Hedging.percentile(95, Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("hedge floor must be positive, was 0s");
    assertThatThrownBy(() -> Hedging.percentile(95, Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("hedge ceiling must be at least the floor 2s, was 1s");
  }

  @Test
  void maxHedgesMustBeFromOneToTen() {
    Hedging h = Hedging.after(Duration.ofMillis(50));
    assertThat(h.maxHedges()).isEqualTo(1);
    assertThat(h.maxHedges(10).maxHedges()).isEqualTo(10);
    assertThatThrownBy(() -> h.maxHedges(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxHedges must be in [1, 10], was 0");
    assertThatThrownBy(() -> h.maxHedges(11)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxHedges must be in [1, 10], was 11");
  }

  @Test
  void aGroupTakesNoNullHedgingAndShowsItsHedging() {
    EndpointGroup.Builder<String> b = EndpointGroup.builder("replicas", List.of("a", "b"));
    assertThatThrownBy(() -> b.hedging(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("hedging");
    assertThat(b.hedging(Hedging.after(Duration.ofMillis(50)).maxHedges(2)).build())
        .hasToString("EndpointGroup{replicas, 2 endpoints, leastOutstanding, outlier detection on,"
            + " Hedging{after 50ms, maxHedges=2}}");
  }
}
