package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.event.RetryScheduled;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code Retry-After}: delta-seconds and the three HTTP-date forms of RFC 9110 section 5.6.7. */
@ExtendWith(LeakCheck.class)
class RetryAfterTest {
  /** The fake clock's start ({@code FakeTimeSource}'s default epoch). */
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final HttpClient DELEGATE =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static Upstream upstream;

  @BeforeAll
  static void start() throws Exception {
    upstream = new Upstream((n, e) -> new Upstream.Answer(200, "ok"));
  }

  @AfterAll
  static void stop() {
    upstream.close();
  }

  private static Optional<Duration> wait(String value, Instant now) {
    return RetryAfter.parse(value, now);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "Thu, 01 Jan 2026 00:00:07 GMT   | PT7S",
    "Thursday, 01-Jan-26 00:00:07 GMT | PT7S",
    "Thu Jan  1 00:00:07 2026        | PT7S",
    "Thu Jan 15 00:00:00 2026        | PT336H",
    "thu, 01 JAN 2026 00:01:00 gmt   | PT1M",
    "Thu, 1 Jan 2026 00:00:09 GMT    | PT9S",
  })
  void eachOfTheThreeDateFormsGivesTheTimeUntilThatDate(String value, Duration expected) {
    assertThat(wait(value, NOW)).hasValue(expected);
  }

  @Test
  void aTwoDigitYearMoreThanFiftyYearsAheadIsInThePastCentury() {
    Instant in2026 = Instant.parse("2026-06-01T00:00:00Z");

    assertThat(HttpDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", in2026))
        .hasValue(Instant.parse("1994-11-06T08:49:37Z"));
    assertThat(HttpDate.parse("Saturday, 01-Jun-76 00:00:01 GMT", in2026))
        .as("50 years and a second ahead: the past century")
        .hasValue(Instant.parse("1976-06-01T00:00:01Z"));
    assertThat(HttpDate.parse("Monday, 01-Jun-76 00:00:00 GMT", in2026))
        .as("exactly 50 years ahead: this century")
        .hasValue(Instant.parse("2076-06-01T00:00:00Z"));
    assertThat(HttpDate.parse("Monday, 01-Jan-01 00:00:00 GMT",
        Instant.parse("2099-12-31T00:00:00Z")))
        .as("only a year too far ahead moves; one far behind stays in this century")
        .hasValue(Instant.parse("2001-01-01T00:00:00Z"));
  }

  @Test
  void aLeapSecondIsReadAsTheNextSecond() {
    assertThat(HttpDate.parse("Sat, 31 Dec 2016 23:59:60 GMT", NOW))
        .hasValue(Instant.parse("2017-01-01T00:00:00Z"));
  }

  @Test
  void aDateInThePastAsksForNoWait() {
    assertThat(wait("Sun, 06 Nov 1994 08:49:37 GMT", NOW)).hasValue(Duration.ZERO);
    assertThat(wait("Sunday, 06-Nov-94 08:49:37 GMT", NOW)).hasValue(Duration.ZERO);
  }

  @ParameterizedTest
  @CsvSource({"0, PT0S", "120, PT2M", "0005, PT5S", "'  30 ', PT30S"})
  void deltaSecondsAreTheWait(String value, Duration expected) {
    assertThat(wait(value, NOW)).hasValue(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"9223372036854775808", "99999999999999999999999999999999999999"})
  void moreSecondsThanALongHoldsSaturate(String value) {
    assertThat(wait(value, NOW)).hasValue(RetryAfter.LONGEST);
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "", "   ", "-5", "+5", "1.5", "5s", "soon", "0x10",
    "Thu, 01 Jan 2026 00:00:07 UTC",      // not GMT
    "Thu, 31 Feb 2026 00:00:07 GMT",      // no such day
    "Thu, 01 Jan 2026 24:00:00 GMT",      // no such hour
    "Thursday, 01-Jan-2026 00:00:07 GMT", // RFC 850 has a two-digit year
    "Thu Jan 1 00:00:07 2026",            // asctime pads the day with a space
    "Thu, 01 Jan 2026 00:00:07 GMT trailing",
  })
  void garbageIsNoWaitAtAll(String value) {
    assertThat(wait(value, NOW)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anObsoleteRfc850DateFromTheServerSetsTheWait(Mode mode) throws Exception {
    assertTheServersDateSetsTheWait(mode, "Thursday, 01-Jan-26 00:00:04 GMT", Duration.ofSeconds(4));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anAsctimeDateFromTheServerSetsTheWait(Mode mode) throws Exception {
    assertTheServersDateSetsTheWait(mode, "Thu Jan  1 00:00:06 2026", Duration.ofSeconds(6));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aHugeDeltaIsCutToTheMaximumAndThenEndsTheCallPastTheTotalTimeout(Mode mode)
      throws Exception {
    upstream.script((n, e) -> new Upstream.Answer(503, "busy " + n,
        "Retry-After", "99999999999999999999999"));
    Harness h = new Harness(DELEGATE, ResilientHttpClient.builder()
        .policy(HttpPolicy.builder("huge").maxRetryAfter(Duration.ofMinutes(5)).build()));
    int before = upstream.requests.get();

    var response = mode.send(h, get(), BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isEqualTo("busy " + (before + 1));
    assertThat(upstream.requests.get() - before).isEqualTo(1);
    assertThat(h.events(RetryScheduled.class)).isEmpty();
  }

  private void assertTheServersDateSetsTheWait(Mode mode, String date, Duration expected)
      throws Exception {
    upstream.script((n, e) -> n % 2 == 1
        ? new Upstream.Answer(503, "busy", "Retry-After", date)
        : new Upstream.Answer(200, "ok"));
    upstream.requests.set(0);
    Harness h = new Harness(DELEGATE, ResilientHttpClient.builder()
        .policy(HttpPolicy.builder("dates").jitter(0).build()));

    var response = mode.send(h, get(), BodyHandlers.ofString());

    assertThat(response.body()).isEqualTo("ok");
    assertThat(h.retryDelays()).containsExactly(expected);
    assertThat(upstream.requests.get()).isEqualTo(2);
  }

  private static HttpRequest get() {
    return HttpRequest.newBuilder(upstream.uri("/items")).build();
  }
}
