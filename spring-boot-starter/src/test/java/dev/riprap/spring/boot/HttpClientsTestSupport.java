package dev.riprap.spring.boot;

import dev.riprap.event.CallCompleted;
import dev.riprap.event.RetryScheduled;
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

  /** Where a retry's wait came from. */
  enum WaitSource {
    /** The server's {@code Retry-After} (the test server's is 0: a 1 ms wait). */
    RETRY_AFTER,
    /** The policy's backoff (10 ms or more with these settings). */
    BACKOFF
  }

  /**
   * The customizer bean the tests add: three attempts, backoff waits of 20 ms +-50% jitter, so that
   * a {@code Retry-After: 0} wait (1 ms) is told apart from a backoff.
   */
  static RiprapHttpClientCustomizer threeAttempts() {
    return client ->
        client.policy(
            HttpPolicy.builder("upstream")
                .maxRetries(ATTEMPTS - 1)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(20))
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

  /**
   * Where each retry's wait came from, in order: {@link WaitSource#RETRY_AFTER} when the retried
   * response carried {@code Retry-After} and the wait is what that header asks (seconds, at least
   * 1 ms), else {@link WaitSource#BACKOFF}.
   */
  static List<WaitSource> retryWaits(ResilientHttpClient client) {
    List<WaitSource> sources = new CopyOnWriteArrayList<>();
    client.events().subscribe(RetryScheduled.class, e -> sources.add(source(e)));
    return sources;
  }

  private static WaitSource source(RetryScheduled e) {
    if (e.result() instanceof HttpResponse<?> r) {
      Duration asked = r.headers().firstValue("Retry-After")
          .map(v -> Duration.ofSeconds(Long.parseLong(v.trim())))
          .map(d -> d.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : d)
          .orElse(null);
      if (e.delay().equals(asked)) {
        return WaitSource.RETRY_AFTER;
      }
    }
    return WaitSource.BACKOFF;
  }

  /** The next call's end, as the client reports it. */
  static CompletableFuture<CallCompleted> nextCompletion(ResilientHttpClient client) {
    CompletableFuture<CallCompleted> done = new CompletableFuture<>();
    client.events().subscribe(CallCompleted.class, done::complete);
    return done;
  }
}
