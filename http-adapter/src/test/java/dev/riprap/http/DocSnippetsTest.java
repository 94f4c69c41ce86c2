package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.event.RetryScheduled;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The snippets of docs/http.md, compiled and run. Keep the two in step. */
class DocSnippetsTest extends WireMockSupport {
  @Test
  void quickStart() throws Exception {
    sequence("GET", "/items", aResponse().withStatus(200).withBody("items"));
    var request = get("/items");

    HttpClient http = ResilientHttpClient.standard();
    HttpResponse<String> r = http.send(request, BodyHandlers.ofString());

    assertThat(r.body()).isEqualTo("items");
  }

  @Test
  void perRoute() throws Exception {
    HttpPolicy payments = HttpPolicy.builder("payments")
        .retryNonIdempotent(true)          // the payments API deduplicates
        .maxRetries(1)
        .build();
    HttpPolicy search = HttpPolicy.builder("search")
        .maxRetries(0)
        .attemptTimeout(Duration.ofSeconds(2))
        .circuitBreaker(50, Duration.ofSeconds(10), 20, Duration.ofMillis(500))
        .build();
    ResilientHttpClient client = ResilientHttpClient.builder()
        .route("POST", "/payments/**", payments)
        .route("*", "/search", search)
        .build();

    sequence("POST", "/payments/1", aResponse().withStatus(503), aResponse().withStatus(201));
    assertThat(client.send(post("/payments/1"), BodyHandlers.ofString()).statusCode())
        .isEqualTo(201);
    assertThat(count(postRequestedFor(urlEqualTo("/payments/1")))).isEqualTo(2);
    assertThat(client.policyFor("GET", uri("/search"))).isSameAs(search);
  }

  @Test
  void staleIfErrorAndFallback() throws Exception {
    ResilientHttpClient client = ResilientHttpClient.builder()
        .staleIfError(StaleIfError.defaults())       // 1000 entries, 256 KiB each, 16 MiB, 5 min
        .fallback((request, failure) -> failure instanceof HttpRejectedException
            ? FallbackResponse.of(200, "application/json", "{\"items\":[]}")
            : null)                                  // null: let the failure through
        .build();

    client.drain(Duration.ZERO);
    var r = client.send(get("/items"), BodyHandlers.ofString());
    assertThat(r.body()).isEqualTo("{\"items\":[]}");
  }

  @Test
  void credentialHeaders() throws Exception {
    ResilientHttpClient tenantAware = ResilientHttpClient.builder()
        .staleIfError(StaleIfError.defaults().withCredentialHeaders("X-Api-Key"))
        .build();

    sequence("GET", "/tenant", aResponse().withStatus(200).withBody("tenant a"));
    HttpRequest tenantA = HttpRequest.newBuilder(uri("/tenant")).header("X-Api-Key", "a").build();
    assertThat(tenantAware.send(tenantA, BodyHandlers.ofString()).body()).isEqualTo("tenant a");
    tenantAware.drain(Duration.ZERO);
    // Not kept: tenant a's answer is never served to another caller when the request fails.
    assertThatThrownBy(() -> tenantAware.send(get("/tenant"), BodyHandlers.ofString()))
        .isInstanceOf(HttpRejectedException.class);
  }

  @Test
  void events() throws Exception {
    sequence("GET", "/items", aResponse().withStatus(503), aResponse().withStatus(200));
    ResilientHttpClient client = ResilientHttpClient.builder()
        .policy(HttpPolicy.builder("fast").backoff(Duration.ofMillis(1), Duration.ofMillis(5))
            .jitter(0).build())
        .build();
    List<String> log = new CopyOnWriteArrayList<>();

    client.events().subscribe(RetryScheduled.class, e ->
        log.add("retry " + e.attempt() + " of " + e.tags().get("host") + " in " + e.delay()));
    client.send(get("/items"), BodyHandlers.ofString());

    assertThat(log).containsExactly("retry 1 of 127.0.0.1:" + server.port() + " in PT0.001S");
  }
}
