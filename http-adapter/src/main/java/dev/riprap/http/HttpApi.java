package dev.riprap.http;

import dev.riprap.PolicyRegistry;
import dev.riprap.TimeSource;
import dev.riprap.annotation.CallTarget;
import dev.riprap.annotation.Policy;
import dev.riprap.annotation.Resilient;
import dev.riprap.annotation.Retry;
import dev.riprap.annotation.Timeout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

/**
 * Declarative HTTP clients: an annotated interface becomes a client, with no code generation and no
 * container (a plain {@code java.lang.reflect.Proxy}).
 *
 * <pre>{@code
 * interface Inventory {
 *   @GET("/items/{id}")
 *   @Retry(maxAttempts = 2)
 *   @Fallback(method = "unknown")
 *   Item item(@Path("id") String id, @Query("fields") String fields);
 *
 *   @POST("/items") @Idempotent
 *   CompletableFuture<Item> add(@Body Item item, @Header("X-Request-Id") String requestId);
 *
 *   default Item unknown(String id, String fields) { return Item.UNKNOWN; }
 * }
 * Inventory inventory = HttpApi.builder(ResilientHttpClient.standard(), URI.create(base))
 *     .build()
 *     .create(Inventory.class);
 * }</pre>
 *
 * <p><b>One retry layer.</b> Each call builds its request once and sends it through the given
 * client: a {@link ResilientHttpClient} applies its own pipeline (per-host breakers, HTTP-aware
 * retries, Retry-After, the retry budget) to every request. Over a {@code ResilientHttpClient} a
 * method's {@link Retry @Retry} (its own or the interface's) configures that pipeline instead of
 * stacking a second retry around it: the method's requests run under a policy derived at creation
 * from each route policy its HTTP verb can reach, named {@code <route>.<Interface>.<method>}, with
 * {@code maxRetries = maxAttempts - 1}, the annotation's backoff (+/-50% jitter) and the method's
 * {@link Timeout @Timeout} as attempt and total timeouts; the proxy does not retry the method
 * again. {@code retryOn} and {@code abortOn} cannot apply there (the client's classifier decides),
 * nor more than 11 attempts. A method without {@code @Retry} gets the route's retries; a method
 * whose {@code @Policy} registry policy retries sends each of its attempts through the client once
 * (the route's policy without retries). The other resilience annotations of {@code
 * dev.riprap.annotation} apply per method around the whole client call: {@code
 * Fallback(TotalTimeout(CircuitBreaker(RateLimiter(Bulkhead(AttemptTimeout(client.send))))))}. Over
 * another {@code HttpClient}, every annotation applies around {@code send}, as for any proxy. For
 * the method-level strategies only transient failures count, as the client's {@link
 * HttpClassifier} says (transport failures, and answers 5xx, 408 and 429 by default); a 404 is an
 * answer, returned at once and never opening a breaker.
 *
 * <p><b>Idempotency.</b> POST and PATCH are not retried: a {@code @Retry} (or a {@code @Policy}
 * whose registry policy retries) on one fails at creation unless the method is {@link Idempotent},
 * in which case every call carries one {@code Idempotency-Key} (a random UUID) on all its attempts,
 * and the {@link ResilientHttpClient} retries it too.
 *
 * <p><b>Return types.</b> {@code void}, {@code String} (in the response's charset, UTF-8 when
 * none), {@code byte[]}, any type the {@link BodyCodec} decodes, {@code HttpResponse<String>},
 * {@code HttpResponse<byte[]>}, {@code HttpResponse<Void>}, and each of them inside a {@code
 * CompletableFuture} or {@code CompletionStage} for an async call. A status outside 2xx surfaces
 * as an {@link HttpStatusException} carrying status, headers and body, except for methods returning
 * {@code HttpResponse}, which get the response as it is. A body the codec cannot read is an {@link
 * HttpApiCodecException}.
 *
 * <p><b>Exceptions of sync methods.</b> A transport failure is thrown as the {@code IOException}
 * itself (a {@link HttpRejectedException} when the client refused) if the method declares {@code
 * IOException}, otherwise wrapped in an {@link UncheckedIOException}. An interrupt is thrown as
 * {@code InterruptedException} if declared, otherwise as an {@link java.io.InterruptedIOException}
 * under the same rule, with the thread's interrupt flag set again.
 *
 * <p>Everything is checked by {@link #create(Class)}: the HTTP annotations (one HTTP method per
 * method, every parameter with one role, path variables matched with {@link Path} parameters both
 * ways, a codec for the types that need one, headers the JDK client accepts) and the resilience
 * annotations (see {@link Resilient}). Errors name the interface, the method and the problem. An
 * {@code HttpApi} is immutable and thread-safe; named breakers, limiters and bulkheads are shared by
 * all the clients it creates.
 */
