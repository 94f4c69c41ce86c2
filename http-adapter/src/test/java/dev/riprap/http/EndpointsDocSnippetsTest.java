package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.endpoint.Balancer;
import dev.riprap.endpoint.EndpointStatus;
import dev.riprap.endpoint.Hedging;
import java.time.Duration;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The HTTP snippet of docs/endpoints.md and the hedging route of docs/http.md, compiled and run
 * against servers on 127.0.0.1.
 */
@ExtendWith(LeakCheck.class)
class EndpointsDocSnippetsTest {
  private final List<Upstream> servers = new ArrayList<>();
  private final List<String> seen = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    servers.forEach(Upstream::close);
  }

  private URI replica(String name) throws Exception {
    Upstream u = new Upstream((n, x) -> {
      seen.add(name + " " + x.getRequestURI());
      return new Upstream.Answer(200, name);
    });
    servers.add(u);
    return u.uri("");
  }

  @Test
  void http() throws Exception {
    URI a = replica("a");
    URI b = replica("b");
    URI c = replica("c");
    URI d = replica("d");
    URI e = replica("e");
    URI f = replica("f");

    // a, b, c: the replicas, such as URI.create("http://10.0.0.1:8080")
    ResilientHttpClient client = ResilientHttpClient.builder()
        .endpoints("orders", List.of(a, b, c))
        .endpoints("inventory", List.of(d, e),   // with the settings of its EndpointGroup
            group -> group.balancer(Balancer.peakEwma()).consecutiveFailures(3))
        .build();

    // Sent to one of a, b, c as /orders/42?fields=total; a retry goes to another of them.
    HttpResponse<String> order = client.send(
        HttpRequest.newBuilder(URI.create("http://orders/orders/42?fields=total")).build(),
        BodyHandlers.ofString());

    // Service discovery: b keeps its state (ejected or not, its breaker), f starts fresh.
    client.updateEndpoints("orders", List.of(b, f));
    List<EndpointStatus<URI>> now = client.service("orders").orElseThrow().status();

    assertThat(order.body()).isIn("a", "b", "c");
    assertThat(seen).containsExactly(order.body() + " /orders/42?fields=total");
    assertThat(now).extracting(EndpointStatus::endpoint).containsExactly(b, f);
    assertThat(client.service("inventory").orElseThrow().balancer())
        .hasToString(Balancer.peakEwma().toString());
    client.close();
  }

  /** docs/http.md, Per route, per host: a hedging route. */
  @Test
  void aHedgingRoute() throws Exception {
    URI a = replica("a");
    URI b = replica("b");
    URI c = replica("c");

    HttpPolicy reads = HttpPolicy.builder("reads")
        .hedging(Hedging.after(Duration.ofMillis(80)).maxHedges(1))  // about the upstream's p95
        .build();
    ResilientHttpClient client = ResilientHttpClient.builder()
        .endpoints("catalog", List.of(a, b, c))
        .route("GET", "/items/**", reads)
        .build();

    HttpResponse<String> item = client.send(
        HttpRequest.newBuilder(URI.create("http://catalog/items/7")).build(),
        BodyHandlers.ofString());
    assertThat(item.body()).isIn("a", "b", "c");
    assertThat(client.policyFor("GET", URI.create("http://catalog/items/7")).hedging())
        .contains(reads.hedging().orElseThrow());
    client.close();
  }
}
