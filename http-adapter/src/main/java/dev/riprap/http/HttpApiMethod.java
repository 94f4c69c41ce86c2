package dev.riprap.http;

import dev.riprap.annotation.CallTarget;
import dev.riprap.internal.TypeNames;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * One method of a declarative HTTP interface, checked once: how to build its request from the
 * call's arguments and how to turn the response into its return value.
 */
// Size: one job, one declarative HTTP method's request building and response decoding; kept
// together until the HTTP issue moves its retry and classification onto the engine's hooks.
final class HttpApiMethod {
  private static final List<Class<? extends Annotation>> VERBS =
      List.of(GET.class, POST.class, PUT.class, DELETE.class, PATCH.class, HEAD.class);


  enum Result { VOID, STRING, BYTES, DECODED, RESPONSE_STRING, RESPONSE_BYTES, RESPONSE_VOID }

  enum BodyKind { STRING, BYTES, ENCODED }

  private final String where;
  private final HttpClient client;
  private final HttpClassifier classifier;
  /** Whether the client retries this method's requests (no retry in its annotations). */
  private final boolean clientRetries;
  private final BodyCodec codec;
  final String verb;
  final boolean idempotent;
  private final boolean idempotencyKey;
  private final List<Object> pieces = new ArrayList<>(); // String literals, Integer argument indexes
  private final boolean templateHasQuery;
  private final List<Named> queries = new ArrayList<>();
  private final List<Named> headers = new ArrayList<>();
  private int bodyIndex = -1;
  private BodyKind bodyKind;
  private final boolean async;
  private final Result result;
  private final Type decodedType;
  private final boolean declaresIo;
  private final boolean declaresInterrupted;

  private static final class Named {
    final String name;
    final int index;

    Named(String name, int index) {
      this.name = name;
      this.index = index;
    }
  }

  HttpApiMethod(Class<?> api, Method m, String base, HttpClient client, BodyCodec codec,
      HttpClassifier classifier, boolean clientRetries) {
    this.where = HttpApi.describe(api, m);
    this.client = client;
    this.classifier = classifier;
    this.clientRetries = clientRetries;
    this.codec = codec;
    Annotation verbAnnotation = null;
    for (Class<? extends Annotation> type : VERBS) {
      Annotation a = m.getAnnotation(type);
      if (a != null) {
        if (verbAnnotation != null) {
          throw new IllegalStateException(
              where
                  + ": carries both @"
                  + verbAnnotation.annotationType().getSimpleName()
                  + " and @"
                  + type.getSimpleName());
        }
        verbAnnotation = a;
      }
    }
    if (verbAnnotation == null) {
      throw new IllegalArgumentException(
          where + ": no HTTP method; annotate it with @GET, @POST, @PUT, @DELETE, @PATCH or @HEAD");
    }
    this.verb = verbAnnotation.annotationType().getSimpleName();
    String template = template(verbAnnotation);
    boolean markedIdempotent = m.isAnnotationPresent(Idempotent.class);
    this.idempotent = Exchange.IDEMPOTENT.contains(verb) || markedIdempotent;
    this.idempotencyKey = markedIdempotent && !Exchange.IDEMPOTENT.contains(verb);

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

    // ---- the return type
    Class<?> raw = m.getReturnType();
    this.async = raw == CompletableFuture.class || raw == CompletionStage.class;
    Type element = async ? argument(m.getGenericReturnType()) : m.getGenericReturnType();
    Class<?> elementRaw = rawOf(element);
    if (elementRaw == void.class || elementRaw == Void.class) {
      result = Result.VOID;
    } else if (elementRaw == String.class) {
      result = Result.STRING;
    } else if (elementRaw == byte[].class) {
      result = Result.BYTES;
    } else if (elementRaw == HttpResponse.class) {
      Class<?> body = rawOf(argument(element));
      if (body == String.class) {
        result = Result.RESPONSE_STRING;
      } else if (body == byte[].class) {
        result = Result.RESPONSE_BYTES;
      } else if (body == Void.class) {
        result = Result.RESPONSE_VOID;
      } else {
        throw new IllegalArgumentException(
            where
                + ": returns "
                + simple(element)
                + "; expected HttpResponse<String>, HttpResponse<byte[]> or HttpResponse<Void>");
      }
    } else {
      requireCodec(element, "returns");
      result = Result.DECODED;
    }
    this.decodedType = element;
    this.declaresIo = declares(m, IOException.class);
    this.declaresInterrupted = declares(m, InterruptedException.class);
  }

  private final boolean userContentType;
  private final boolean userAccept;
  private final boolean userIdempotencyKey;

