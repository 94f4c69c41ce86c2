package dev.riprap.http;

/**
 * A declarative HTTP call ({@link HttpApi}) whose body could not be encoded or decoded by the
 * {@link BodyCodec}: a contract mismatch between client and server, never retried and never counted
 * by a breaker. The cause is the codec's exception.
 */
public class HttpApiCodecException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what could not be encoded or decoded, and where
   * @param cause the codec's exception
   */
  public HttpApiCodecException(String message, Throwable cause) {
    super(message, cause);
  }
}
