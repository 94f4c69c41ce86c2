package dev.riprap.http;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Optional;

/**
 * Turns request bodies into bytes and response bodies into the types a declarative HTTP interface
 * ({@link HttpApi}) returns: the small SPI behind every {@link Body} parameter and return type other
 * than {@code String}, {@code byte[]}, {@code void} and {@code HttpResponse}. Implementations must
 * be thread-safe.
 *
 * <p>{@link JacksonBodyCodec} is the JSON codec, used by default when jackson-databind is on the
 * classpath ({@link #detect()}).
 */
public interface BodyCodec {
  /**
   * The media type written as {@code Content-Type} of encoded bodies and {@code Accept} of calls
   * that decode, such as {@code application/json}.
   *
   * @return the media type
   */
  String mediaType();

  /**
   * Encodes a request body.
   *
   * @param value the value, not null
   * @return the bytes to send
   * @throws IOException if the value cannot be encoded
   */
  byte[] encode(Object value) throws IOException;

  /**
   * Decodes a response body into {@code type}, generic arguments included.
   *
   * @param body the body's bytes, possibly empty
   * @param type the method's (element) return type, such as {@code List<Item>}
   * @return the decoded value
   * @throws IOException if the bytes are not a {@code type}
   */
  Object decode(byte[] body, Type type) throws IOException;

  /**
   * The JSON codec when jackson-databind is on the classpath.
   *
   * @return a {@link JacksonBodyCodec} with a default {@code ObjectMapper}, or empty without Jackson
   */
  static Optional<BodyCodec> detect() {
    try {
      Class.forName("com.fasterxml.jackson.databind.ObjectMapper", false, BodyCodec.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      return Optional.empty();
    }
    return Optional.of(new JacksonBodyCodec());
  }
}