  private static String template(Annotation verb) {
    if (verb instanceof GET) {
      return ((GET) verb).value();
    }
    if (verb instanceof POST) {
      return ((POST) verb).value();
    }
    if (verb instanceof PUT) {
      return ((PUT) verb).value();
    }
    if (verb instanceof DELETE) {
      return ((DELETE) verb).value();
    }
    if (verb instanceof PATCH) {
      return ((PATCH) verb).value();
    }
    return ((HEAD) verb).value();
  }

  private List<String> literalsOnly() {
    List<String> literals = new ArrayList<>();
    for (int p = 0; p < pieces.size(); p += 2) {
      literals.add((String) pieces.get(p));
    }
    return literals;
  }

  private void requireCodec(Type type, String what) {
    if (codec == null) {
      throw new IllegalArgumentException(
          where
              + ": "
              + what
              + " "
              + simple(type)
              + ", which needs a BodyCodec; put jackson-databind on the classpath or set"
              + " HttpApi.Builder.codec");
    }
  }

  private static boolean declares(Method m, Class<?> thrown) {
    for (Class<?> declared : m.getExceptionTypes()) {
      if (declared.isAssignableFrom(thrown)) {
        return true;
      }
    }
    return false;
  }

  private static Type argument(Type t) {
    return t instanceof ParameterizedType
        ? ((ParameterizedType) t).getActualTypeArguments()[0]
        : Object.class;
  }

  private static Class<?> rawOf(Type t) {
    if (t instanceof Class) {
      return (Class<?>) t;
    }
    if (t instanceof ParameterizedType) {
      return (Class<?>) ((ParameterizedType) t).getRawType();
    }
    return Object.class;
  }

  static String simple(Type t) {
    return TypeNames.simple(t);
  }

  // ---------------------------------------------------------------- per call

  /** Builds the call's request once; the attempt sends that same request each time. */
  CallTarget.Attempt start(Object[] args) {
    HttpRequest request = request(args == null ? new Object[0] : args);
    if (async) {
      return () -> sendAsync(request);
    }
    return () -> send(request);
  }

  HttpRequest request(Object[] args) {
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
    if (result == Result.DECODED && !userAccept) {
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

  private HttpResponse.BodyHandler<?> handler() {
    switch (result) {
      case RESPONSE_STRING:
        return HttpResponse.BodyHandlers.ofString();
      case RESPONSE_VOID:
        return HttpResponse.BodyHandlers.discarding();
      default:
        return HttpResponse.BodyHandlers.ofByteArray();
    }
  }

  private Object send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<?> response;
    try {
      response = clientRetries || !(client instanceof ResilientHttpClient)
          ? client.send(request, handler())
          : ((ResilientHttpClient) client).sendOnce(request, handler());
    } catch (IOException e) {
      if (declaresIo) {
        throw e;
      }
      throw new UncheckedIOException(e.getMessage(), e);
    } catch (InterruptedException e) {
      if (declaresInterrupted) {
        throw e;
      }
      Thread.currentThread().interrupt();
      InterruptedIOException interrupted =
          new InterruptedIOException(request.method() + " " + request.uri() + " was interrupted");
      if (declaresIo) {
        throw interrupted;
      }
      throw new UncheckedIOException(interrupted.getMessage(), interrupted);
    }
    return answer(request, response);
  }

  private CompletableFuture<Object> sendAsync(HttpRequest request) {
    CompletableFuture<? extends HttpResponse<?>> sent =
        clientRetries || !(client instanceof ResilientHttpClient)
            ? client.sendAsync(request, handler())
            : ((ResilientHttpClient) client).sendOnceAsync(request, handler());
    CompletableFuture<Object> answered = sent.thenApply(r -> answer(request, r));
    answered.whenComplete(
        (v, t) -> {
          if (answered.isCancelled()) {
            sent.cancel(true);
          }
        });
    return answered;
  }

  private Object answer(HttpRequest request, HttpResponse<?> response) {
    switch (result) {
      case RESPONSE_STRING:
      case RESPONSE_BYTES:
      case RESPONSE_VOID:
        return response;
      default:
        break;
    }
    byte[] body = (byte[]) response.body();
    int status = response.statusCode();
    if (status < 200 || status > 299) {
      throw new HttpStatusException(
          request.method(), request.uri(), status, response.headers(),
          body == null ? new byte[0] : body,
          classifier.isTransientFailure(
              new Responses.Info(status, response.headers(), response.version())));
    }
    switch (result) {
      case VOID:
        return null;
      case STRING:
        return new String(body, HttpStatusException.charsetOf(response.headers()));
      case BYTES:
        return body;
      default:
        try {
          return codec.decode(body, decodedType);
        } catch (IOException | RuntimeException e) {
          throw new HttpApiCodecException(
              where + ": " + codec + " could not decode the " + status + " answer of "
                  + request.method() + " " + request.uri() + " as " + simple(decodedType), e);
        }
    }
  }
}
