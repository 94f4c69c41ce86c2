package dev.riprap.spring.boot;

import dev.riprap.PolicyObserver;
import dev.riprap.PolicyRegistry;
import dev.riprap.config.LimiterProvider;
import dev.riprap.health.HealthMonitor;
import dev.riprap.http.ResilientHttpClient;
import java.net.http.HttpClient;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Riprap's beans for a Spring Boot application; each one gives way to a bean of the same type the
 * application defines.
 *
 * <ul>
 *   <li>{@link PolicyRegistry}: the policies of the {@code riprap.*} keys in the environment,
 *       validated by Riprap's own rules when the context starts (a bad key fails the start with
 *       {@link InvalidRiprapConfigurationException}), plus what {@link RiprapRegistryCustomizer}
 *       beans add; every {@link LimiterProvider} bean (riprap-bucket4j's {@code
 *       DistributedLimiterProvider}, say) makes its {@code rate-limiter.<provider>.*} keys valid;
 *   <li>{@link HealthMonitor}: monitors the policies of every registry bean and the HTTP client's
 *       hosts;
 *   <li>{@link ResilientHttpClient}: {@code HttpPolicy.standard()} around a JDK client with a 10 s
 *       connect timeout and {@code Redirect.NORMAL}, every {@link PolicyObserver} bean told of its
 *       hosts, changed by {@link RiprapHttpClientCustomizer} beans;
 *   <li>{@link RiprapOutboundDrain}: drains them in Spring's shutdown.
 * </ul>
 */
@AutoConfiguration
public class RiprapAutoConfiguration {
  /** Feign's default and Microsoft's standard handler's; the JDK's default is none. */
  static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /**
   * The registry of the environment's {@code riprap.*} keys.
   *
   * @param environment the environment
   * @param limiterProviders external limiters whose keys the properties may use, in order
   * @param customizers changes made in code, in order
   * @return the registry
   * @throws InvalidRiprapConfigurationException when the keys are invalid, with Riprap's message
   */
  @Bean
  @ConditionalOnMissingBean
  public PolicyRegistry riprapPolicyRegistry(
      Environment environment,
      ObjectProvider<LimiterProvider> limiterProviders,
      ObjectProvider<RiprapRegistryCustomizer> customizers) {
    PolicyRegistry.Builder builder =
        PolicyRegistry.builder().properties(RiprapEnvironment.riprapKeys(environment));
    limiterProviders.orderedStream().forEach(builder::limiterProvider);
    customizers.orderedStream().forEach(c -> c.customize(builder));
    try {
      return builder.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new InvalidRiprapConfigurationException(e);
    }
  }

  /**
   * A health monitor of the policies of every {@code PolicyRegistry} bean (ours, or the
   * application's, however many).
   *
   * @param registries the registries
   * @return the monitor
   */
  @Bean
  @ConditionalOnMissingBean
  public HealthMonitor riprapHealthMonitor(ObjectProvider<PolicyRegistry> registries) {
    HealthMonitor monitor = new HealthMonitor();
    registries.orderedStream().forEach(monitor::monitor);
    return monitor;
  }

  /**
   * The resilient HTTP client. Closed with the context (after the drain).
   *
   * @param observers told of every per-host policy the client makes and drops
   * @param customizers changes made in code, in order
   * @return the client
   */
  @Bean
  @ConditionalOnMissingBean
  public ResilientHttpClient riprapHttpClient(
      ObjectProvider<PolicyObserver> observers,
      ObjectProvider<RiprapHttpClientCustomizer> customizers) {
    ResilientHttpClient.Builder builder =
        ResilientHttpClient.builder()
            .delegate(
                HttpClient.newBuilder()
                    .connectTimeout(DEFAULT_CONNECT_TIMEOUT)
                    .followRedirects(HttpClient.Redirect.NORMAL)
                    .build());
    observers.orderedStream().forEach(builder::observer);
    customizers.orderedStream().forEach(c -> c.customize(builder));
    return builder.build();
  }

  /**
   * The outbound drain in Spring's shutdown, over every registry and HTTP client bean.
   *
   * @param registries the registries
   * @param clients the HTTP clients
   * @param health the health monitor, if any
   * @param environment for {@code spring.lifecycle.timeout-per-shutdown-phase}
   * @return the drain
   */
  @Bean
  @ConditionalOnMissingBean
  public RiprapOutboundDrain riprapOutboundDrain(
      ObjectProvider<PolicyRegistry> registries,
      ObjectProvider<ResilientHttpClient> clients,
      ObjectProvider<HealthMonitor> health,
      Environment environment) {
    return new RiprapOutboundDrain(
        registries.orderedStream().toList(),
        clients.orderedStream().toList(),
        health.getIfUnique(),
        RiprapEnvironment.phaseTimeout(environment));
  }
}
