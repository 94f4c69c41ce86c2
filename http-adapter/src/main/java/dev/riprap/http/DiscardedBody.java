package dev.riprap.http;

import java.time.Duration;
import java.util.Objects;

/**
 * Stands in for the body of a response that the client discarded unread because another attempt
 * will follow. Listeners see it in {@link dev.riprap.event.RetryScheduled#result()}: that result is
 * the discarded {@link java.net.http.HttpResponse}, and its {@code body()} is this record, telling
 * the planned wait and where it came from. Callers never receive a response with this body.
 *
 * @param delay the wait planned before the next attempt
 * @param source whether the wait came from the backoff or the server's {@code Retry-After}
 */
public record DiscardedBody(Duration delay, DelaySource source) {
  /**
   * Validates the components.
   *
   * @param delay the planned wait
   * @param source where the wait came from
   *
   * @throws NullPointerException if a component is null
   */
  public DiscardedBody {
    Objects.requireNonNull(delay, "delay");
    Objects.requireNonNull(source, "source");
  }

  /** Where a retry's wait came from. */
  public enum DelaySource {
    /** The policy's exponential backoff with jitter. */
    BACKOFF,
    /** The response's {@code Retry-After} header, capped by the policy's maximum. */
    RETRY_AFTER
  }
}
