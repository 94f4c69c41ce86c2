package dev.riprap.http;

import dev.riprap.internal.TypeNames;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * How one declarative HTTP method builds its request, checked once at creation: the path template
 * with its variables, the {@link Path}, {@link Query}, {@link Header} and {@link Body} parameters,
 * the default headers, and an {@code Idempotency-Key} for an {@link Idempotent} POST or PATCH.
 */
final class RequestTemplate {
  enum BodyKind { STRING, BYTES, ENCODED }

  private final String where;
  private final String verb;
  private final BodyCodec codec;
  private final boolean idempotencyKey;
  private final List<Object> pieces = new ArrayList<>(); // String literals, Integer argument indexes
  private final boolean templateHasQuery;
  private final List<Named> queries = new ArrayList<>();
  private final List<Named> headers = new ArrayList<>();
  private int bodyIndex = -1;
  private BodyKind bodyKind;
  private final boolean userContentType;
  private final boolean userAccept;
  private final boolean userIdempotencyKey;

  private static final class Named {
    final String name;
    final int index;

    Named(String name, int index) {
      this.name = name;
      this.index = index;
    }
  }

  RequestTemplate(String where, String verb, String template, Method m, String base,
      BodyCodec codec, boolean idempotencyKey) {
    this.where = where;
    this.verb = verb;
    this.codec = codec;
    this.idempotencyKey = idempotencyKey;
    // ---- the path template
    String path = template.isEmpty() || template.startsWith("/") || template.startsWith("?")
        ? template
        : "/" + template;
    List<String> variables = new ArrayList<>();
    StringBuilder literal = new StringBuilder(base);
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '}') {
        throw new IllegalArgumentException(
            where + ": @" + verb + " path template '" + template + "' has a '}' without '{'");
      }
      if (c != '{') {
        literal.append(c);
        continue;
      }
      int end = path.indexOf('}', i);
      if (end < 0) {
        throw new IllegalArgumentException(
            where + ": @" + verb + " path template '" + template + "' has an unclosed '{'");
      }
      String name = path.substring(i + 1, end);
      if (name.isEmpty() || name.contains("{")) {
        throw new IllegalArgumentException(
            where + ": @" + verb + " path template '" + template + "' has an empty or nested variable");
      }
      pieces.add(literal.toString());
      literal.setLength(0);
      pieces.add(name);
      variables.add(name);
      i = end;
    }
    pieces.add(literal.toString());
    this.templateHasQuery = path.contains("?");
    try {
      URI.create(String.join("x", literalsOnly()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          where + ": @" + verb + " path template '" + template + "' is not a valid URI: "
              + e.getMessage(), e);
    }

    // ---- the parameters
    Map<String, Integer> pathArgs = new HashMap<>();
    Set<String> headerNames = new LinkedHashSet<>();
    Class<?>[] types = m.getParameterTypes();
    Annotation[][] annotations = m.getParameterAnnotations();
    for (int i = 0; i < types.length; i++) {
      List<Annotation> roles = new ArrayList<>();
      for (Annotation a : annotations[i]) {
        if (a instanceof Path || a instanceof Query || a instanceof Header || a instanceof Body) {
          roles.add(a);
        }
      }
      String param = "parameter " + i + " (" + types[i].getSimpleName() + ")";
      if (roles.isEmpty()) {
        throw new IllegalArgumentException(
            where + ": " + param + " has no @Path, @Query, @Header or @Body");
      }
      if (roles.size() > 1) {
        throw new IllegalStateException(
            where
                + ": "
                + param
                + " carries "
                + roles.stream()
                    .map(a -> "@" + a.annotationType().getSimpleName())
                    .collect(Collectors.joining(" and ")));
      }
      Annotation role = roles.get(0);
      if (role instanceof Path) {
        String name = ((Path) role).value();
        if (!variables.contains(name)) {
          throw new IllegalArgumentException(
              where
                  + ": @Path(\""
                  + name
                  + "\") names no variable of the path template '"
                  + template
                  + "'");
        }
        if (pathArgs.put(name, i) != null) {
          throw new IllegalStateException(where + ": two parameters fill @Path(\"" + name + "\")");
        }
      } else if (role instanceof Query) {
        String name = ((Query) role).value();
        if (name.isEmpty()) {
          throw new IllegalArgumentException(where + ": " + param + " has an empty @Query name");
        }
        queries.add(new Named(name, i));
      } else if (role instanceof Header) {
        String name = ((Header) role).value();
        try {
          HttpRequest.newBuilder(URI.create("http://localhost/")).header(name, "x");
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              where + ": @Header(\"" + name + "\") cannot be sent by java.net.http: "
                  + e.getMessage(), e);
        }
        headers.add(new Named(name, i));
        headerNames.add(name.toLowerCase(Locale.ROOT));
      } else {
        if (bodyIndex >= 0) {
          throw new IllegalStateException(
              where + ": parameters " + bodyIndex + " and " + i + " are both @Body");
        }
        if (verb.equals("GET") || verb.equals("HEAD")) {
          throw new IllegalStateException(where + ": a @" + verb + " request has no @Body");
        }
        bodyIndex = i;
        if (types[i] == String.class) {
          bodyKind = BodyKind.STRING;
        } else if (types[i] == byte[].class) {
          bodyKind = BodyKind.BYTES;
        } else {
          requireCodec(m.getGenericParameterTypes()[i], "takes a @Body of type");
          bodyKind = BodyKind.ENCODED;
        }
      }
    }
    for (String variable : variables) {
      if (!pathArgs.containsKey(variable)) {
        throw new IllegalArgumentException(
            where
                + ": path variable {"
                + variable
                + "} of '"
                + template
                + "' has no @Path parameter");
      }
    }
    for (int p = 0; p < pieces.size(); p++) {
      if (p % 2 == 1) {
        pieces.set(p, pathArgs.get((String) pieces.get(p)));
      }
    }
    this.userContentType = headerNames.contains("content-type");
    this.userAccept = headerNames.contains("accept");
    this.userIdempotencyKey = headerNames.contains("idempotency-key");

  }

  private List<String> literalsOnly() {
    List<String> literals = new ArrayList<>();
    for (int p = 0; p < pieces.size(); p += 2) {
      literals.add((String) pieces.get(p));
    }
    return literals;
  }

  /** A type that needs a codec, and none is set: refused at creation. */
  static void requireCodec(String where, BodyCodec codec, Type type, String what) {
    if (codec == null) {
      throw new IllegalArgumentException(
          where
              + ": "
              + what
              + " "
              + TypeNames.simple(type)
              + ", which needs a BodyCodec; put jackson-databind on the classpath or set"
              + " HttpApi.Builder.codec");
    }
  }

  private void requireCodec(Type type, String what) {
    requireCodec(where, codec, type, what);
  }

  /**
   * The call's request: URI from the template and the arguments, headers, body.
   *
   * @param acceptCodec whether the return type is decoded by the codec (sends its Accept header)
   */
  HttpRequest request(Object[] args, boolean acceptCodec) {
    StringBuilder uri = new StringBuilder();
    for (int p = 0; p < pieces.size(); p++) {
      Object piece = pieces.get(p);
      if (p % 2 == 0) {
        uri.append((String) piece);
      } else {
        int index = (Integer) piece;
        Object value = args[index];
        if (value == null) {
          throw new IllegalArgumentException(
              where + ": the @Path value of parameter " + index + " is null");
        }
        uri.append(encode(value.toString()));
      }
    }
    char separator = templateHasQuery ? '&' : '?';
    for (Named q : queries) {
      for (Object value : values(args[q.index])) {
        uri.append(separator).append(encode(q.name)).append('=').append(encode(value.toString()));
        separator = '&';
      }
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri.toString()));
    HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.noBody();
    String contentType = null;
    if (bodyIndex >= 0 && args[bodyIndex] != null) {
      Object value = args[bodyIndex];
      switch (bodyKind) {
        case STRING:
          body = HttpRequest.BodyPublishers.ofString((String) value, StandardCharsets.UTF_8);
          contentType = "text/plain; charset=UTF-8";
          break;
        case BYTES:
          body = HttpRequest.BodyPublishers.ofByteArray((byte[]) value);
          contentType = "application/octet-stream";
          break;
        default:
          try {
            body = HttpRequest.BodyPublishers.ofByteArray(codec.encode(value));
          } catch (IOException | RuntimeException e) {
            throw new HttpApiCodecException(
                where + ": " + codec + " could not encode the @Body "
                    + value.getClass().getSimpleName(), e);
          }
          contentType = codec.mediaType();
      }
    }
    if (contentType != null && !userContentType) {
      b.header("Content-Type", contentType);
    }
    if (acceptCodec && !userAccept) {
      b.header("Accept", codec.mediaType());
    }
    if (idempotencyKey && !userIdempotencyKey) {
      b.header("Idempotency-Key", UUID.randomUUID().toString());
    }
    for (Named h : headers) {
      Object value = args[h.index];
      if (value != null) {
        b.header(h.name, value.toString());
      }
    }
    return b.method(verb, body).build();
  }

  private static List<Object> values(Object value) {
    if (value == null) {
      return List.of();
    }
    List<Object> out = new ArrayList<>();
    if (value instanceof Iterable) {
      for (Object v : (Iterable<?>) value) {
        if (v != null) {
          out.add(v);
        }
      }
    } else if (value.getClass().isArray()) {
      for (int i = 0; i < Array.getLength(value); i++) {
        Object v = Array.get(value, i);
        if (v != null) {
          out.add(v);
        }
      }
    } else {
      out.add(value);
    }
    return out;
  }

  /** Percent-encodes UTF-8 bytes, keeping only RFC 3986's unreserved characters. */
  static String encode(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      int c = b & 0xFF;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    return out.toString();
  }
}
