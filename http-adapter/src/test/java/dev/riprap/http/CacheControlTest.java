package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Cache-Control read as a directive list (RFC 9111 section 5.2), never searched as text. */
class CacheControlTest {
  private static CacheControl parse(String... lines) {
    return CacheControl.parse(List.of(lines));
  }

  @Test
  void namesAreCaseBlindAndArgumentsAreTokensOrQuotedStrings() {
    CacheControl cc = parse("Public, MAX-AGE=60, s-maxage=\"120\", x-ext=\"a \\\"b\\\" c\"");

    assertThat(cc.has("public")).isTrue();
    assertThat(cc.seconds("max-age")).hasValue(60);
    assertThat(cc.seconds("s-maxage")).hasValue(120);
    assertThat(cc.argument("x-ext")).hasValue("a \"b\" c");
    assertThat(cc.argument("public")).isEmpty();
  }

  @Test
  void aCommaInsideQuotesDoesNotSplitTheDirective() {
    CacheControl cc = parse("private=\"Set-Cookie, X-User\", max-age=5");

    assertThat(cc.fieldNames("private")).containsExactly("set-cookie", "x-user");
    assertThat(cc.hasUnqualified("private")).isFalse();
    assertThat(cc.has("x-user")).isFalse();
    assertThat(cc.seconds("max-age")).hasValue(5);
  }

  @Test
  void anUnqualifiedDirectiveAppliesToTheWholeResponse() {
    CacheControl cc = parse("no-cache, private");

    assertThat(cc.hasUnqualified("no-cache")).isTrue();
    assertThat(cc.hasUnqualified("private")).isTrue();
    assertThat(cc.fieldNames("no-cache")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "x-private-label", "no-stored", "max-age=60; private", "public-ish", "\"private\"",
    "x=\"private, no-store\"",
  })
  void aDirectiveIsNeverFoundAsASubstring(String value) {
    CacheControl cc = parse(value);

    assertThat(cc.has("private")).isFalse();
    assertThat(cc.has("no-store")).isFalse();
    assertThat(cc.has("public")).isFalse();
  }

  @Test
  void everyFieldLineIsReadAndTheFirstOccurrenceCounts() {
    CacheControl cc = parse("max-age=10", "no-store, max-age=99");

    assertThat(cc.has("no-store")).isTrue();
    assertThat(cc.seconds("max-age")).hasValue(10);
  }

  @Test
  void aMalformedDirectiveIsDroppedAndTheNextOneRead() {
    CacheControl cc = parse(" , =5, max-age=, bad junk, s-maxage=7 x, no-store,,private");

    assertThat(cc.has("max-age")).isFalse();
    assertThat(cc.has("bad")).isFalse();
    assertThat(cc.has("s-maxage")).isFalse();
    assertThat(cc.has("no-store")).isTrue();
    assertThat(cc.has("private")).isTrue();
  }

  @Test
  void anUnterminatedQuoteSwallowsTheRestOfItsLineOnly() {
    CacheControl cc = parse("public, private=\"Set-Cookie, no-store", "max-age=3");

    assertThat(cc.has("public")).isTrue();
    assertThat(cc.has("private")).isFalse();
    assertThat(cc.has("no-store")).isFalse();
    assertThat(cc.seconds("max-age")).hasValue(3);
  }

  @Test
  void deltaSecondsAreDigitsOnlyAndSaturateAtTwoToTheThirtyFirst() {
    assertThat(parse("max-age=99999999999999999999999").seconds("max-age"))
        .hasValue(CacheControl.MAX_DELTA_SECONDS);
    assertThat(parse("max-age=-1").seconds("max-age")).isEmpty();
    assertThat(parse("max-age=1.5").seconds("max-age")).isEmpty();
    assertThat(parse("max-age").seconds("max-age")).isEmpty();
    assertThat(CacheControl.deltaSeconds("42")).isEqualTo(OptionalLong.of(42));
    assertThat(CacheControl.deltaSeconds("4 2")).isEmpty();
  }

  @Test
  void noFieldIsNoDirective() {
    assertThat(parse()).isSameAs(CacheControl.NONE);
    assertThat(parse("", " , ")).isSameAs(CacheControl.NONE);
    assertThat(parse("No-Store, private=\"a\"").toString())
        .isEqualTo("no-store, private=\"a\"");
  }
}
