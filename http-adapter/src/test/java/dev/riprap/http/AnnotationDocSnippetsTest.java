package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.riprap.PolicyRegistry;
import dev.riprap.annotation.Bulkhead;
import dev.riprap.annotation.CircuitBreaker;
import dev.riprap.annotation.Fallback;
import dev.riprap.annotation.Resilient;
import dev.riprap.annotation.Retry;
import dev.riprap.annotation.Timeout;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The code shown in docs/annotations.md, compiled and run here so the page cannot rot. Keep the
 * two in step when either changes.
 */
@ExtendWith(LeakCheck.class)
class AnnotationDocSnippetsTest {
  static WireMockServer server;

  @BeforeAll
  static void start() {
    server = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort()
        .containerThreads(8).jettyAcceptors(1));
    server.start();
  }

  @AfterAll
  static void stop() {
    server.stop();
  }

  enum Price { UNKNOWN, TEN }

  @CircuitBreaker(name = "pricing", slidingWindowSize = 20, minimumCalls = 10)
  interface Prices {
    @Retry(maxAttempts = 3, delay = "100ms", maxDelay = "1s", retryOn = IOException.class)
    @Timeout(value = "2s", total = "5s")
    @Fallback(method = "lastKnown")
    Price price(String sku) throws IOException;

    @Bulkhead(10)
    CompletableFuture<Price> priceAsync(String sku);

    default Price lastKnown(String sku, IOException failure) {
      return Price.UNKNOWN;
    }
  }

  static final class HttpPrices implements Prices {
    @Override
    public Price price(String sku) throws IOException {
      if (sku.startsWith("A")) {
        throw new IOException("pricing is down");
      }
      return Price.TEN;
    }

    @Override
    public CompletableFuture<Price> priceAsync(String sku) {
      return CompletableFuture.completedFuture(Price.TEN);
    }
  }

  interface Stock {
    @Retry(maxAttempts = 2)
    int stock(String sku);
  }

  static final class HttpStock implements Stock {
    @Override
    public int stock(String sku) {
      return 7;
    }
  }

  @Test
  void resilientInterfaces() throws Exception {
    PolicyRegistry registry = PolicyRegistry.builder().build();

    Prices prices = Resilient.proxy(Prices.class, new HttpPrices(), registry);
    Price p = prices.price("A-1"); // an IOException comes back as itself

    assertThat(p).isEqualTo(Price.UNKNOWN); // after 3 attempts, the fallback
    assertThat(prices.price("B-2")).isEqualTo(Price.TEN);
    assertThat(prices.priceAsync("B-2").get()).isEqualTo(Price.TEN);

    Resilient resilient = Resilient.builder().registry(registry).build();
    Prices shared = resilient.wrap(Prices.class, new HttpPrices());
    Stock stock = resilient.wrap(Stock.class, new HttpStock());

    assertThat(shared.price("B-3")).isEqualTo(Price.TEN);
    assertThat(stock.stock("B-3")).isEqualTo(7);
  }

  record Item(String id, int stock) {}

  record Reservation(String id, int quantity) {}

  record ReservationRequest(int quantity) {}

  @CircuitBreaker(name = "inventory", slidingWindowSize = 20, minimumCalls = 10)
  interface InventoryClient {
    @GET("/items/{id}")
    @Retry(maxAttempts = 3, delay = "100ms")
    @Fallback(method = "unknown")
    Item item(@Path("id") String id);

    @GET("/items")
    CompletableFuture<List<Item>> search(
        @Query("q") String text, @Header("X-Request-Id") String requestId);

    @POST("/items/{id}/reservations")
    @Idempotent
    Reservation reserve(@Path("id") String id, @Body ReservationRequest request);

    default Item unknown(String id, Throwable failure) {
      return new Item(id, -1);
    }
  }

  @Test
  void declarativeHttpClients() throws Exception {
    server.stubFor(get("/api/items/7").willReturn(okJson("{\"id\":\"7\",\"stock\":3}")));
    server.stubFor(get("/api/items/8").willReturn(aResponse().withStatus(404)));
    server.stubFor(
        get(urlPathEqualTo("/api/items")).willReturn(okJson("[{\"id\":\"7\",\"stock\":3}]")));
    server.stubFor(
        post("/api/items/7/reservations").willReturn(okJson("{\"id\":\"r1\",\"quantity\":2}")));
    String base = "http://127.0.0.1:" + server.port() + "/api";

    try (ResilientHttpClient http = ResilientHttpClient.standard()) {
      InventoryClient inventory =
          HttpApi.builder(http, URI.create(base)).build().create(InventoryClient.class);

      assertThat(inventory.item("7")).isEqualTo(new Item("7", 3));
      assertThat(inventory.item("8")).isEqualTo(new Item("8", -1));
      assertThat(inventory.search("blue box", "req-1").get()).containsExactly(new Item("7", 3));
      assertThat(inventory.reserve("7", new ReservationRequest(2)))
          .isEqualTo(new Reservation("r1", 2));
    }
  }
}
