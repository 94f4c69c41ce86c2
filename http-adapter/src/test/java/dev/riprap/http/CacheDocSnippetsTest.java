package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The snippets of docs/caching.md, compiled and run. Keep the two in step. */
class CacheDocSnippetsTest {
  private Upstream upstream;

  @BeforeEach
  void start() throws Exception {
    upstream = new Upstream((n, e) -> new Upstream.Answer(200, "page " + n,
        "Cache-Control", "max-age=3600"));
  }

  @AfterEach
  void stop() {
    upstream.close();
  }

  @Test
  void turningTheCacheOn() throws Exception {
    ResilientHttpClient client = ResilientHttpClient.builder()
        .cache(64 * 1024 * 1024)                          // 64 MiB, shared-cache rules
        .build();

    ResilientHttpClient tuned = ResilientHttpClient.builder()
        .cache(CacheSettings.of(64 * 1024 * 1024)
            .withMaxEntryBytes(512 * 1024)                // no entry above 512 KiB
            .withHeuristicFreshness(false)                // no Last-Modified guesswork
            .withKeyHeaders("X-Tenant")                   // as if every response said Vary: X-Tenant
            .withCredentialHeaders("X-Api-Key"))          // treated like Authorization
        .build();

    HttpRequest page = HttpRequest.newBuilder(upstream.uri("/page")).build();
    assertThat(client.send(page, BodyHandlers.ofString()).body()).isEqualTo("page 1");
    assertThat(client.send(page, BodyHandlers.ofString()).body()).isEqualTo("page 1");
    HttpRequest tenant = HttpRequest.newBuilder(upstream.uri("/page")).header("X-Tenant", "a")
        .build();
    assertThat(tuned.send(tenant, BodyHandlers.ofString()).body()).isEqualTo("page 2");
    assertThat(tuned.send(tenant, BodyHandlers.ofString()).body()).isEqualTo("page 2");
    assertThat(upstream.requests.get()).isEqualTo(2);
    assertThat(tuned.engine.cache.maxEntryBytes).isEqualTo(512 * 1024);
    assertThat(tuned.engine.cache.heuristic).isFalse();
  }
}
