package dev.riprap.spring.boot;

import dev.riprap.event.CallCompleted;
import dev.riprap.event.RetryScheduled;
import dev.riprap.http.DiscardedBody;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.ResilientHttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** What the HTTP client tests share: the policy they configure and what the client's events say. */
final class HttpClientsTestSupport {
  /** Three attempts in all, with short waits, so that a test counts them quickly. */
  static final int ATTEMPTS = 3;

  private HttpClientsTestSupport() {}

  /** The customizer bean the tests add: three attempts, waits of 1 to 5 ms. */
  static RiprapHttpClientCustomizer threeAttempts() {
    return client ->
        client.policy(
            HttpPolicy.builder("upstream")
                .maxRetries(ATTEMPTS - 1)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(5))
                .build());
  }

  /** A client with {@link #threeAttempts()} and a connect timeout, as Feign needs. */
  static ResilientHttpClient threeAttemptsClient() {
    ResilientHttpClient.Builder builder =
        ResilientHttpClient.builder()
            .delegate(
                java.net.http.HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build());
    threeAttempts().customize(builder);
    return builder.build();
  }

  /**
   * A context with Riprap under one of Spring's HTTP clients: the starter's auto-configurations
   * with Boot's HTTP client settings and {@code springClient}'s (RestClient's or WebClient's).
   */
  static ApplicationContextRunner runner(Class<?> springClient) {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                RiprapAutoConfiguration.class,
                RiprapHttpClientsAutoConfiguration.class,
                HttpClientAutoConfiguration.class,
                springClient));
  }

  /** Where each retry's wait came from, in order. */
  static List<DiscardedBody.DelaySource> retryWaits(ResilientHttpClient client) {
    List<DiscardedBody.DelaySource> sources = new CopyOnWriteArrayList<>();
    client
        .events()
        .subscribe(
            RetryScheduled.class,
            e -> sources.add(((DiscardedBody) ((HttpResponse<?>) e.result()).body()).source()));
    return sources;
  }

  /** The next call's end, as the client reports it. */
  static CompletableFuture<CallCompleted> nextCompletion(ResilientHttpClient client) {
    CompletableFuture<CallCompleted> done = new CompletableFuture<>();
    client.events().subscribe(CallCompleted.class, done::complete);
    return done;
  }
}
