package dev.riprap.http;

import java.net.http.HttpRequest;

/**
 * Produces a response for a request whose call failed with an exception: a transport failure after
 * the last attempt, or a rejection ({@link HttpRejectedException}: breaker open, rate limited,
 * concurrency limit, timed out, draining). It is consulted after the stale-if-error cache. A final
 * response, even a 503, is not a failure here: the caller gets it as the JDK would have given it.
 *
 * <p>Runs on the thread that completes the call; must be thread-safe and must not block.
 */
@FunctionalInterface
public interface HttpFallback {
  /**
   * The response to give instead of {@code failure}, or {@code null} to let the failure through.
   *
   * @param request the caller's request
   * @param failure the exception the call would end with (an {@link java.io.IOException}; {@link
   *     HttpRejectedException} for rejections)
   * @return the fallback response, or {@code null}
   */
  FallbackResponse apply(HttpRequest request, Throwable failure);
}
