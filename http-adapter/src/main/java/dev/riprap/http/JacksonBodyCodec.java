package dev.riprap.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Objects;

/**
 * A JSON {@link BodyCodec} on a Jackson {@link ObjectMapper}. jackson-databind is an optional
 * dependency of riprap-http: this class works only when the application has it on its classpath.
 * Thread-safe as its mapper is (a configured {@code ObjectMapper} is).
 */
public final class JacksonBodyCodec implements BodyCodec {
  private final ObjectMapper mapper;

  /** A codec on a new {@link ObjectMapper} with Jackson's defaults. */
  public JacksonBodyCodec() {
    this(new ObjectMapper());
  }

  /**
   * A codec on the application's own mapper (its modules, naming and feature settings).
   *
   * @param mapper the mapper, not changed by the codec
   * @throws NullPointerException if {@code mapper} is null
   */
  @SuppressWarnings("exports") // a caller with a mapper to pass reads Jackson itself
  public JacksonBodyCodec(ObjectMapper mapper) {
    this.mapper = Objects.requireNonNull(mapper, "mapper");
  }

  /**
   * {@inheritDoc}
   *
   * @return {@code application/json}
   */
  @Override
  public String mediaType() {
    return "application/json";
  }

  @Override
  public byte[] encode(Object value) throws IOException {
    return mapper.writeValueAsBytes(value);
  }

  @Override
  public Object decode(byte[] body, Type type) throws IOException {
    if (body.length == 0) {
      return null;
    }
    return mapper.readValue(body, mapper.getTypeFactory().constructType(type));
  }

  @Override
  public String toString() {
    return "JacksonBodyCodec";
  }
}
