package dev.riprap.spring.boot;

import dev.riprap.PolicyRegistry;

/**
 * Changes the {@link PolicyRegistry.Builder} of the starter's {@code PolicyRegistry} bean before it
 * is built: policies configured in code ({@code builder.policy(name, p -> ...)}), a time source, an
 * async executor. The {@code riprap.*} keys of the Spring environment are already added when a
 * customizer runs; customizer beans run in their {@link org.springframework.core.annotation.Order}.
 *
 * <pre>{@code
 * @Bean
 * RiprapRegistryCustomizer payments() {
 *   return registry -> registry.policy("payments", p -> p.bulkhead(10));
 * }
 * }</pre>
 */
@FunctionalInterface
public interface RiprapRegistryCustomizer {
  /**
   * Changes the builder. Whatever it throws fails the application's start.
   *
   * @param builder the registry builder, with the environment's {@code riprap.*} keys added
   */
  void customize(PolicyRegistry.Builder builder);
}
