package dev.riprap.endpoint;

import java.util.concurrent.CompletionStage;

/**
 * An active health check of one endpoint: asks the endpoint itself whether it is well (Envoy's and
 * gRPC's active health checking), periodically, beside the traffic. Given to {@link
 * EndpointGroup.Builder#healthCheck(HealthCheck, HealthCheckSettings)}; the HTTP client has one
 * that sends {@code GET <endpoint><path>} ({@code ResilientHttpClient.Builder.healthCheck(service,
 * path)}).
 *
 * <p>The check is called on the group's time source's timer thread, which the system time source
 * shares with every policy's timeouts: it must return its stage at once and do its I/O
 * asynchronously (an {@code HttpClient.sendAsync}, a driver's async ping). The endpoint is healthy
 * by this check when the stage completes with {@code true} within the settings' timeout; {@code
 * false}, {@code null}, an exception (thrown or in the stage, an {@link Error} included), a null
 * stage or no answer within the timeout is a failed check. When the timeout or the group's {@code
 * close()} gives up on a check, its stage is cancelled (through {@code toCompletableFuture()}).
 *
 * @param <E> the endpoint type
 */
@FunctionalInterface
public interface HealthCheck<E> {
  /**
   * Starts one check of {@code endpoint}.
   *
   * @param endpoint the endpoint to check
   * @return a stage that completes with {@code true} when the endpoint is healthy
   */
  CompletionStage<Boolean> check(E endpoint);
}
