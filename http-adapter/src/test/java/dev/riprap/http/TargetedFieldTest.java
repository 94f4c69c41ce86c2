package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A targeted field is used only when it is a valid Structured Field Dictionary (RFC 8941). */
class TargetedFieldTest {
  @ParameterizedTest
  @ValueSource(strings = {"max-age=60", "max-age=60, private", "no-store", "max-age=0",
      "max-age=10, foo=bar, baz=\"q\\\"x\", n=1.5, b=?1, y=:aGk=:", "max-age=5;a=1, *x",
      "max-age=60,   s-maxage=7"})
  void validDictionariesAreUsed(String value) {
    assertThat(TargetedField.valid(List.of(value))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "max-age=\"60\"", "max-age =60", "max-age= 60", "MAX-AGE=60",
      "max-age=60,", "max-age=6.5", "max-age=1234567890123456", "a=\"unterminated",
      "max-age=60; ", "private=", "a=?2", "1a=1", "a=b c"})
  void invalidOnesAreIgnoredAsAWhole(String value) {
    assertThat(TargetedField.valid(List.of(value))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"max-age=60", "private"})
  void severalLinesFormOneDictionary(String second) {
    assertThat(TargetedField.valid(List.of("no-cache", second))).isTrue();
  }
}
