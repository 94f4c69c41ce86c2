package dev.riprap.spring.boot;

import dev.riprap.http.ResilientHttpClient;
import java.net.http.HttpClient;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.HttpRedirects;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Riprap under Spring's HTTP clients: Spring Boot's {@code spring.http.clients.*} settings for the
 * {@code ResilientHttpClient}'s delegate, and the {@code RestClient} and {@code WebClient}
 * customizers. Each part is on when its Spring module is on the class path. The customizers plug in
 * the one {@code ResilientHttpClient} bean, or the {@code @Primary} one among several; with several
 * and none primary they are not defined (Spring's clients are left as they are: plug one in with
 * {@code new RiprapRestClientCustomizer(client, null)} or mark one primary).
 */
@AutoConfiguration(after = RiprapAutoConfiguration.class)
@ConditionalOnClass(HttpClientSettings.class)
public class RiprapHttpClientsAutoConfiguration {
  /**
   * Spring Boot's {@code spring.http.clients.connect-timeout}, {@code redirects} and {@code
   * ssl.bundle} for the delegate of the {@code ResilientHttpClient} bean. Runs before the
   * application's own customizers.
   *
   * @param settings Spring Boot's HTTP client settings, if any
   * @return the customizer
   */
  @Bean
  @Order(Ordered.HIGHEST_PRECEDENCE)
  public RiprapHttpClientCustomizer riprapSpringHttpClientSettings(
      ObjectProvider<HttpClientSettings> settings) {
    return builder -> {
      HttpClientSettings s = settings.getIfAvailable();
      if (s == null) {
        return;
      }
      HttpClient.Builder delegate =
          HttpClient.newBuilder()
              .connectTimeout(
                  s.connectTimeout() != null
                      ? s.connectTimeout()
                      : RiprapAutoConfiguration.DEFAULT_CONNECT_TIMEOUT)
              .followRedirects(
                  s.redirects() == HttpRedirects.DONT_FOLLOW
                      ? HttpClient.Redirect.NEVER
                      : HttpClient.Redirect.NORMAL);
      if (s.sslBundle() != null) {
        delegate.sslContext(s.sslBundle().createSslContext());
      }
      builder.delegate(delegate.build());
    };
  }

  private static Duration readTimeout(ObjectProvider<HttpClientSettings> settings) {
    HttpClientSettings s = settings.getIfAvailable();
    return s == null ? null : s.readTimeout();
  }

  /** Riprap under {@code RestClient}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({
    RestClient.class,
    RestClientCustomizer.class,
    JdkClientHttpRequestFactory.class
  })
  @ConditionalOnSingleCandidate(ResilientHttpClient.class)
  public static class RestClientConfiguration {
    /**
     * The customizer.
     *
     * @param client the client bean
     * @param settings Spring Boot's HTTP client settings, for the read timeout
     * @return the customizer
     */
    @Bean
    @ConditionalOnMissingBean
    public RiprapRestClientCustomizer riprapRestClientCustomizer(
        ResilientHttpClient client, ObjectProvider<HttpClientSettings> settings) {
      return new RiprapRestClientCustomizer(client, readTimeout(settings));
    }
  }

  /** Riprap under {@code WebClient}, through the JDK connector. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = "org.springframework.boot.webclient.WebClientCustomizer",
      value = {WebClient.class, JdkClientHttpConnector.class})
  @ConditionalOnSingleCandidate(ResilientHttpClient.class)
  public static class WebClientConfiguration {
    /**
     * The customizer.
     *
     * @param client the client bean
     * @param settings Spring Boot's HTTP client settings, for the read timeout
     * @return the customizer
     */
    @Bean
    @ConditionalOnMissingBean
    public RiprapWebClientCustomizer riprapWebClientCustomizer(
        ResilientHttpClient client, ObjectProvider<HttpClientSettings> settings) {
      return new RiprapWebClientCustomizer(client, readTimeout(settings));
    }
  }
}
