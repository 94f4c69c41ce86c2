package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.event.CacheEvent;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The cache against a real server on 127.0.0.1 whose requests are counted, on fake time: each
 * RFC 9111 rule, through send and sendAsync.
 */
@ExtendWith(LeakCheck.class)
class HttpCacheTest {
  static final HttpClient DELEGATE =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private Upstream upstream;
  /** The conditional headers each request arrived with: If-None-Match, If-Modified-Since. */
  private final List<String> conditions = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    upstream = new Upstream((n, e) -> new Upstream.Answer(200, "v" + n));
  }

  @AfterEach
  void stop() {
    upstream.close();
  }

  static Harness harness(CacheSettings settings) {
    return new Harness(DELEGATE, ResilientHttpClient.builder()
        .policy(HttpPolicy.builder("cached").maxRetries(0).build())
        .cache(settings));
  }

  private Harness harness() {
    return harness(CacheSettings.of(1 << 20));
  }

  /** Every answer is {@code status}, body "v<n>", with these headers. */
  private void answer(int status, String... headers) {
    upstream.script((n, e) -> {
      conditions.add(e.getRequestHeaders().getFirst("If-None-Match") + "|"
          + e.getRequestHeaders().getFirst("If-Modified-Since"));
      return new Upstream.Answer(status, "v" + n, headers);
    });
  }

  private HttpRequest get(String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(upstream.uri(path));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b.build();
  }

  private static String body(Mode mode, Harness h, HttpRequest r) throws Exception {
    return mode.send(h, r, BodyHandlers.ofString()).body();
  }

  static String httpDate(Instant at) {
    return DateTimeFormatter.RFC_1123_DATE_TIME.format(at.atOffset(ZoneOffset.UTC));
  }

  private static List<CacheEvent.Outcome> outcomes(Harness h) {
    return h.events(CacheEvent.class).stream().map(CacheEvent::outcome)
        .collect(Collectors.toList());
  }

  // ---------------------------------------------------------------- freshness

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFreshResponseIsServedWithoutARequestUpstreamUntilItsMaxAgePasses(Mode mode)
      throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=60");
    assertThat(body(mode, h, get("/a"))).isEqualTo("v1");
    h.fake.advance(Duration.ofSeconds(30));
    HttpResponse<String> hit = mode.send(h, get("/a"), BodyHandlers.ofString());
    assertThat(hit.body()).isEqualTo("v1");
    assertThat(hit.headers().firstValue("Age")).contains("30");
    assertThat(upstream.requests.get()).isEqualTo(1);
    h.fake.advance(Duration.ofSeconds(31));
    assertThat(body(mode, h, get("/a"))).isEqualTo("v2");
    assertThat(outcomes(h)).containsExactly(
        CacheEvent.Outcome.MISS, CacheEvent.Outcome.HIT, CacheEvent.Outcome.MISS);
  }

  @Test
  void sMaxageOverridesMaxAgeInASharedCacheButNotInAPrivateOne() throws Exception {
    answer(200, "Cache-Control", "max-age=100, s-maxage=10");
    Harness shared = harness();
    body(Mode.SYNC, shared, get("/s"));
    shared.fake.advance(Duration.ofSeconds(20));
    assertThat(body(Mode.SYNC, shared, get("/s"))).isEqualTo("v2");

    Harness own = harness(CacheSettings.of(1 << 20).asPrivate());
    body(Mode.SYNC, own, get("/p"));
    own.fake.advance(Duration.ofSeconds(20));
    assertThat(body(Mode.SYNC, own, get("/p"))).isEqualTo("v3");
    assertThat(upstream.requests.get()).isEqualTo(3);
  }

  @Test
  void theAgeTheResponseArrivedWithCountsAgainstItsLifetime() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=60", "Age", "50");
    body(Mode.SYNC, h, get("/age"));
    h.fake.advance(Duration.ofSeconds(5));
    assertThat(h.client.send(get("/age"), BodyHandlers.ofString()).headers()
        .firstValue("Age")).contains("55");
    h.fake.advance(Duration.ofSeconds(6));
    assertThat(body(Mode.SYNC, h, get("/age"))).isEqualTo("v2");
  }

  @Test
  void expiresMinusDateIsTheLifetimeWhenNoMaxAgeIsGiven() throws Exception {
    Harness h = harness();
    Instant now = Instant.now();
    answer(200, "Date", httpDate(now), "Expires", httpDate(now.plusSeconds(60)));
    body(Mode.SYNC, h, get("/e"));
    h.fake.advance(Duration.ofSeconds(50));
    assertThat(body(Mode.SYNC, h, get("/e"))).isEqualTo("v1");
    h.fake.advance(Duration.ofSeconds(20));
    assertThat(body(Mode.SYNC, h, get("/e"))).isEqualTo("v2");
  }

  @Test
  void ofAnAgeListTheFirstMemberCounts() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=3600", "Age", "7200, 0");
    body(Mode.SYNC, h, get("/agelist"));
    assertThat(body(Mode.SYNC, h, get("/agelist"))).isEqualTo("v2");
    answer(200, "Cache-Control", "max-age=3600", "Age", "0, 7200");
    body(Mode.SYNC, h, get("/agelist2"));
    assertThat(body(Mode.SYNC, h, get("/agelist2"))).isEqualTo("v3");
  }

  @Test
  void aTargetedFieldDecidesInPlaceOfCacheControlWhenTheSettingsNameIt() throws Exception {
    Harness cdn = harness(CacheSettings.of(1 << 20).withTargetedFields("CDN-Cache-Control"));
    answer(200, "CDN-Cache-Control", "max-age=600", "Cache-Control", "no-store");
    body(Mode.SYNC, cdn, get("/cdn1"));
    assertThat(body(Mode.SYNC, cdn, get("/cdn1"))).isEqualTo("v1");
    answer(200, "CDN-Cache-Control", "no-store", "Cache-Control", "max-age=600");
    body(Mode.SYNC, cdn, get("/cdn2"));
    assertThat(body(Mode.SYNC, cdn, get("/cdn2"))).isEqualTo("v3");
    answer(200, "CDN-Cache-Control", "max-age=\"600\"", "Cache-Control", "no-store");
    body(Mode.SYNC, cdn, get("/cdn3")); // a string where an Integer belongs: the field is invalid
    body(Mode.SYNC, cdn, get("/cdn3"));
    answer(200, "CDN-Cache-Control", "max-age =600", "Cache-Control", "no-store");
    body(Mode.SYNC, cdn, get("/cdn4")); // no space may precede '=' in a dictionary
    body(Mode.SYNC, cdn, get("/cdn4"));
    answer(200, "CDN-Cache-Control", "no-store", "Cache-Control", "max-age=600");
    Harness client = harness();
    body(Mode.SYNC, client, get("/cdn2"));
    assertThat(body(Mode.SYNC, client, get("/cdn2"))).isEqualTo("v8");
    assertThat(upstream.requests.get()).isEqualTo(8);
  }

  @Test
  void aStatusTheCacheDoesNotKnowIsKeptWithAnExplicitLifetime() throws Exception {
    Harness h = harness();
    answer(599, "Cache-Control", "max-age=600");
    assertThat(h.client.send(get("/599"), BodyHandlers.ofString()).statusCode()).isEqualTo(599);
    HttpResponse<String> again = h.client.send(get("/599"), BodyHandlers.ofString());
    assertThat(again.statusCode()).isEqualTo(599);
    assertThat(again.body()).isEqualTo("v1");
    answer(299, "Cache-Control", "no-store, must-understand, max-age=600");
    h.client.send(get("/299"), BodyHandlers.ofString());
    h.client.send(get("/299"), BodyHandlers.ofString());
    answer(200, "Cache-Control", "no-store, must-understand, max-age=600");
    h.client.send(get("/mu"), BodyHandlers.ofString());
    assertThat(body(Mode.SYNC, h, get("/mu"))).isEqualTo("v4");
    assertThat(upstream.requests.get()).isEqualTo(4);
  }

  @Test
  void anExpiresThatIsNoDateMeansAlreadyExpired() throws Exception {
    Harness h = harness();
    answer(200, "Expires", "0");
    body(Mode.SYNC, h, get("/e0"));
    assertThat(body(Mode.SYNC, h, get("/e0"))).isEqualTo("v2");
  }

  @Test
  void withoutAnExplicitLifetimeTenPercentOfTheTimeSinceLastModifiedIsFresh() throws Exception {
    Instant now = Instant.now();
    answer(200, "Date", httpDate(now), "Last-Modified", httpDate(now.minusSeconds(1000)));
    Harness h = harness();
    body(Mode.SYNC, h, get("/h"));
    h.fake.advance(Duration.ofSeconds(90));
    assertThat(body(Mode.SYNC, h, get("/h"))).isEqualTo("v1");
    h.fake.advance(Duration.ofSeconds(20));
    assertThat(body(Mode.SYNC, h, get("/h"))).isEqualTo("v2");

    Harness off = harness(CacheSettings.of(1 << 20).withHeuristicFreshness(false));
    body(Mode.SYNC, off, get("/h2"));
    assertThat(body(Mode.SYNC, off, get("/h2"))).isEqualTo("v4");
  }

  // ---------------------------------------------------------------- validation

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aStaleResponseWithAnETagIsValidatedAndA304RefreshesItsHeaders(Mode mode)
      throws Exception {
    Harness h = harness();
    upstream.script((n, e) -> {
      conditions.add(String.valueOf(e.getRequestHeaders().getFirst("If-None-Match")));
      return n == 1
          ? new Upstream.Answer(200, "body", "ETag", "\"x1\"", "Cache-Control", "max-age=10",
              "X-Version", "1")
          : new Upstream.Answer(304, "", "ETag", "\"x1\"", "Cache-Control", "max-age=60",
              "X-Version", "2");
    });
    body(mode, h, get("/v"));
    h.fake.advance(Duration.ofSeconds(11));
    HttpResponse<String> validated = mode.send(h, get("/v"), BodyHandlers.ofString());
    assertThat(validated.statusCode()).isEqualTo(200);
    assertThat(validated.body()).isEqualTo("body");
    assertThat(validated.headers().firstValue("X-Version")).contains("2");
    assertThat(conditions).containsExactly("null", "\"x1\"");
    h.fake.advance(Duration.ofSeconds(50));
    assertThat(body(mode, h, get("/v"))).isEqualTo("body");
    assertThat(upstream.requests.get()).isEqualTo(2);
    assertThat(outcomes(h)).containsExactly(CacheEvent.Outcome.MISS,
        CacheEvent.Outcome.REVALIDATED, CacheEvent.Outcome.HIT);
  }

  @Test
  void aStaleResponseWithLastModifiedIsValidatedWithIfModifiedSince() throws Exception {
    Harness h = harness();
    String lm = httpDate(Instant.now().minusSeconds(5));
    answer(200, "Last-Modified", lm, "Cache-Control", "max-age=0");
    body(Mode.SYNC, h, get("/lm"));
    HttpResponse<String> second = h.client.send(get("/lm"), BodyHandlers.ofString());
    assertThat(second.body()).isEqualTo("v2");
    assertThat(conditions).containsExactly("null|null", "null|" + lm);
    assertThat(outcomes(h)).containsExactly(CacheEvent.Outcome.MISS, CacheEvent.Outcome.CHANGED);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void a304NamingAnotherStrongETagUpdatesNothingAndTheRequestIsSentAgainUnconditionally(
      Mode mode) throws Exception {
    Harness h = harness();
    upstream.script((n, e) -> {
      conditions.add(String.valueOf(e.getRequestHeaders().getFirst("If-None-Match")));
      return switch (n) {
        case 1 -> new Upstream.Answer(200, "old", "ETag", "\"a\"", "Cache-Control", "max-age=0");
        case 2 -> new Upstream.Answer(304, "", "ETag", "\"b\"", "Cache-Control", "max-age=60");
        default -> new Upstream.Answer(200, "new", "ETag", "\"c\"", "Cache-Control",
            "max-age=60");
      };
    });
    body(mode, h, get("/etag"));
    HttpResponse<String> again = mode.send(h, get("/etag"), BodyHandlers.ofString());
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.body()).isEqualTo("new");
    assertThat(again.headers().firstValue("ETag")).contains("\"c\"");
    assertThat(conditions).containsExactly("null", "\"a\"", "null");
    HttpResponse<String> hit = mode.send(h, get("/etag"), BodyHandlers.ofString());
    assertThat(hit.body()).isEqualTo("new");
    assertThat(hit.headers().firstValue("ETag")).contains("\"c\"");
    assertThat(upstream.requests.get()).isEqualTo(3);
    assertThat(outcomes(h)).containsExactly(CacheEvent.Outcome.MISS, CacheEvent.Outcome.CHANGED,
        CacheEvent.Outcome.HIT);
  }

  @Test
  void anInterruptWhileTheRequestIsSentAgainEndsTheSyncCallWithTheFlagKept() throws Exception {
    Harness h = harness();
    CountDownLatch resent = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    upstream.script((n, e) -> {
      if (n == 1) {
        return new Upstream.Answer(200, "old", "ETag", "\"a\"", "Cache-Control", "max-age=0");
      }
      if (n == 2) {
        return new Upstream.Answer(304, "", "ETag", "\"b\"");
      }
      resent.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException stopped) {
        Thread.currentThread().interrupt();
      }
      return new Upstream.Answer(200, "new");
    });
    body(Mode.SYNC, h, get("/int"));
    CompletableFuture<String> outcome = new CompletableFuture<>();
    Thread caller = new Thread(() -> {
      try {
        h.client.send(get("/int"), BodyHandlers.ofString());
        outcome.complete("answered");
      } catch (InterruptedException e) {
        outcome.complete("interrupted, flag " + Thread.currentThread().isInterrupted());
      } catch (Exception e) {
        outcome.complete(e.toString());
      }
    });
    caller.start();
    try {
      assertThat(resent.await(10, TimeUnit.SECONDS)).isTrue();
      caller.interrupt();
      assertThat(outcome.get(10, TimeUnit.SECONDS)).isEqualTo("interrupted, flag true");
    } finally {
      release.countDown();
      caller.join(10_000);
    }
  }

  @Test
  void a304WithAWeakETagSelectsTheStoredResponseByWeakComparison() throws Exception {
    Harness h = harness();
    upstream.script((n, e) -> {
      conditions.add(String.valueOf(e.getRequestHeaders().getFirst("If-None-Match")));
      return switch (n) {
        case 1 -> new Upstream.Answer(200, "old", "ETag", "\"a\"", "Cache-Control", "max-age=0");
        case 2 -> new Upstream.Answer(304, "", "ETag", "W/\"a\"", "Cache-Control", "max-age=0");
        case 3 -> new Upstream.Answer(304, "", "ETag", "W/\"b\"", "Cache-Control", "max-age=0");
        default -> new Upstream.Answer(200, "new", "ETag", "W/\"b\"", "Cache-Control",
            "max-age=0");
      };
    });
    body(Mode.SYNC, h, get("/weak"));
    assertThat(body(Mode.SYNC, h, get("/weak"))).isEqualTo("old");
    assertThat(body(Mode.SYNC, h, get("/weak"))).isEqualTo("new");
    assertThat(conditions).containsExactly("null", "\"a\"", "W/\"a\"", "null");
    assertThat(outcomes(h)).containsExactly(CacheEvent.Outcome.MISS,
        CacheEvent.Outcome.REVALIDATED, CacheEvent.Outcome.CHANGED);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void a304WithAnotherLastModifiedUpdatesNothingAndTheSameOneRefreshes(Mode mode)
      throws Exception {
    Harness h = harness();
    String lm = httpDate(Instant.now().minusSeconds(50));
    String later = httpDate(Instant.now().minusSeconds(5));
    upstream.script((n, e) -> {
      conditions.add(String.valueOf(e.getRequestHeaders().getFirst("If-Modified-Since")));
      return switch (n) {
        case 1 -> new Upstream.Answer(200, "old", "Last-Modified", lm, "Cache-Control",
            "max-age=0");
        case 2 -> new Upstream.Answer(304, "", "Last-Modified", lm, "Cache-Control", "max-age=0");
        case 3 -> new Upstream.Answer(304, "", "Last-Modified", later, "Cache-Control",
            "max-age=0");
        default -> new Upstream.Answer(200, "new", "Last-Modified", later, "Cache-Control",
            "max-age=0");
      };
    });
    body(mode, h, get("/lm2"));
    assertThat(body(mode, h, get("/lm2"))).isEqualTo("old");
    HttpResponse<String> changed = mode.send(h, get("/lm2"), BodyHandlers.ofString());
    assertThat(changed.body()).isEqualTo("new");
    assertThat(changed.headers().firstValue("Last-Modified")).contains(later);
    assertThat(conditions).containsExactly("null", lm, lm, "null");
    assertThat(upstream.requests.get()).isEqualTo(4);
  }

  @Test
  void noCacheInTheResponseStoresItButValidatesBeforeEveryUse() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "no-cache, max-age=600", "ETag", "\"n\"");
    body(Mode.SYNC, h, get("/nc"));
    body(Mode.SYNC, h, get("/nc"));
    assertThat(conditions).containsExactly("null|null", "\"n\"|null");
  }

  @Test
  void noCacheInTheRequestValidatesAFreshResponse() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=600", "ETag", "\"r\"");
    body(Mode.SYNC, h, get("/rnc"));
    body(Mode.SYNC, h, get("/rnc", "Cache-Control", "no-cache"));
    body(Mode.SYNC, h, get("/rnc", "Pragma", "no-cache"));
    assertThat(conditions).containsExactly("null|null", "\"r\"|null", "\"r\"|null");
  }

  @Test
  void theCallersOwnIfNoneMatchIsAnsweredFromAFreshResponse() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=600", "ETag", "W/\"w\"");
    body(Mode.SYNC, h, get("/inm"));
    HttpResponse<String> r = h.client.send(get("/inm", "If-None-Match", "\"w\""),
        BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(304);
    assertThat(r.body()).isEmpty();
    assertThat(upstream.requests.get()).isEqualTo(1);
  }

  // ---------------------------------------------------------------- what is kept

  @Test
  void noStoreAndPrivateAreNotKeptByASharedCache() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "no-store, max-age=60");
    body(Mode.SYNC, h, get("/ns"));
    body(Mode.SYNC, h, get("/ns"));
    answer(200, "Cache-Control", "private, max-age=60");
    body(Mode.SYNC, h, get("/pr"));
    body(Mode.SYNC, h, get("/pr"));
    assertThat(upstream.requests.get()).isEqualTo(4);

    Harness own = harness(CacheSettings.of(1 << 20).asPrivate());
    body(Mode.SYNC, own, get("/pr"));
    body(Mode.SYNC, own, get("/pr"));
    assertThat(upstream.requests.get()).isEqualTo(5);
  }

  @Test
  void anAnswerToAuthorizationIsKeptOnlyWhenTheResponseSaysItMayBeShared() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=60");
    body(Mode.SYNC, h, get("/auth", "Authorization", "Bearer a"));
    assertThat(body(Mode.SYNC, h, get("/auth", "Authorization", "Bearer b"))).isEqualTo("v2");
    answer(200, "Cache-Control", "public, max-age=60");
    body(Mode.SYNC, h, get("/pub", "Authorization", "Bearer a"));
    assertThat(body(Mode.SYNC, h, get("/pub", "Authorization", "Bearer b"))).isEqualTo("v3");
    assertThat(upstream.requests.get()).isEqualTo(3);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void varySelectsTheStoredResponseByTheRequestsHeaders(Mode mode) throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=60", "Vary", "Accept-Language");
    assertThat(body(mode, h, get("/vary", "Accept-Language", "en"))).isEqualTo("v1");
    assertThat(body(mode, h, get("/vary", "Accept-Language", "fr"))).isEqualTo("v2");
    assertThat(body(mode, h, get("/vary", "Accept-Language", "en"))).isEqualTo("v1");
    assertThat(body(mode, h, get("/vary", "Accept-Language", "EN"))).isEqualTo("v1");
    assertThat(body(mode, h, get("/vary"))).isEqualTo("v3");
    assertThat(upstream.requests.get()).isEqualTo(3);
  }

  @Test
  void keyHeadersSelectTheStoredResponseAsIfTheResponseVariedOnThem() throws Exception {
    Harness h = harness(CacheSettings.of(1 << 20).withKeyHeaders("X-Tenant"));
    answer(200, "Cache-Control", "max-age=60");
    assertThat(body(Mode.SYNC, h, get("/t", "X-Tenant", "a"))).isEqualTo("v1");
    assertThat(body(Mode.SYNC, h, get("/t", "X-Tenant", "b"))).isEqualTo("v2");
    assertThat(body(Mode.SYNC, h, get("/t", "X-Tenant", "a"))).isEqualTo("v1");
  }

  @Test
  void aResponseToHeadIsAnsweredFromAStoredGet() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=60", "X-Kind", "stored");
    body(Mode.SYNC, h, get("/head"));
    HttpResponse<String> head = h.client.send(
        HttpRequest.newBuilder(upstream.uri("/head")).method("HEAD",
            HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.ofString());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.headers().firstValue("X-Kind")).contains("stored");
    assertThat(upstream.requests.get()).isEqualTo(1);
  }

  @Test
  void aHeadResponseFreshensTheStoredGetItDescribes() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=10", "ETag", "\"e\"", "X-Kind", "old");
    body(Mode.SYNC, h, get("/fh"));
    h.fake.advance(Duration.ofSeconds(20));
    answer(200, "Cache-Control", "max-age=600", "ETag", "\"e\"", "X-Kind", "new");
    HttpRequest head = HttpRequest.newBuilder(upstream.uri("/fh"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
    h.client.send(head, BodyHandlers.ofString());
    HttpResponse<String> hit = h.client.send(get("/fh"), BodyHandlers.ofString());
    assertThat(hit.body()).isEqualTo("v1");
    assertThat(hit.headers().firstValue("X-Kind")).contains("new");
    assertThat(upstream.requests.get()).isEqualTo(2);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anUnsafeMethodInvalidatesItsUriAndItsLocationOnTheSameOrigin(Mode mode) throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=600");
    body(mode, h, get("/item"));
    body(mode, h, get("/list"));
    answer(201, "Location", "/list", "Cache-Control", "max-age=600");
    mode.send(h, HttpRequest.newBuilder(upstream.uri("/item"))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), BodyHandlers.ofString());
    answer(200, "Cache-Control", "max-age=600");
    assertThat(body(mode, h, get("/item"))).isEqualTo("v4");
    assertThat(body(mode, h, get("/list"))).isEqualTo("v5");
  }

  @Test
  void onlyIfCachedWithNothingStoredIsAnswered504WithoutARequestUpstream() throws Exception {
    Harness h = harness();
    HttpResponse<String> r = h.client.send(get("/oic", "Cache-Control", "only-if-cached"),
        BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(upstream.requests.get()).isZero();
  }

  @Test
  void maxStaleInTheRequestAcceptsAStaleResponseButNotOneThatMustRevalidate() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=10");
    body(Mode.SYNC, h, get("/ms"));
    answer(200, "Cache-Control", "max-age=10, must-revalidate");
    body(Mode.SYNC, h, get("/mr"));
    h.fake.advance(Duration.ofSeconds(20));
    HttpResponse<String> stale = h.client.send(get("/ms", "Cache-Control", "max-stale=30"),
        BodyHandlers.ofString());
    assertThat(stale.body()).isEqualTo("v1");
    assertThat(stale.headers().firstValue("Riprap-Stale")).contains("true");
    assertThat(body(Mode.SYNC, h, get("/mr", "Cache-Control", "max-stale"))).isEqualTo("v3");
  }

  @Test
  void malformedDirectivesAndFieldsAreIgnoredNeverThrown() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=\"60, =, no-store=\"x, ;;;", "Age", "-5",
        "Expires", "yesterday", "Vary", ",,,", "ETag", "garbage\u00e9", "Date", "not a date");
    assertThat(body(Mode.SYNC, h, get("/bad"))).isEqualTo("v1");
    assertThat(body(Mode.SYNC, h, get("/bad"))).startsWith("v");
  }

  // ---------------------------------------------------------------- stale serving

  @Test
  void staleWhileRevalidateServesTheStaleCopyAtOnceAndRefreshesItOnce() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=10, stale-while-revalidate=60");
    body(Mode.SYNC, h, get("/swr"));
    h.fake.advance(Duration.ofSeconds(20));
    HttpResponse<String> stale = h.client.send(get("/swr"), BodyHandlers.ofString());
    assertThat(stale.body()).isEqualTo("v1");
    assertThat(stale.headers().firstValue("Riprap-Stale")).contains("true");
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> h.client.engine.cache.find(get("/swr")) != null
            && "v2".equals(new String(h.client.engine.cache.find(get("/swr")).body(),
                java.nio.charset.StandardCharsets.UTF_8)));
    assertThat(body(Mode.SYNC, h, get("/swr"))).isEqualTo("v2");
    assertThat(upstream.requests.get()).isEqualTo(2);
    assertThat(outcomes(h)).contains(CacheEvent.Outcome.STALE_WHILE_REVALIDATE);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void staleIfErrorInTheResponseServesTheStaleCopyWhenTheUpstreamFails(Mode mode)
      throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=10, stale-if-error=60");
    body(mode, h, get("/sie"));
    answer(503);
    h.fake.advance(Duration.ofSeconds(30));
    HttpResponse<String> r = mode.send(h, get("/sie"), BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("v1");
    assertThat(r.headers().firstValue("Riprap-Stale")).contains("true");
    h.fake.advance(Duration.ofSeconds(60));
    assertThat(mode.send(h, get("/sie"), BodyHandlers.ofString()).statusCode()).isEqualTo(503);
    assertThat(outcomes(h)).containsExactly(CacheEvent.Outcome.MISS,
        CacheEvent.Outcome.MISS, CacheEvent.Outcome.STALE_IF_ERROR, CacheEvent.Outcome.MISS);
  }

  @Test
  void withoutStaleIfErrorAFailureReachesTheCaller() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=10");
    body(Mode.SYNC, h, get("/nosie"));
    answer(503);
    h.fake.advance(Duration.ofSeconds(30));
    assertThat(h.client.send(get("/nosie"), BodyHandlers.ofString()).statusCode()).isEqualTo(503);
  }

  // ---------------------------------------------------------------- with the pipeline

  @Test
  void aFreshHitIsServedWhileTheBreakerIsOpenAndTakesNoPermit() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=60");
    body(Mode.SYNC, h, get("/open"));
    dev.riprap.Policy host = h.client.hostPolicy("GET", upstream.uri("/open")).orElseThrow();
    io.github.resilience4j.circuitbreaker.CircuitBreaker breaker =
        host.circuitBreaker().orElseThrow();
    breaker.transitionToOpenState();
    int buffered = breaker.getMetrics().getNumberOfBufferedCalls();
    assertThat(body(Mode.SYNC, h, get("/open"))).isEqualTo("v1");
    assertThat(h.client.sendAsync(get("/open"), BodyHandlers.ofString()).get().body())
        .isEqualTo("v1");
    assertThat(breaker.getState())
        .isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN);
    assertThat(breaker.getMetrics().getNumberOfNotPermittedCalls()).isZero();
    assertThat(breaker.getMetrics().getNumberOfBufferedCalls()).isEqualTo(buffered);
    assertThat(upstream.requests.get()).isEqualTo(1);
  }

  @Test
  void aThrowingBodyHandlerOnAHitFailsThatCallWithItsOwnException() throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=60");
    body(Mode.SYNC, h, get("/throw"));
    HttpResponse.BodyHandler<String> throwing = info -> {
      throw new IllegalStateException("handler says no");
    };
    assertThatThrownBy(() -> h.client.send(get("/throw"), throwing))
        .isInstanceOf(IllegalStateException.class).hasMessage("handler says no");
    assertThatThrownBy(() -> h.client.sendAsync(get("/throw"), throwing).join())
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(body(Mode.SYNC, h, get("/throw"))).isEqualTo("v1");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aHitIsFedThroughEveryKindOfBodyHandlerEachGettingItsOwnCopy(Mode mode) throws Exception {
    Harness h = harness();
    answer(200, "Cache-Control", "max-age=60");
    body(mode, h, get("/kinds"));
    byte[] first = mode.send(h, get("/kinds"), BodyHandlers.ofByteArray()).body();
    first[0] = 'X';
    assertThat(new String(mode.send(h, get("/kinds"), BodyHandlers.ofByteArray()).body(),
        java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("v1");
    try (java.io.InputStream in = mode.send(h, get("/kinds"), BodyHandlers.ofInputStream())
        .body()) {
      assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo("v1");
    }
    assertThat(mode.send(h, get("/kinds"), BodyHandlers.ofLines()).body()
        .collect(Collectors.toList())).containsExactly("v1");
    HttpResponse.BodyHandler<Integer> length = info -> HttpResponse.BodySubscribers.mapping(
        HttpResponse.BodySubscribers.ofByteArray(), b -> b.length);
    assertThat(mode.send(h, get("/kinds"), length).body()).isEqualTo(2);
    assertThat(upstream.requests.get()).isEqualTo(1);
  }

  @Test
  void aResponseLargerThanAnEntryStreamsToTheCallerWholeAndIsNotKept() throws Exception {
    Harness h = harness(CacheSettings.of(1 << 20).withMaxEntryBytes(1024));
    String big = "x".repeat(200_000);
    upstream.script((n, e) -> new Upstream.Answer(200, big + n, "Cache-Control", "max-age=60"));
    assertThat(body(Mode.SYNC, h, get("/big"))).isEqualTo(big + 1);
    assertThat(body(Mode.SYNC, h, get("/big"))).isEqualTo(big + 2);
    assertThat(h.client.engine.cache.size()).isZero();
  }

  @Test
  void aBodyOverTheLargestArrayStreamsByUncopiedWhenTheEntryBoundIsHuge(@TempDir Path dir)
      throws Exception {
    Harness h = harness(CacheSettings.of(Long.MAX_VALUE).withMaxEntryBytes(Long.MAX_VALUE));
    HttpCache cache = h.client.engine.cache;
    HttpRequest request = get("/huge");
    CountingSubscriber declaredHuge = new CountingSubscriber();
    assertThat(cache.tee(request, info("Content-Length", Long.toString(HttpCache.LARGEST_BODY)),
        declaredHuge, cache.time.nanoTime(), null)).isSameAs(declaredHuge);
    CountingSubscriber counting = new CountingSubscriber();
    HttpResponse.BodySubscriber<Long> tee =
        cache.tee(request, info(), counting, cache.time.nanoTime(), null);
    assertThat(tee).isNotSameAs(counting);
    tee.onSubscribe(new Flow.Subscription() {
      @Override
      public void request(long n) {}

      @Override
      public void cancel() {}
    });
    tee.onNext(List.of(ByteBuffer.wrap(new byte[] {1, 2, 3})));
    try (FileChannel sparse = FileChannel.open(dir.resolve("sparse"), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.SPARSE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      sparse.write(ByteBuffer.wrap(new byte[] {0}), HttpCache.LARGEST_BODY - 1);
      tee.onNext(List.of(sparse.map(FileChannel.MapMode.READ_ONLY, 0, HttpCache.LARGEST_BODY)));
    }
    tee.onComplete();
    assertThat(tee.getBody().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .isEqualTo(3 + HttpCache.LARGEST_BODY);
    assertThat(cache.size()).isZero();
  }

  /** A 200 that may be kept for a minute, with these header fields too. */
  private static HttpResponse.ResponseInfo info(String... headers) {
    Map<String, List<String>> map = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    map.put("Cache-Control", List.of("max-age=60"));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      map.put(headers[i], List.of(headers[i + 1]));
    }
    HttpHeaders h = HttpHeaders.of(map, (k, v) -> true);
    return new HttpResponse.ResponseInfo() {
      @Override
      public int statusCode() {
        return 200;
      }

      @Override
      public HttpHeaders headers() {
        return h;
      }

      @Override
      public HttpClient.Version version() {
        return HttpClient.Version.HTTP_1_1;
      }
    };
  }

  /** Counts the bytes it is given without reading them. */
  private static final class CountingSubscriber implements HttpResponse.BodySubscriber<Long> {
    private final CompletableFuture<Long> body = new CompletableFuture<>();
    private long bytes;

    @Override
    public CompletionStage<Long> getBody() {
      return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {}

    @Override
    public void onNext(List<ByteBuffer> item) {
      for (ByteBuffer b : item) {
        bytes += b.remaining();
      }
    }

    @Override
    public void onError(Throwable throwable) {
      body.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      body.complete(bytes);
    }
  }

  @Test
  void theStoreStaysWithinItsBytesDroppingTheLeastRecentlyUsed() throws Exception {
    Harness h = harness(CacheSettings.of(3000).withMaxEntryBytes(1500));
    upstream.script((n, e) -> new Upstream.Answer(200, "y".repeat(1000), "Cache-Control",
        "max-age=600"));
    body(Mode.SYNC, h, get("/1"));
    body(Mode.SYNC, h, get("/2"));
    body(Mode.SYNC, h, get("/1"));
    body(Mode.SYNC, h, get("/3"));
    assertThat(h.client.engine.cache.totalBytes()).isLessThanOrEqualTo(3000);
    body(Mode.SYNC, h, get("/1"));
    assertThat(upstream.requests.get()).isEqualTo(3);
    body(Mode.SYNC, h, get("/2"));
    assertThat(upstream.requests.get()).isEqualTo(4);
  }

  @Test
  void settingsAreCheckedWhenMadeNamingTheKeyAndValue() {
    assertThatThrownBy(() -> CacheSettings.of(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cache maxBytes")
        .hasMessageContaining("0");
    assertThatThrownBy(() -> CacheSettings.of(100).withMaxEntryBytes(101))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cache maxEntryBytes").hasMessageContaining("101");
    assertThatThrownBy(() -> CacheSettings.of(100).withTargetedFields("CDN Cache"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cache targetedFields").hasMessageContaining("'CDN Cache'");
    assertThat(CacheSettings.of(100).withTargetedFields("X-B", "x-a", "X-B").targetedFields())
        .containsExactly("x-b", "x-a");
    assertThatThrownBy(() -> CacheSettings.of(100).withKeyHeaders("bad header"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cache keyHeaders").hasMessageContaining("'bad header'");
    assertThat(CacheSettings.of(Long.MAX_VALUE).maxEntryBytes())
        .isEqualTo(CacheSettings.DEFAULT_MAX_ENTRY);
    assertThat(CacheSettings.of(Long.MAX_VALUE).withMaxEntryBytes(Long.MAX_VALUE).maxEntryBytes())
        .isEqualTo(Integer.MAX_VALUE - 8);
    assertThat(harness(CacheSettings.of(Long.MAX_VALUE).withMaxEntryBytes(Long.MAX_VALUE))
        .client.engine.cache.maxEntryBytes).isEqualTo(Integer.MAX_VALUE - 8);
  }
}
