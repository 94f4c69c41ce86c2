package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.RejectionReason;
import dev.riprap.event.CallRejected;
import dev.riprap.event.FallbackApplied;
import dev.riprap.event.PolicyEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Messages and event tags never carry the credentials a URI may hold (userinfo, query values),
 * against a real server, through send and sendAsync.
 */
@ExtendWith(LeakCheck.class)
class RedactionTest {
  private static final HttpClient DELEGATE =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private Upstream upstream;
  private String host;

  @BeforeEach
  void start() throws Exception {
    upstream = new Upstream((n, e) -> new Upstream.Answer(200, "ok"));
    host = upstream.uri("/").getRawAuthority();
  }

  @AfterEach
  void stop() {
    upstream.close();
  }

  /** A URI with a password in its userinfo and an API key in its query. */
  private URI secretUri(String path) {
    return URI.create("http://alice:s3cret@" + host + path + "?api_key=K3Y&page=2");
  }

  private static void assertNoSecret(Object shown) {
    assertThat(String.valueOf(shown)).doesNotContain("s3cret", "alice", "K3Y");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRejectionNamesTheRequestWithoutItsCredentials(Mode mode) throws Exception {
    Harness h = new Harness(DELEGATE, ResilientHttpClient.builder());
    h.client.drain(Duration.ZERO);

    assertThatThrownBy(() -> mode.send(h, HttpRequest.newBuilder(secretUri("/items")).build(),
        BodyHandlers.ofString()))
        .isInstanceOfSatisfying(HttpRejectedException.class, e -> {
          assertThat(e).hasMessage("GET http://" + host + "/items?api_key=...&page=... rejected"
              + " for host '" + host + "' by policy 'default': shutting down");
          assertThat(e.host()).isEqualTo(host);
          assertThat(e.reason()).isEqualTo(RejectionReason.SHUTTING_DOWN);
        });
    assertThat(h.events(CallRejected.class)).singleElement().satisfies(e -> {
      assertThat(e.tags()).containsEntry("host", host);
      assertNoSecret(e);
    });
    assertThat(h.client.hostPolicy("GET", secretUri("/items")).orElseThrow().name())
        .isEqualTo("default@" + host);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theFailureBehindAStaleCopyNamesTheRequestWithoutItsCredentials(Mode mode) throws Exception {
    upstream.script((n, e) -> n == 1 ? new Upstream.Answer(200, "kept")
        : new Upstream.Answer(503, "down"));
    Harness h = new Harness(DELEGATE, ResilientHttpClient.builder()
        .policy(HttpPolicy.builder("catalog").maxRetries(0).build())
        .staleIfError(StaleIfError.defaults()));
    HttpRequest request = HttpRequest.newBuilder(secretUri("/catalog")).build();
    mode.send(h, request, BodyHandlers.ofString());

    var stale = mode.send(h, request, BodyHandlers.ofString());

    assertThat(stale.body()).isEqualTo("kept");
    assertThat(h.events(FallbackApplied.class)).singleElement().satisfies(e -> assertThat(
        e.cause()).hasMessage("GET http://" + host + "/catalog?api_key=...&page=... failed with"
            + " status 503"));
    for (PolicyEvent e : h.events) {
      assertThat(e.tags()).containsEntry("host", host);
      assertNoSecret(e);
    }
  }

  public interface Items {
    @GET("/items/{id}")
    String item(@Path("id") String id, @Query("api_key") String key);
  }

  @Test
  void aDeclarativeClientsStatusExceptionNamesTheRequestWithoutItsCredentials() {
    upstream.script((n, e) -> new Upstream.Answer(404, "none"));
    Items items = HttpApi.create(Items.class, DELEGATE,
        URI.create("http://alice:s3cret@" + host + "/api"));

    assertThatThrownBy(() -> items.item("7", "K3Y"))
        .isInstanceOfSatisfying(HttpStatusException.class, e -> {
          assertThat(e).hasMessage("GET http://" + host + "/api/items/7?api_key=... answered 404");
          assertThat(e.uri().getRawQuery()).isEqualTo("api_key=K3Y");
        });
    assertNoSecret(items);
  }
}
