package dev.riprap.http;

import dev.riprap.annotation.CallTarget;
import dev.riprap.internal.TypeNames;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One method of a declarative HTTP interface, checked once: its HTTP method, its request (a
 * {@link RequestTemplate}), and how to turn the response into its return value.
 */
final class HttpApiMethod {
  private static final List<Class<? extends Annotation>> VERBS =
      List.of(GET.class, POST.class, PUT.class, DELETE.class, PATCH.class, HEAD.class);


  enum Result { VOID, STRING, BYTES, DECODED, RESPONSE_STRING, RESPONSE_BYTES, RESPONSE_VOID }

  private final String where;
  private final HttpClient client;
  private final HttpClassifier classifier;
  /**
   * The policies this method's requests run under, derived from the routes' ({@link
   * RoutePolicies}); null when they go through {@code client.send} as any request. Set once, at
   * creation, before the proxy is returned.
   */
  private volatile RoutePolicies routePolicies;
  private final BodyCodec codec;
  final String verb;
  final boolean idempotent;
  private final RequestTemplate template;
  private final boolean async;
  private final Result result;
  private final Type decodedType;
  private final boolean declaresIo;
  private final boolean declaresInterrupted;

  HttpApiMethod(Class<?> api, Method m, String base, HttpClient client, BodyCodec codec,
      HttpClassifier classifier) {
    this.where = HttpApi.describe(api, m);
    this.client = client;
    this.classifier = classifier;
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
    boolean idempotencyKey = markedIdempotent && !Exchange.IDEMPOTENT.contains(verb);

    this.template = new RequestTemplate(where, verb, template, m, base, codec, idempotencyKey);

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

  private void requireCodec(Type type, String what) {
    RequestTemplate.requireCodec(where, codec, type, what);
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

  /** Sends this method's requests under {@code policies} from now on (called at creation). */
  void sendUnder(RoutePolicies policies) {
    this.routePolicies = policies;
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
    return template.request(args, result == Result.DECODED);
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
      RoutePolicies policies = routePolicies;
      response = policies == null
          ? client.send(request, handler())
          : Dispatch.send(Dispatch.exchange(
              ((ResilientHttpClient) client).engine, request, handler(), policies));
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
          new InterruptedIOException(request.method() + " " + Redact.uri(request.uri()) + " was interrupted");
      if (declaresIo) {
        throw interrupted;
      }
      throw new UncheckedIOException(interrupted.getMessage(), interrupted);
    }
    return answer(request, response);
  }

  private CompletableFuture<Object> sendAsync(HttpRequest request) {
    RoutePolicies policies = routePolicies;
    CompletableFuture<? extends HttpResponse<?>> sent = policies == null
        ? client.sendAsync(request, handler())
        : Dispatch.sendAsync(Dispatch.exchange(
            ((ResilientHttpClient) client).engine, request, handler(), policies));
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
                  + request.method() + " " + Redact.uri(request.uri()) + " as " + simple(decodedType), e);
        }
    }
  }
}
