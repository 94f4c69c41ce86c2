package dev.riprap.spring.boot;

import static dev.riprap.spring.boot.HttpClientsTestSupport.threeAttemptsClient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.bucket4j.DistributedLimiterProvider;
import dev.riprap.PolicyRegistry;
import dev.riprap.health.HealthMonitor;
import dev.riprap.health.HealthStatus;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.ResilientHttpClient;
import feign.FeignException;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.RemoteAsyncBucketBuilder;
import feign.RequestLine;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

/** The snippets of docs/spring-boot.md, compiled and run; its YAML example loaded. Keep in step. */
class SpringBootDocSnippetsTest {
  /** Surefire runs in the module's directory; the docs are at the root of the reactor. */
  private static final Path DOC = Path.of("..", "docs", "spring-boot.md");

  private static final Duration BLOCK = Duration.ofSeconds(20);

  private final Upstream upstream = Upstream.start();
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(RiprapAutoConfiguration.class));

  @AfterEach
  void stopUpstream() {
    upstream.close();
  }

  private static PropertySource<?> yamlExample() throws IOException {
    String doc = Files.readString(DOC, StandardCharsets.UTF_8);
    int start = doc.indexOf("```yaml\n") + "```yaml\n".length();
    byte[] yaml = doc.substring(start, doc.indexOf("```", start)).getBytes(StandardCharsets.UTF_8);
    List<PropertySource<?>> sources =
        new YamlPropertySourceLoader().load("docs/spring-boot.md", new ByteArrayResource(yaml));
    return sources.get(0);
  }

  @Test
  void theYamlExampleBuildsThePoliciesItDescribes() throws IOException {
    PropertySource<?> example = yamlExample();
    runner
        .withInitializer(c -> c.getEnvironment().getPropertySources().addFirst(example))
        .run(
            context -> {
              PolicyRegistry registry = context.getBean(PolicyRegistry.class);
              assertThat(registry.names()).containsExactly("inventory", "payments");
              Policy inventory = registry.policy("inventory");
              assertThat(inventory.attemptTimeout()).contains(Duration.ofSeconds(2));
              assertThat(inventory.totalTimeout()).contains(Duration.ofSeconds(5));
              assertThat(inventory.retrySettings().orElseThrow().maxAttempts()).isEqualTo(3);
              assertThat(
                      inventory
                          .circuitBreaker()
                          .orElseThrow()
                          .getCircuitBreakerConfig()
                          .getSlidingWindowSize())
                  .isEqualTo(20);
              Policy payments = registry.policy("payments");
              assertThat(payments.retrySettings()).isEmpty();
              assertThat(payments.attemptTimeout()).contains(Duration.ofSeconds(10));
            });
  }

  @Configuration
  static class RiprapConfig {
    @Bean
    RiprapRegistryCustomizer reports() {
      return registry -> registry.policy("reports", p -> p.bulkhead(4));
    }

    @Bean
    RiprapHttpClientCustomizer pricing() {
      return client -> client
          .policy(HttpPolicy.builder("pricing").maxRetries(2).build())
          .route("POST", "/orders/**", HttpPolicy.builder("orders").maxRetries(0).build());
    }
  }

  @Configuration
  static class CriticalPayments {
    @Bean
    HealthMonitor riprapHealthMonitor(PolicyRegistry registry) {
      return new HealthMonitor().markCritical("payments").monitor(registry);
    }
  }

  @Test
  void customizersAndACriticalPolicy() {
    runner
        .withUserConfiguration(RiprapConfig.class, CriticalPayments.class)
        .withPropertyValues("riprap.policies.payments.circuit-breaker.enabled=true")
        .run(
            context -> {
              assertThat(context.getBean(PolicyRegistry.class).names())
                  .containsExactly("payments", "reports");
              ResilientHttpClient client = context.getBean(ResilientHttpClient.class);
              assertThat(client.policy().name()).isEqualTo("pricing");
              assertThat(client.policyFor("POST", upstream.uri("/orders/1")).name())
                  .isEqualTo("orders");
              HealthMonitor health = context.getBean(HealthMonitor.class);
              context
                  .getBean(PolicyRegistry.class)
                  .policy("payments")
                  .circuitBreaker()
                  .orElseThrow()
                  .transitionToOpenState();
              assertThat(health.report().status()).isEqualTo(HealthStatus.DOWN);
            });
  }

  @Configuration
  static class FleetQuota {
    @Bean
    RiprapRegistryCustomizer distributedLimiters(ProxyManager<String> store) {
      return registry -> registry.limiterProvider(DistributedLimiterProvider.of(store));
    }
  }

  /**
   * A Bucket4j store that builds buckets and is never asked (the test reads the limiter's
   * settings, it takes no token): dynamic proxies of Bucket4j's interfaces.
   */
  @SuppressWarnings("unchecked")
  private static ProxyManager<String> storeNeverAsked() {
    Object bucket = proxy(AsyncBucketProxy.class, null);
    Object builder = proxy(RemoteAsyncBucketBuilder.class, bucket);
    Object async = proxy(AsyncProxyManager.class, builder);
    return (ProxyManager<String>) proxy(ProxyManager.class, async);
  }

  /** Answers {@code true} to isAsyncModeSupported, {@code next} to asAsync, builder and build. */
  private static Object proxy(Class<?> type, Object next) {
    return Proxy.newProxyInstance(
        SpringBootDocSnippetsTest.class.getClassLoader(),
        new Class<?>[] {type},
        (self, method, args) ->
            switch (method.getName()) {
              case "isAsyncModeSupported" -> true;
              case "asAsync", "builder", "build" -> next;
              case "withOptimization" -> self;
              default -> throw new UnsupportedOperationException(method.getName());
            });
  }

  /** docs/spring-boot.md, "A fleet-wide rate limit": the provider as a bean. */
  @Configuration
  static class FleetQuotaBean {
    @Bean
    DistributedLimiterProvider distributedLimiters(ProxyManager<String> store) {
      return DistributedLimiterProvider.of(store);
    }
  }

  /** With {@code configuration} (one of the two the doc shows), the doc's keys build its limiter. */
  private void assertTheDocumentedKeysReachTheProvider(Class<?> configuration) {
    runner
        .withUserConfiguration(configuration)
        .withBean(ProxyManager.class, SpringBootDocSnippetsTest::storeNeverAsked)
        .withPropertyValues(
            "riprap.policies.geocoder.rate-limiter.distributed.permits=100",
            "riprap.policies.geocoder.rate-limiter.distributed.replicas=3")
        .run(
            context ->
                assertThat(
                        context
                            .getBean(PolicyRegistry.class)
                            .policy("geocoder")
                            .externalLimiter()
                            .orElseThrow())
                    .hasToString("distributed limiter 'riprap:geocoder' (100 per 1s, burst 100)"));
  }

  @Test
  void theDistributedKeysReachTheProviderDeclaredAsABean() {
    assertTheDocumentedKeysReachTheProvider(FleetQuotaBean.class);
  }

  @Test
  void theDistributedKeysReachTheProviderACustomizerRegisters() {
    assertTheDocumentedKeysReachTheProvider(FleetQuota.class);
    // Without the provider, the same keys fail the start.
    runner
        .withPropertyValues("riprap.policies.geocoder.rate-limiter.distributed.permits=100")
        .run(
            context ->
                assertThat(RiprapAutoConfigurationTest.invalid(context.getStartupFailure()))
                    .hasMessageStartingWith(
                        "Unknown key 'riprap.policies.geocoder.rate-limiter.distributed.permits'"));
  }

  static class PriceClient {
    private final RestClient rest;

    PriceClient(RestClient.Builder builder) {
      this.rest = builder.baseUrl("http://pricing:8080").build();
    }

    String price(String sku) {
      return rest.get().uri("/prices/{sku}", sku).retrieve().body(String.class);
    }
  }

  @Test
  void restClientFromBootsBuilder() {
    HttpClientsTestSupport.runner(RestClientAutoConfiguration.class)
        .withBean(RiprapHttpClientCustomizer.class, HttpClientsTestSupport::threeAttempts)
        .withBean(PriceClient.class)
        .run(
            context -> {
              PriceClient prices = context.getBean(PriceClient.class);
              assertThat(prices).isNotNull();
              // The same builder, pointed at the local upstream instead of http://pricing:8080.
              RestClient local =
                  context.getBean(RestClient.Builder.class).baseUrl(upstream.base()).build();
              assertThat(local.get().uri("/flaky").retrieve().body(String.class))
                  .isEqualTo("recovered");
              assertThat(upstream.count("/flaky")).isEqualTo(3);
            });
  }

  @Test
  void restClientWithoutBootsBuilder() {
    ResilientHttpClient resilientHttpClient = threeAttemptsClient();
    RestClient rest = RestClient.builder()
        .requestFactory(new JdkClientHttpRequestFactory(resilientHttpClient))
        .baseUrl("http://pricing:8080")
        .build();
    assertThat(rest).isNotNull();

    RestClient local = rest.mutate().baseUrl(upstream.base()).build();
    assertThatThrownBy(() -> local.get().uri("/always-503").retrieve().body(String.class))
        .isInstanceOf(HttpServerErrorException.ServiceUnavailable.class);
    assertThat(upstream.count("/always-503")).isEqualTo(HttpClientsTestSupport.ATTEMPTS);
  }

  @Test
  void webClientWithoutBootsBuilder() {
    ResilientHttpClient resilientHttpClient = threeAttemptsClient();
    WebClient web = WebClient.builder()
        .clientConnector(new JdkClientHttpConnector(resilientHttpClient))
        .baseUrl("http://pricing:8080")
        .build();

    WebClient local = web.mutate().baseUrl(upstream.base()).build();
    String body = local.get().uri("/flaky").retrieve().bodyToMono(String.class).block(BLOCK);
    assertThat(body).isEqualTo("recovered");
    assertThat(upstream.count("/flaky")).isEqualTo(3);
  }

  interface Inventory {
    @RequestLine("GET /always-503")
    String stock();
  }

  @Test
  void feign() {
    ResilientHttpClient resilientHttpClient = threeAttemptsClient();
    String url = upstream.base(); // "http://inventory:8080" in the docs
    Inventory inventory = RiprapFeign.builder(resilientHttpClient)
        .target(Inventory.class, url);

    assertThatThrownBy(inventory::stock).isInstanceOf(FeignException.ServiceUnavailable.class);
    assertThat(upstream.count("/always-503")).isEqualTo(HttpClientsTestSupport.ATTEMPTS);
  }
}