public final class HttpApi {
  private final HttpClient client;
  private final String base;
  private final BodyCodec codec;
  private final PolicyRegistry registry;
  private final Resilient resilient;
  /** The client's classifier ({@link ResilientHttpClient#classifier()}), else the standard one. */
  private final HttpClassifier classifier;

  private HttpApi(Builder b) {
    this.client = b.client;
    this.base = b.base;
    this.codec = b.codec;
    this.registry = b.registry;
    this.classifier = b.client instanceof ResilientHttpClient
        ? ((ResilientHttpClient) b.client).classifier() : HttpClassifier.standard();
    Resilient.Builder r =
        Resilient.builder()
            .timeSource(b.time)
            .countedFailures(failure -> isTransientFailure(failure, classifier));
    if (b.registry != null) {
      r.registry(b.registry);
    }
    if (b.asyncExecutor != null) {
      r.asyncExecutor(b.asyncExecutor);
    }
    this.resilient = r.build();
  }

  /**
   * Starts a builder for clients sending through {@code client} to paths under {@code baseUri}.
   *
   * @param client the HTTP client, typically a {@link ResilientHttpClient}; not closed by {@code
   *     HttpApi}
   * @param baseUri an absolute {@code http} or {@code https} URI without query or fragment, such as
   *     {@code http://inventory:8080/api}
   * @return a new builder
   * @throws IllegalArgumentException if {@code baseUri} is not of that form
   * @throws NullPointerException if an argument is null
   */
  public static Builder builder(HttpClient client, URI baseUri) {
    return new Builder(client, baseUri);
  }

  /**
   * A declarative client with the defaults: the JSON codec when Jackson is present, no registry.
   *
   * @param api the annotated interface
   * @param client the HTTP client
   * @param baseUri the base URI
   * @param <T> the interface type
   * @return the client
   * @throws IllegalArgumentException as {@link #create(Class)} and {@link #builder} do
   * @throws IllegalStateException as {@link #create(Class)} does
   */
  public static <T> T create(Class<T> api, HttpClient client, URI baseUri) {
    return builder(client, baseUri).build().create(api);
  }

