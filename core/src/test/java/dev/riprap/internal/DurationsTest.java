package dev.riprap.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Durations;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

  @Test
  void parsesTheShortFormsAndIso() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(Durations.parse(" 1m ")).isEqualTo(Duration.ofMinutes(1));
    assertThat(Durations.parse("3h")).isEqualTo(Duration.ofHours(3));
    assertThat(Durations.parse("1d")).isEqualTo(Duration.ofDays(1));
    assertThat(Durations.parse("500us")).isEqualTo(Duration.ofNanos(500_000));
    assertThat(Durations.parse("PT0.5S")).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void rejectsOtherTextNamingItAndTheExpectedForm() {
    assertThatThrownBy(() -> Durations.parse("2 seconds"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'2 seconds' is not a duration such as 250ms, 2s, 1m or ISO-8601 like PT2S");
  }

  @Test
  void formatsWithTheLargestExactUnit() {
    assertThat(Durations.format(Duration.ofMillis(2000))).isEqualTo("2s");
    assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90m");
    assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
  }
}
