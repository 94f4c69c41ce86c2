package dev.riprap.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.PolicyRegistry;
import dev.riprap.health.HealthMonitor;
import dev.riprap.health.PolicyHealth;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.ResilientHttpClient;
import dev.riprap.micrometer.RiprapMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.RestClient;

/**
 * What a new user does that the starter's happy path does not: several registries or HTTP clients
 * of their own, a placeholder nobody defined. The context either starts doing something sensible or
 * fails naming what to fix; it never fails with a container error about which bean to inject.
 */
class StarterMisuseTest {
  private final ApplicationContextRunner runner =
      HttpClientsTestSupport.runner(RestClientAutoConfiguration.class);

  @Test
  void twoPolicyRegistriesOfTheApplicationAreBothMonitoredAndMetered() {
    runner
        .withConfiguration(AutoConfigurations.of(RiprapMetricsAutoConfiguration.class))
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withBean("orders", PolicyRegistry.class,
            () -> PolicyRegistry.builder().policy("orders", p -> p.bulkhead(2)).build())
        .withBean("billing", PolicyRegistry.class,
            () -> PolicyRegistry.builder().policy("billing", p -> p.bulkhead(2)).build())
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(HealthMonitor.class).report().policies())
                  .extracting(PolicyHealth::policy)
                  .contains("orders", "billing");
              PolicyRegistry billing = context.getBean("billing", PolicyRegistry.class);
              billing.policy("billing").call(() -> "paid");
              assertThat(
                      context
                          .getBean(MeterRegistry.class)
                          .get(RiprapMetrics.CALLS)
                          .tag("policy", "billing")
                          .timer()
                          .count())
                  .isEqualTo(1);
            });
  }

  @Test
  void twoHttpClientsWithoutAPrimaryStartAndLeaveSpringsClientsAsTheyAre() {
    runner
        .withBean("internal", ResilientHttpClient.class, ResilientHttpClient::standard)
        .withBean("partner", ResilientHttpClient.class, ResilientHttpClient::standard)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(RiprapRestClientCustomizer.class);
            });
  }

  @Test
  void twoHttpClientsWithAPrimaryPutThePrimaryUnderSpringsClients() {
    try (Upstream upstream = Upstream.start()) {
      runner
          .withBean(
              "internal",
              ResilientHttpClient.class,
              HttpClientsTestSupport::threeAttemptsClient,
              d -> d.setPrimary(true))
          .withBean(
              "partner",
              ResilientHttpClient.class,
              () ->
                  ResilientHttpClient.builder()
                      .policy(HttpPolicy.builder("partner").maxRetries(0).build())
                      .build())
          .run(
              context -> {
                assertThat(context).hasNotFailed();
                RestClient rest =
                    context.getBean(RestClient.Builder.class).baseUrl(upstream.base()).build();
                assertThatThrownBy(
                        () -> rest.get().uri("/always-503").retrieve().body(String.class))
                    .isInstanceOf(HttpServerErrorException.ServiceUnavailable.class);
                // The primary's three attempts, not the partner's one.
                assertThat(upstream.count("/always-503"))
                    .isEqualTo(HttpClientsTestSupport.ATTEMPTS);
              });
    }
  }

  @Test
  void aRiprapValueWithAnUndefinedPlaceholderFailsTheStartNamingTheKey() {
    runner
        .withPropertyValues("riprap.policies.inventory.retry.max-attempts=${INVENTORY_RETRIES}")
        .run(
            context ->
                assertThat(RiprapAutoConfigurationTest.invalid(context.getStartupFailure()))
                    .hasMessage(
                        "riprap.policies.inventory.retry.max-attempts: Could not resolve"
                            + " placeholder 'INVENTORY_RETRIES' in value \"${INVENTORY_RETRIES}\""));
  }
}
