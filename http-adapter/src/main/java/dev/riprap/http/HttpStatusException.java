package dev.riprap.http;

import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A declarative HTTP call ({@link HttpApi}) answered with a status outside 2xx, after the client's
 * whole pipeline (its retries included): the status, the headers and the body, so callers branch on
 * {@link #statusCode()} instead of parsing messages. Methods that return {@code HttpResponse} get
 * the response instead.
 *
 * <p>Unchecked, so interface methods need not declare it. The message reads like {@code "GET
 * http://host/items/7?page=... answered 404"}: it never shows the URI's userinfo ({@code
 * user:secret@}) nor query values, which may be credentials; {@link #uri()} is the full URI.
 */
public class HttpStatusException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String method;
  private final URI uri;
  private final int statusCode;
  private final transient HttpHeaders headers;
  private final byte[] body;
  private final boolean transientFailure;

  /**
   * Creates the exception, classified by {@link HttpClassifier#standard()}.
   *
   * @param method the request method
   * @param uri the request URI
   * @param statusCode the response status
   * @param headers the response headers
   * @param body the response body, possibly empty
   * @throws NullPointerException if an argument is null
   */
  public HttpStatusException(
      String method, URI uri, int statusCode, HttpHeaders headers, byte[] body) {
    this(method, uri, statusCode, headers, body, StandardClassifier.isTransientStatus(statusCode));
  }

  /** The exception of a response that the client's own classifier already judged. */
  HttpStatusException(String method, URI uri, int statusCode, HttpHeaders headers, byte[] body,
      boolean transientFailure) {
    super(method + " " + Redact.uri(Objects.requireNonNull(uri, "uri")) + " answered " + statusCode);
    this.transientFailure = transientFailure;
    this.method = Objects.requireNonNull(method, "method");
    this.uri = Objects.requireNonNull(uri, "uri");
    this.statusCode = statusCode;
    this.headers = Objects.requireNonNull(headers, "headers");
    this.body = Objects.requireNonNull(body, "body").clone();
  }

  /**
   * The request method.
   *
   * @return the method, such as {@code GET}
   */
  public String method() {
    return method;
  }

  /**
   * The request URI, in full: unlike the message, it may carry credentials (userinfo, an API key
   * in the query), so log the message rather than this.
   *
   * @return the URI
   */
  public URI uri() {
    return uri;
  }

  /**
   * The response status.
   *
   * @return the status code
   */
  public int statusCode() {
    return statusCode;
  }

  /**
   * The response headers.
   *
   * @return the headers
   */
  public HttpHeaders headers() {
    return headers;
  }

  /**
   * The response body.
   *
   * @return a copy of the body's bytes, possibly empty
   */
  public byte[] body() {
    return body.clone();
  }

  /**
   * The response body as text, in the charset of its {@code Content-Type} (UTF-8 when none).
   *
   * @return the body text
   */
  public String bodyAsString() {
    return new String(body, charsetOf(headers));
  }

  /**
   * Whether the response is a transient failure, as the {@link HttpClassifier} of the client that
   * received it says (an {@link HttpApi} over a {@link ResilientHttpClient} asks that client's;
   * otherwise {@link HttpClassifier#standard()}: 5xx, 408 and 429).
   *
   * @return {@code true} for a transient failure
   */
  public boolean isTransient() {
    return transientFailure;
  }

  static Charset charsetOf(HttpHeaders headers) {
    String type = headers.firstValue("Content-Type").orElse("");
    for (String part : type.split(";")) {
      String p = part.trim();
      if (p.regionMatches(true, 0, "charset=", 0, 8)) {
        try {
          return Charset.forName(p.substring(8).replace("\"", "").trim());
        } catch (RuntimeException e) {
          return StandardCharsets.UTF_8;
        }
      }
    }
    return StandardCharsets.UTF_8;
  }
}
