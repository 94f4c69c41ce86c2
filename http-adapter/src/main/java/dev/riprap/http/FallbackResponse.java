package dev.riprap.http;

import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an {@link HttpFallback} answers instead of a failure: a status, headers and body bytes. The
 * client feeds the bytes to the caller's own {@link java.net.http.HttpResponse.BodyHandler}, so the
 * caller gets an {@code HttpResponse<T>} of whatever body type it asked for.
 *
 * @param statusCode the status to report, 100 to 599
 * @param headers the headers to report
 * @param body the body bytes (not copied; do not change them afterwards)
 */
public record FallbackResponse(int statusCode, HttpHeaders headers, byte[] body) {
  /**
   * Validates the components.
   *
   * @param statusCode the status, 100 to 599
   * @param headers the headers
   * @param body the body bytes
   *
   * @throws IllegalArgumentException if {@code statusCode} is not in [100, 599]
   * @throws NullPointerException if {@code headers} or {@code body} is null
   */
  public FallbackResponse {
    if (statusCode < 100 || statusCode > 599) {
      throw new IllegalArgumentException("statusCode must be in [100, 599], was " + statusCode);
    }
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(body, "body");
  }

  /**
   * A response with a UTF-8 text body and a {@code Content-Type} of {@code contentType}.
   *
   * @param statusCode the status, 100 to 599
   * @param contentType the content type, for example {@code "application/json"}
   * @param body the body text
   * @return the response
   * @throws IllegalArgumentException if {@code statusCode} is out of range
   */
  public static FallbackResponse of(int statusCode, String contentType, String body) {
    return new FallbackResponse(
        statusCode,
        HttpHeaders.of(Map.of("Content-Type", List.of(contentType)), (k, v) -> true),
        body.getBytes(StandardCharsets.UTF_8));
  }
}