  /**
   * Makes a client implementing {@code api}, checking all its annotations first.
   *
   * @param api the annotated interface
   * @param <T> the interface type
   * @return the client: a proxy, thread-safe
   * @throws IllegalArgumentException for a bad annotation value: no HTTP method, a parameter
   *     without a role, a path variable without a parameter or a parameter without a variable, a
   *     {@code @Retry} with {@code retryOn} or {@code abortOn} or more than 11 attempts over a
   *     {@link ResilientHttpClient}, a type that needs a missing codec, a refused header name, an unknown policy, a bad fallback,
   *     a result or checked exception type the proxy cannot reach (see {@link Resilient})
   * @throws IllegalStateException for contradictory annotations: two HTTP methods, two roles on a
   *     parameter, two bodies, a body on GET or HEAD, a retry of a POST or PATCH without {@link
   *     Idempotent}, over a {@link ResilientHttpClient} a {@code @Timeout} value over the total
   *     timeout of a route policy the method's {@code @Retry} would configure
   * @throws NullPointerException if {@code api} is null
   */
  public <T> T create(Class<T> api) {
    Objects.requireNonNull(api, "api");
    if (!api.isInterface()) {
      throw new IllegalArgumentException(
          api.getSimpleName() + " is a class, not an interface: a proxy implements interfaces only");
    }
    Map<Method, HttpApiMethod> methods = new HashMap<>();
    for (Method m : api.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      if (m.isDefault()) {
        String verbs = verbs(m);
        if (!verbs.isEmpty()) {
          throw new IllegalStateException(
              describe(api, m) + ": is a default method, so its " + verbs + " would never be sent");
        }
        continue;
      }
      String retry = RetryLayer.methodRetry(api, m, registry);
      HttpApiMethod method = new HttpApiMethod(api, m, base, client, codec, classifier);
      if (retry != null && !method.idempotent) {
        // A retry of a request that is not idempotent would send it twice: refused at creation.
        throw RetryLayer.unsafeRetry(api, m, method, retry);
      }
      if (client instanceof ResilientHttpClient && retry != null
          && RetryLayer.effective(api, m, Retry.class) == null) {
        // A @Policy registry policy retries around the client: each of its attempts goes through
        // the client once, under the route's policy without retries.
        method.sendUnder(RoutePolicies.withoutRetries(
            api.getSimpleName() + "." + m.getName(), method.verb,
            ((ResilientHttpClient) client).engine));
      }
      methods.put(m, method);
    }
    return resilient.wrapCalls(api, new Target(api, methods, client));
  }

  private static String verbs(Method m) {
    return Arrays.stream(m.getAnnotations())
        .map(Annotation::annotationType)
        .filter(t -> t.getPackage() == HttpApi.class.getPackage() && t.getSimpleName().matches("[A-Z]+"))
        .map(t -> "@" + t.getSimpleName())
        .collect(Collectors.joining(", "));
  }

  static String describe(Class<?> api, Method m) {
    return api.getSimpleName()
        + "."
        + m.getName()
        + Arrays.stream(m.getParameterTypes())
            .map(Class::getSimpleName)
            .collect(Collectors.joining(", ", "(", ")"));
  }

  /**
   * Whether a failure of a declarative call is transient by {@link HttpClassifier#standard()}, so
   * method-level retries and breakers count it: an {@link HttpStatusException} whose {@link
   * HttpStatusException#isTransient()} says so, or an exception (also inside an {@link
   * UncheckedIOException}) the classifier calls transient, other than the client's own refusal
   * ({@link HttpRejectedException}) and a failure of the request's own body ({@link
   * HttpRequestBodyException}). An {@code HttpApi} over a {@link ResilientHttpClient} asks that
   * client's classifier the same way.
   *
   * @param failure the failure
   * @return {@code true} if it is worth a retry
   */
  public static boolean isTransientFailure(Throwable failure) {
    return isTransientFailure(failure, HttpClassifier.standard());
  }

  private static boolean isTransientFailure(Throwable failure, HttpClassifier classifier) {
    Throwable t = failure instanceof UncheckedIOException ? failure.getCause() : failure;
    if (t instanceof HttpStatusException) {
      return ((HttpStatusException) t).isTransient();
    }
    return !(t instanceof HttpRejectedException) && !(t instanceof HttpRequestBodyException)
        && classifier.isTransientFailure(t);
  }

  @Override
  public String toString() {
    return "HttpApi[" + Redact.uri(base) + ", " + client + ", codec=" + codec + "]";
  }

  /**
   * The proxy's target: starts each call of an HTTP method by building its request. Over a {@link
   * ResilientHttpClient} it applies a method's {@link Retry} and {@link Timeout} itself, as the
   * policy its requests run under ({@link RoutePolicies}), so the client's HTTP retry decision is
   * the call's one retry layer.
   */
  private static final class Target implements CallTarget {
    private final Class<?> api;
    private final Map<Method, HttpApiMethod> methods;
    private final HttpClient client;

