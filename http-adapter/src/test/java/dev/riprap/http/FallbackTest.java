package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.http.Fault;
import dev.riprap.RejectionReason;
import dev.riprap.event.FallbackApplied;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FallbackTest extends WireMockSupport {
  static HttpPolicy quick() {
    return HttpPolicy.builder("catalog").jitter(0).maxRetries(1).build();
  }

  static Harness staleHarness(StaleIfError settings) {
    return new Harness(delegate, ResilientHttpClient.builder().policy(quick())
        .staleIfError(settings));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theLastGoodResponseIsServedMarkedStaleWhenTheUpstreamFails(Mode mode) throws Exception {
    sequence("GET", "/catalog",
        aResponse().withStatus(200).withHeader("Content-Type", "application/json")
            .withBody("{\"items\":3}"),
        aResponse().withStatus(503).withBody("down"));
    Harness h = staleHarness(StaleIfError.defaults());
    assertThat(mode.send(h, get("/catalog"), BodyHandlers.ofString()).body())
        .isEqualTo("{\"items\":3}");
    h.fake.advance(Duration.ofSeconds(42));

    var stale = mode.send(h, get("/catalog"), BodyHandlers.ofString());

    assertThat(stale.statusCode()).isEqualTo(200);
    assertThat(stale.body()).isEqualTo("{\"items\":3}");
    assertThat(stale.headers().firstValue("Riprap-Stale")).hasValue("true");
    assertThat(stale.headers().firstValue("Age")).hasValue("42");
    assertThat(stale.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(count(getRequestedFor(urlEqualTo("/catalog")))).isEqualTo(3);
    assertThat(h.events(FallbackApplied.class)).singleElement()
        .satisfies(e -> assertThat(e.cause()).hasMessageContaining("status 503"));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aStaleCopyWorksForAnyBodyType(Mode mode) throws Exception {
    sequence("GET", "/catalog", aResponse().withStatus(200).withBody("bytes"),
        aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    Harness h = staleHarness(StaleIfError.defaults());
    mode.send(h, get("/catalog"), BodyHandlers.ofByteArray());

    var stale = mode.send(h, get("/catalog"), BodyHandlers.ofInputStream());

    try (InputStream in = stale.body()) {
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("bytes");
    }
    assertThat(stale.headers().firstValue("Riprap-Stale")).hasValue("true");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aStaleCopyIsServedWhenTheBreakerRejects(Mode mode) throws Exception {
    sequence("GET", "/catalog", aResponse().withStatus(200).withBody("cached"),
        aResponse().withStatus(500));
    Harness h = new Harness(delegate, ResilientHttpClient.builder()
        .policy(RejectionTest.breaking()).staleIfError(StaleIfError.defaults()));
    mode.send(h, get("/catalog"), BodyHandlers.ofString());
    for (int i = 0; i < 3; i++) {
      mode.send(h, get("/catalog"), BodyHandlers.ofString());
    }
    int before = count(getRequestedFor(urlEqualTo("/catalog")));

    var stale = mode.send(h, get("/catalog"), BodyHandlers.ofString());

    assertThat(stale.body()).isEqualTo("cached");
    assertThat(count(getRequestedFor(urlEqualTo("/catalog")))).isEqualTo(before);
    assertThat(h.events(FallbackApplied.class)).last()
        .satisfies(e -> assertThat(e.cause()).isInstanceOfSatisfying(HttpRejectedException.class,
            r -> assertThat(r.reason()).isEqualTo(RejectionReason.CIRCUIT_OPEN)));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aCopyOlderThanTheMaximumAgeIsNotServed(Mode mode) throws Exception {
    sequence("GET", "/catalog", aResponse().withStatus(200).withBody("old"),
        aResponse().withStatus(503).withBody("down"));
    Harness h = staleHarness(new StaleIfError(10, 1024, 4096, Duration.ofSeconds(30)));
    mode.send(h, get("/catalog"), BodyHandlers.ofString());
    h.fake.advance(Duration.ofSeconds(31));

    var response = mode.send(h, get("/catalog"), BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isEqualTo("down");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theCacheKeepsNeitherBodiesOverTheEntryLimitNorMoreEntriesThanAllowed(Mode mode)
      throws Exception {
    for (String p : new String[] {"/a", "/b", "/c"}) {
      sequence("GET", p, aResponse().withStatus(200).withBody("x".repeat(10)),
          aResponse().withStatus(503));
    }
    sequence("GET", "/big", aResponse().withStatus(200).withBody("y".repeat(1500)),
        aResponse().withStatus(503));
    // An entry's size is its body and its header fields: well under 1000 for the small ones.
    Harness h = staleHarness(new StaleIfError(2, 1000, 2000, Duration.ofMinutes(1)));
    for (String p : new String[] {"/big", "/a", "/b", "/c"}) {
      mode.send(h, get(p), BodyHandlers.ofString());
    }

    // /big was too large to keep and /a was the least recently used of three.
    assertThat(mode.send(h, get("/big"), BodyHandlers.ofString()).statusCode()).isEqualTo(503);
    assertThat(mode.send(h, get("/a"), BodyHandlers.ofString()).statusCode()).isEqualTo(503);
    assertThat(mode.send(h, get("/b"), BodyHandlers.ofString()).body()).isEqualTo("x".repeat(10));
    assertThat(mode.send(h, get("/c"), BodyHandlers.ofString()).body()).isEqualTo("x".repeat(10));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRequestWithCredentialsIsNeverCachedForOthers(Mode mode) throws Exception {
    sequence("GET", "/me", aResponse().withStatus(200).withBody("alice"),
        aResponse().withStatus(503));
    Harness h = staleHarness(StaleIfError.defaults());
    HttpRequest withToken = HttpRequest.newBuilder(uri("/me"))
        .header("Authorization", "Bearer a").build();
    mode.send(h, withToken, BodyHandlers.ofString());

    assertThat(mode.send(h, get("/me"), BodyHandlers.ofString()).statusCode()).isEqualTo(503);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFallbackAnswersThroughTheCallersBodyHandler(Mode mode) throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    Harness h = new Harness(delegate, ResilientHttpClient.builder().policy(quick())
        .fallback((request, failure) -> failure instanceof ConnectException
            ? FallbackResponse.of(200, "text/plain", "default for " + request.uri().getPath())
            : null));
    HttpRequest request = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + closedPort + "/price")).build();

    var response = mode.send(h, request, BodyHandlers.ofByteArray());

    assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("default for /price");
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
    assertThat(response.request()).isSameAs(request);
    assertThat(h.events(FallbackApplied.class)).singleElement()
        .satisfies(e -> assertThat(e.cause()).isInstanceOf(ConnectException.class));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFallbackThatDeclinesLetsTheFailureThrough(Mode mode) {
    sequence("GET", "/price", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    Harness h = new Harness(delegate, ResilientHttpClient.builder().policy(quick())
        .fallback((request, failure) -> null));

    assertThatThrownBy(() -> mode.send(h, get("/price"), BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
    assertThat(h.events(FallbackApplied.class)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFinal503IsNotReplacedByTheUserFallback(Mode mode) throws Exception {
    sequence("GET", "/price", aResponse().withStatus(503).withBody("busy"));
    Harness h = new Harness(delegate, ResilientHttpClient.builder().policy(quick())
        .fallback((request, failure) -> FallbackResponse.of(200, "text/plain", "never")));

    var response = mode.send(h, get("/price"), BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isEqualTo("busy");
  }
}
