package dev.riprap.spring.boot;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Puts a {@code ResilientHttpClient} under every {@link WebClient} built from Spring Boot's {@code
 * WebClient.Builder}, through Spring's {@link JdkClientHttpConnector} (no Netty): each exchange
 * gets Riprap's retries, per-host breakers, {@code Retry-After} and drain, without blocking a
 * thread between attempts.
 *
 * <p>A read timeout ({@code spring.http.clients.read-timeout}, given here) becomes each request's
 * own timeout, which Riprap keeps as the timeout of each attempt in place of the {@code
 * HttpPolicy}'s attempt timeout; the total timeout still bounds the call. Reactor's {@code
 * timeout(...)} on the {@code Mono} cancels the exchange, which stops Riprap's retries.
 */
public final class RiprapWebClientCustomizer implements WebClientCustomizer {
  private final HttpClient client;
  private final Duration readTimeout;

  /**
   * A customizer plugging {@code client} in.
   *
   * @param client the client, normally the {@code ResilientHttpClient} bean
   * @param readTimeout each attempt's timeout, or {@code null} for the policy's own
   * @throws IllegalArgumentException if {@code readTimeout} is not positive
   */
  public RiprapWebClientCustomizer(HttpClient client, Duration readTimeout) {
    this.client = Objects.requireNonNull(client, "client");
    this.readTimeout = RiprapEnvironment.positiveOrNull(readTimeout, "readTimeout");
  }

  @Override
  public void customize(WebClient.Builder builder) {
    JdkClientHttpConnector connector = new JdkClientHttpConnector(client);
    if (readTimeout != null) {
      connector.setReadTimeout(readTimeout);
    }
    builder.clientConnector(connector);
  }
}
