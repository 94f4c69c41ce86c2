package dev.riprap.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.lifecycle.ShutdownReport;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReferenceServiceTest {
  private final HttpClient client = HttpClient.newHttpClient();

  private HttpResponse<String> get(int port, String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesThroughThePolicyExposesProbesAndMetricsAndShutsDownCleanly() throws Exception {
    ReferenceService service = ReferenceService.start(0, null, Duration.ZERO);
    int port = service.port();
    ShutdownReport report;
    try {
      for (int i = 0; i < 4; i++) {
        // the fake inventory fails every fourth request; the policy's retry hides it
        HttpResponse<String> stock = get(port, "/stock?sku=abc");
        assertThat(stock.statusCode()).isEqualTo(200);
        assertThat(stock.body()).isEqualTo("{\"sku\":\"abc\",\"stock\":21}");
      }
      assertThat(get(port, "/stock?sku=no!").statusCode()).isEqualTo(400);
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> price = get(port, "/price?sku=abc");
        assertThat(price.statusCode()).isEqualTo(200);
        assertThat(price.body()).isEqualTo("{\"sku\":\"abc\",\"cents\":750}");
      }

      HttpResponse<String> ready = get(port, "/health/ready");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.body()).isEqualTo("{\"ready\":true,\"status\":\"UP\"}");
      assertThat(get(port, "/health/live").body()).isEqualTo("{\"live\":true}");
      assertThat(get(port, "/health").body()).contains("\"policy\":\"inventory\"");

      String metrics = get(port, "/metrics").body();
      assertThat(metrics)
          .contains("riprap_calls_seconds_count{host=\"127.0.0.1:")
          .contains("outcome=\"success\",policy=\"inventory\",reason=\"none\"}")
          .contains("riprap_http_client_requests_seconds_count{host=\"127.0.0.1:")
          .contains("method=\"GET\",outcome=\"SUCCESS\",status=\"200\"}")
          .contains("resilience4j_circuitbreaker_state{name=\"inventory\",state=\"closed\"} 1.0")
          .contains("riprap_retries_total{host=\"127.0.0.1:")
          // the ResilientHttpClient's per-host policy, by template name and host
          .contains("outcome=\"success\",policy=\"pricing\",reason=\"none\"} 4\n");
      assertThat(get(port, "/health").body()).contains("\"policy\":\"pricing@127.0.0.1:");
    } finally {
      report = service.shutdown().shutdown();
    }
    assertThat(report.isClean()).as(report.toString()).isTrue();
    assertThat(service.health().isReady()).isFalse();
    assertThatThrownBy(() -> get(port, "/health/live")).isInstanceOf(ConnectException.class);
  }
}
