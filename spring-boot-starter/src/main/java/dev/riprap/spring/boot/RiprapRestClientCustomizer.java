package dev.riprap.spring.boot;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/**
 * Puts a {@code ResilientHttpClient} under every {@link RestClient} built from Spring Boot's {@code
 * RestClient.Builder}, through Spring's {@link JdkClientHttpRequestFactory}: each call gets
 * Riprap's retries, per-host breakers, {@code Retry-After} and drain.
 *
 * <p>A read timeout ({@code spring.http.clients.read-timeout}, given here) is Spring's bound of the
 * whole call: Spring Framework 7 waits that long for the response headers and then cancels the
 * call, which stops Riprap's retries and the attempt in flight; the caller gets a {@code
 * ResourceAccessException} caused by an {@code HttpTimeoutException}. It does not replace Riprap's
 * attempt timeout. Keep it above the {@code HttpPolicy}'s total timeout (30 s by default), or leave
 * it unset, so that Riprap decides.
 */
public final class RiprapRestClientCustomizer implements RestClientCustomizer {
  private final HttpClient client;
  private final Duration readTimeout;

  /**
   * A customizer plugging {@code client} in.
   *
   * @param client the client, normally the {@code ResilientHttpClient} bean
   * @param readTimeout Spring's read timeout, or {@code null} for none
   * @throws IllegalArgumentException if {@code readTimeout} is not positive
   */
  public RiprapRestClientCustomizer(HttpClient client, Duration readTimeout) {
    this.client = Objects.requireNonNull(client, "client");
    this.readTimeout = RiprapEnvironment.positiveOrNull(readTimeout, "readTimeout");
  }

  @Override
  public void customize(RestClient.Builder builder) {
    JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(client);
    if (readTimeout != null) {
      factory.setReadTimeout(readTimeout);
    }
    builder.requestFactory(factory);
  }
}
