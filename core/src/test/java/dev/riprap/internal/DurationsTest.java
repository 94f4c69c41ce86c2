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
        .hasMessage("'2 seconds' is not a duration such as 250ms, 2s or PT2S");
  }

  @Test
  void parsesAnyLengthADurationHoldsExactly() {
    assertThat(Durations.parse("200000d")).isEqualTo(Duration.ofDays(200_000));
    assertThat(Durations.parse("PT2562048H")).isEqualTo(Duration.ofHours(2_562_048));
    assertThat(Durations.parse("9223372036854775807ms"))
        .isEqualTo(Duration.ofMillis(Long.MAX_VALUE));
    assertThat(Durations.parse("9223372036854775807us"))
        .isEqualTo(Duration.ofSeconds(9_223_372_036_854L, 775_807_000));
    assertThat(Durations.parse("9223372036854775807s"))
        .isEqualTo(Duration.ofSeconds(Long.MAX_VALUE));
    assertThat(Durations.parse("106751991167300d"))
        .isEqualTo(Duration.ofDays(106_751_991_167_300L));
  }

  @Test
  void refusesANumberTooLargeForADurationWithAnArithmeticCause() {
    for (String text :
        new String[] {"9223372036854775808s", "106751991167301d", "99999999999999999999999ms",
          "PT9999999999999999999H"}) {
      assertThatThrownBy(() -> Durations.parse(text))
          .as(text)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("'" + text + "' is too long: a duration can be at most 292 billion years")
          .hasCauseInstanceOf(ArithmeticException.class);
    }
  }

  @Test
  void formatsWithTheLargestExactUnit() {
    assertThat(Durations.format(Duration.ofMillis(2000))).isEqualTo("2s");
    assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90m");
    assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(Durations.format(Duration.ofMillis(-5))).isEqualTo("-5ms");
    assertThat(Durations.format(Duration.ofNanos(1_500))).isEqualTo("1500ns");
  }

  @Test
  void formatsDurationsPastTheNanosecondRangeInTheShortFormToo() {
    assertThat(Durations.format(Duration.ofDays(200_000))).isEqualTo("200000d");
    assertThat(Durations.format(Duration.ofHours(2_562_048))).isEqualTo("106752d");
    assertThat(Durations.format(Duration.ofSeconds(Long.MAX_VALUE)))
        .isEqualTo("9223372036854775807s");
    assertThat(Durations.format(Duration.ofDays(-200_000))).isEqualTo("-200000d");
    // Not whole seconds and past 292 years: no short form is exact.
    assertThat(Durations.format(Duration.ofSeconds(Long.MAX_VALUE, 1)))
        .isEqualTo(Duration.ofSeconds(Long.MAX_VALUE, 1).toString());
    assertThat(Durations.format(Duration.ofSeconds(Long.MIN_VALUE)))
        .isEqualTo(Duration.ofSeconds(Long.MIN_VALUE).toString());
  }
}
