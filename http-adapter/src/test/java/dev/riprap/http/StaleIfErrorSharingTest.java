package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Authenticator;
import java.net.CookieManager;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The stale-if-error store behaves as a shared cache (RFC 9111 sections 3, 3.5, 4.1, 4.2.4): one
 * caller's answer reaches another only when the response allows it. Each test stores (or not) the
 * first answer of a real server on 127.0.0.1, then the server fails and a second request shows
 * what the store serves.
 */
@ExtendWith(LeakCheck.class)
class StaleIfErrorSharingTest {
  private static final HttpClient DELEGATE =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private Upstream upstream;

  @BeforeEach
  void start() throws Exception {
    upstream = new Upstream((n, e) -> new Upstream.Answer(503, "down"));
  }

  @AfterEach
  void stop() {
    upstream.close();
  }

  private Harness harness(StaleIfError settings) {
    return harness(DELEGATE, settings);
  }

  private static Harness harness(HttpClient delegate, StaleIfError settings) {
    return new Harness(delegate, ResilientHttpClient.builder()
        .policy(HttpPolicy.builder("shared").maxRetries(0).build())
        .staleIfError(settings));
  }

  private HttpRequest get(String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(upstream.uri("/me"));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b.build();
  }

  /** The server answers the first request with {@code first}, every later one with 503. */
  private void firstThenDown(Upstream.Answer first) {
    upstream.script((n, e) -> n == 1 ? first : new Upstream.Answer(503, "down"));
  }

  /** Sends {@code stored}, lets {@code seconds} pass, then sends {@code later}; its response. */
  private HttpResponse<String> storeThenAsk(Mode mode, Harness h, Upstream.Answer first,
      HttpRequest stored, long seconds, HttpRequest later) throws Exception {
    firstThenDown(first);
    assertThat(mode.send(h, stored, BodyHandlers.ofString()).body()).isEqualTo(first.body());
    h.fake.advance(Duration.ofSeconds(seconds));
    HttpResponse<String> r = mode.send(h, later, BodyHandlers.ofString());
    assertThat(upstream.requests.get()).as("requests the server received").isEqualTo(2);
    return r;
  }

  /**
   * Stores (or not) {@code first}, the answer to {@code stored}; {@code seconds} later the server
   * fails and a plain GET gets the failure: nothing was kept.
   */
  private void assertNotKept(Mode mode, Upstream.Answer first, HttpRequest stored, long seconds)
      throws Exception {
    assertNotServed(
        storeThenAsk(mode, harness(StaleIfError.defaults()), first, stored, seconds, get()));
  }

  /**
   * Stores {@code first}, a response whose directives forbid serving it stale; {@code seconds}
   * later, at {@code age} (the last second of its freshness), a plain GET gets it; a second later
   * it does not.
   */
  private void assertServedOnlyWhileFresh(Mode mode, Upstream.Answer first, HttpRequest stored,
      long seconds, long age) throws Exception {
    Harness h = harness(StaleIfError.defaults());
    var fresh = storeThenAsk(mode, h, first, stored, seconds, get());
    h.fake.advance(Duration.ofSeconds(1));
    var stale = mode.send(h, get(), BodyHandlers.ofString());

    assertStale(fresh, first.body());
    assertThat(fresh.headers().firstValue("Age")).hasValue(Long.toString(age));
    assertNotServed(stale);
  }

  private static void assertStale(HttpResponse<String> r, String body) {
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(body);
    assertThat(r.headers().firstValue(HttpCache.STALE_HEADER)).hasValue("true");
  }

  private static void assertNotServed(HttpResponse<String> r) {
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("down");
    assertThat(r.headers().firstValue(HttpCache.STALE_HEADER)).isEmpty();
  }

