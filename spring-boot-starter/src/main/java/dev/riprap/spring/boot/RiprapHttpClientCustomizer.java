package dev.riprap.spring.boot;

import dev.riprap.http.ResilientHttpClient;

/**
 * Changes the {@link ResilientHttpClient.Builder} of the starter's {@code ResilientHttpClient} bean
 * before it is built: the default {@code HttpPolicy}, routes, a fallback, stale-if-error, another
 * delegate. The HTTP client's settings are code-only: the {@code riprap.*} keys configure the
 * policies of the {@code PolicyRegistry}, not the HTTP client.
 *
 * <p>When a customizer runs, the builder already has the starter's delegate (connect timeout and
 * redirects from {@code spring.http.clients.*}, else 10 s and {@code Redirect.NORMAL}) and every
 * {@code PolicyObserver} bean as an observer (the health monitor, the Micrometer binding).
 * Customizer beans run in their {@link org.springframework.core.annotation.Order}.
 *
 * <pre>{@code
 * @Bean
 * RiprapHttpClientCustomizer inventoryRoute() {
 *   return client -> client.route("GET", "/inventory/**",
 *       HttpPolicy.builder("inventory").maxRetries(2).build());
 * }
 * }</pre>
 */
@FunctionalInterface
public interface RiprapHttpClientCustomizer {
  /**
   * Changes the builder. Whatever it throws fails the application's start.
   *
   * @param builder the client builder
   */
  void customize(ResilientHttpClient.Builder builder);
}