    Target(Class<?> api, Map<Method, HttpApiMethod> methods, HttpClient client) {
      this.api = api;
      this.methods = methods;
      this.client = client;
    }

    @Override
    public Attempt start(Object proxy, Method method, Object[] args) {
      return methods.get(method).start(args);
    }

    @Override
    public Set<Class<? extends Annotation>> appliedByTarget(Method m) {
      HttpApiMethod method = methods.get(m);
      Retry retry = RetryLayer.effective(api, m, Retry.class);
      if (method == null || retry == null || !(client instanceof ResilientHttpClient)) {
        return Set.of();
      }
      method.sendUnder(RoutePolicies.fromAnnotations(
          describe(api, m), api.getSimpleName() + "." + m.getName(), method.verb,
          ((ResilientHttpClient) client).engine, retry, RetryLayer.effective(api, m, Timeout.class)));
      return Set.of(Retry.class, Timeout.class);
    }

    @Override
    public String toString() {
      return "HttpApi client of " + api.getSimpleName();
    }
  }

  /**
   * Builds an {@link HttpApi}. Not thread-safe; the {@code HttpApi} it builds is.
   */
  public static final class Builder {
    private final HttpClient client;
    private final String base;
    private BodyCodec codec = BodyCodec.detect().orElse(null);
    private PolicyRegistry registry;
    private TimeSource time = TimeSource.system();
    private Executor asyncExecutor;

    private Builder(HttpClient client, URI baseUri) {
      this.client = Objects.requireNonNull(client, "client");
      Objects.requireNonNull(baseUri, "baseUri");
      String scheme = baseUri.getScheme();
      if (!baseUri.isAbsolute()
          || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))
          || baseUri.getRawAuthority() == null
          || baseUri.getRawQuery() != null
          || baseUri.getRawFragment() != null) {
        throw new IllegalArgumentException(
            "baseUri must be an absolute http or https URI without query or fragment, was "
                + Redact.uri(baseUri) + (baseUri.getRawFragment() != null ? "#..." : ""));
      }
      String s = baseUri.toString();
      this.base = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /**
     * The codec for bodies and return types other than {@code String}, {@code byte[]}, {@code
     * void} and {@code HttpResponse}. Default: {@link JacksonBodyCodec} when jackson-databind is on
     * the classpath, otherwise none (and methods that need one fail at creation).
     *
     * @param codec the codec
     * @return this builder
     * @throws NullPointerException if {@code codec} is null
     */
    public Builder codec(BodyCodec codec) {
      this.codec = Objects.requireNonNull(codec, "codec");
      return this;
    }

    /**
     * Uses no codec, even with Jackson on the classpath: methods whose bodies or return types need
     * one fail at creation.
     *
     * @return this builder
     */
    public Builder withoutCodec() {
      this.codec = null;
      return this;
    }

    /**
     * The registry that {@link Policy @Policy} names resolve in. Default: none.
     *
     * @param registry the registry
     * @return this builder
     * @throws NullPointerException if {@code registry} is null
     */
    public Builder registry(PolicyRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * The time source of the method-level policies built from annotations. Default {@link
     * TimeSource#system()}. The client keeps its own.
     *
     * @param time the time source
     * @return this builder
     * @throws NullPointerException if {@code time} is null
     */
    public Builder timeSource(TimeSource time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /**
     * Where async attempts after a method-level backoff wait run. Default {@link
     * java.util.concurrent.ForkJoinPool#commonPool()}.
     *
     * @param executor the executor
     * @return this builder
     * @throws NullPointerException if {@code executor} is null
     */
    public Builder asyncExecutor(Executor executor) {
      this.asyncExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Builds the {@code HttpApi}.
     *
     * @return a new {@code HttpApi}
     */
    public HttpApi build() {
      return new HttpApi(this);
    }
  }
}