  // ---------------------------------------------------------------- credentials (9111 §3.5)

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theAnswerToARequestWithACookieIsNotKeptForAnotherCaller(Mode mode) throws Exception {
    assertNotKept(mode, new Upstream.Answer(200, "alice's cart"),
        get("Cookie", "session=alice"), 1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aHeaderTheUserNamesAsACredentialKeepsTheAnswerPrivate(Mode mode) throws Exception {
    Harness h = harness(StaleIfError.defaults().withCredentialHeaders("X-Api-Key"));

    var r = storeThenAsk(mode, h, new Upstream.Answer(200, "tenant a"),
        get("x-api-key", "tenant-a"), 1, get("X-Api-Key", "tenant-b"));

    assertNotServed(r);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anAnswerToCredentialsThatSaysPublicIsSharedEvenWhenStale(Mode mode) throws Exception {
    Harness h = harness(StaleIfError.defaults());

    var r = storeThenAsk(mode, h,
        new Upstream.Answer(200, "price list", "Cache-Control", "public, max-age=1"),
        get("Authorization", "Bearer a"), 30, get());

    assertStale(r, "price list");
    assertThat(r.headers().firstValue("Age")).hasValue("30");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anAnswerToCredentialsWithSMaxAgeIsSharedOnlyWhileFresh(Mode mode) throws Exception {
    assertServedOnlyWhileFresh(mode,
        new Upstream.Answer(200, "shared", "Cache-Control", "s-maxage=60"),
        get("Authorization", "Bearer a"), 59, 59);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void cookiesTheDelegatesCookieHandlerAddsMakeTheAnswerPrivate(Mode mode) throws Exception {
    HttpClient withCookies = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .cookieHandler(new CookieManager()).build();
    Harness h = harness(withCookies, StaleIfError.defaults());
    List<String> cookiesSent = new CopyOnWriteArrayList<>();
    upstream.script((n, e) -> {
      cookiesSent.add(String.valueOf(e.getRequestHeaders().getFirst("Cookie")));
      return n == 1 ? new Upstream.Answer(200, "logged in", "Set-Cookie", "session=alice")
          : n == 2 ? new Upstream.Answer(200, "alice's page") : new Upstream.Answer(503, "down");
    });
    mode.send(h, get(), BodyHandlers.ofString());
    assertThat(mode.send(h, get(), BodyHandlers.ofString()).body()).isEqualTo("alice's page");

    assertNotServed(mode.send(h, get(), BodyHandlers.ofString()));
    assertThat(cookiesSent).containsExactly("null", "session=alice", "session=alice");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void withAnAuthenticatorOnTheDelegateEveryAnswerCountsAsAnAnswerToCredentials(Mode mode)
      throws Exception {
    HttpClient authenticating = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .authenticator(new Authenticator() {}).build();
    Harness h = harness(authenticating, StaleIfError.defaults());

    var r = storeThenAsk(mode, h, new Upstream.Answer(200, "maybe alice's"), get(), 1, get());

    assertNotServed(r);
  }

  // ---------------------------------------------------------------- directives (9111 §3, §5.2)

  @ParameterizedTest
  @EnumSource(Mode.class)
  void privateIsNotKeptByASharedCache(Mode mode) throws Exception {
    assertNotKept(mode,
        new Upstream.Answer(200, "mine", "Cache-Control", "max-age=60, PRIVATE"), get(), 1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void privateNamingFieldsKeepsTheRestOfTheResponse(Mode mode) throws Exception {
    Harness h = harness(StaleIfError.defaults());

    var r = storeThenAsk(mode, h, new Upstream.Answer(200, "page",
        "Cache-Control", "private=\"X-User, X-Trace\"", "X-User", "alice", "X-Trace", "t1",
        "X-Kind", "page"), get(), 1, get());

    assertStale(r, "page");
    assertThat(r.headers().firstValue("X-User")).isEmpty();
    assertThat(r.headers().firstValue("X-Trace")).isEmpty();
    assertThat(r.headers().firstValue("X-Kind")).hasValue("page");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void noStoreInAnyCaseAndPositionIsNotKept(Mode mode) throws Exception {
    assertNotKept(mode, new Upstream.Answer(200, "secret",
        "Cache-Control", "max-age=60", "Cache-Control", "No-Store"), get(), 1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aDirectiveNameThatOnlyContainsNoStoreIsNotNoStore(Mode mode) throws Exception {
    Harness h = harness(StaleIfError.defaults());

    var r = storeThenAsk(mode, h, new Upstream.Answer(200, "kept",
        "Cache-Control", "x-no-store-hint, x-note=\"private, no-store\""), get(), 1, get());

    assertStale(r, "kept");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void noCacheIsNotKeptSinceItMayNeverBeServedUnvalidated(Mode mode) throws Exception {
    assertNotKept(mode,
        new Upstream.Answer(200, "volatile", "Cache-Control", "no-cache"), get(), 0);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRequestSayingNoStoreIsNotKept(Mode mode) throws Exception {
    assertNotKept(mode, new Upstream.Answer(200, "x"),
        get("Cache-Control", "no-store"), 1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aResponseSettingACookieIsNotKept(Mode mode) throws Exception {
    assertNotKept(mode, new Upstream.Answer(200, "welcome", "Set-Cookie", "session=abc"), get(), 1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void mustRevalidateIsServedWhileFreshAndNeverStale(Mode mode) throws Exception {
    // Arrived 4 s old: fresh for 6 s more.
    assertServedOnlyWhileFresh(mode, new Upstream.Answer(200, "strict",
        "Cache-Control", "max-age=10, must-revalidate", "Age", "4"), get(), 5, 9);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aResponseWithoutDirectivesIsServedStaleUpToTheMaximumAge(Mode mode) throws Exception {
    Harness h = harness(new StaleIfError(10, 4096, 8192, Duration.ofSeconds(30)));

    var r = storeThenAsk(mode, h, new Upstream.Answer(200, "plain"), get(), 30, get());
    h.fake.advance(Duration.ofSeconds(1));

    assertStale(r, "plain");
    assertNotServed(mode.send(h, get(), BodyHandlers.ofString()));
  }

  // ---------------------------------------------------------------- Vary (9111 §4.1)

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aCopyChosenByVaryIsServedOnlyToTheSameValues(Mode mode) throws Exception {
    Harness h = harness(StaleIfError.defaults());
    var same = storeThenAsk(mode, h,
        new Upstream.Answer(200, "Hallo", "Vary", "Accept-Language, Accept-Encoding"),
        get("Accept-Language", "de,  en;q=0.5"), 1, get("Accept-Language", "de, en;q=0.5"));

    var other = mode.send(h, get("Accept-Language", "en"), BodyHandlers.ofString());
    var none = mode.send(h, get(), BodyHandlers.ofString());
    var extra = mode.send(h, get("Accept-Language", "de, en;q=0.5", "Accept-Encoding", "gzip"),
        BodyHandlers.ofString());

    assertStale(same, "Hallo");
    assertNotServed(other);
    assertNotServed(none);
    assertNotServed(extra);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void varyStarIsNeverServed(Mode mode) throws Exception {
    assertNotKept(mode, new Upstream.Answer(200, "any", "Vary", "*"), get(), 0);
  }

  // ---------------------------------------------------------------- size

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anEntryWhoseHeadersAndBodyExceedTheCapIsNotKept(Mode mode) throws Exception {
    Harness h = harness(new StaleIfError(10, 300, 1000, Duration.ofMinutes(1)));

    var r = storeThenAsk(mode, h,
        new Upstream.Answer(200, "small body", "X-Padding", "p".repeat(300)), get(), 1, get());

    assertNotServed(r);
  }

  // ---------------------------------------------------------------- settings

  @Test
  void authorizationAndCookieAreAlwaysCredentialsAndNamesAreCaseBlind() {
    StaleIfError s = StaleIfError.defaults().withCredentialHeaders("X-Api-Key", "x-API-key");

    assertThat(s.credentialHeaders()).containsExactly("authorization", "cookie", "x-api-key");
    assertThat(new StaleIfError(1, 1, 1, Duration.ofSeconds(1), Set.of()).credentialHeaders())
        .containsExactly("authorization", "cookie");
    assertThat(s).isEqualTo(new StaleIfError(1_000, 256 * 1024, 16 * 1024 * 1024,
        Duration.ofMinutes(5), Set.of("X-API-KEY")));
  }

  @Test
  void aCredentialHeaderThatIsNoFieldNameIsRefused() {
    assertThatThrownBy(() -> StaleIfError.defaults().withCredentialHeaders("X Api Key"))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("credentialHeaders must be header field names (letters, digits and"
            + " !#$%&'*+-.^_`|~), was 'X Api Key'");
    assertThatThrownBy(() -> StaleIfError.defaults().withCredentialHeaders(""))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageEndingWith("was ''");
    assertThatThrownBy(() -> StaleIfError.defaults().withCredentialHeaders((String) null))
        .isExactlyInstanceOf(NullPointerException.class);
  }
}
