package dev.riprap.spring.boot.app;

import dev.riprap.http.HttpPolicy;
import dev.riprap.spring.boot.RiprapHttpClientCustomizer;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;

/** A small service calling an upstream through Boot's RestClient, with the starter on its path. */
@SpringBootApplication
public class PricingApplication {
  /** Three attempts with short waits, so the test runs fast. */
  @Bean
  RiprapHttpClientCustomizer pricingPolicy() {
    return client ->
        client.policy(
            HttpPolicy.builder("pricing")
                .maxRetries(2)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(5))
                .build());
  }

  /** The controller: {@code GET /price} asks the upstream's {@code /flaky}. */
  @RestController
  static class PriceController {
    private final RestClient upstream;

    PriceController(RestClient.Builder builder, @Value("${pricing.url}") String url) {
      this.upstream = builder.baseUrl(url).build();
    }

    @GetMapping("/price")
    String price() {
      return upstream.get().uri("/flaky").retrieve().body(String.class);
    }
  }
}
