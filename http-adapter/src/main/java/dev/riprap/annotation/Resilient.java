package dev.riprap.annotation;

import dev.riprap.PolicyRegistry;
import dev.riprap.TimeSource;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Predicate;

/**
 * Makes resilient proxies of interfaces from their annotations ({@link Retry}, {@link
 * CircuitBreaker}, {@link RateLimiter}, {@link Bulkhead}, {@link Timeout}, {@link Fallback}, {@link
 * Policy}): plain {@code java.lang.reflect.Proxy}, no container, no bytecode agent.
 *
 * <pre>{@code
 * interface Prices {
 *   @Retry(maxAttempts = 3, delay = "100ms")
 *   @CircuitBreaker(name = "pricing")
 *   @Fallback(method = "unknown")
 *   Price price(String sku) throws IOException;
 *
 *   default Price unknown(String sku, Throwable failure) { return Price.UNKNOWN; }
 * }
 * Prices prices = Resilient.proxy(Prices.class, new HttpPrices(), registry);
 * }</pre>
 *
 * <p>Each method's strategies form one {@link dev.riprap.Policy} named {@code
 * Interface.method}, nested in Riprap's fixed order: {@code Fallback(TotalTimeout(Retry(
 * CircuitBreaker(RateLimiter(Bulkhead(AttemptTimeout(call)))))))}. Annotations on the interface
 * apply to every method; a method's own annotation of the same kind replaces the interface's, and a
 * method's {@link Policy @Policy} replaces all of the interface's strategies. Methods without any
 * annotation call the target directly.
 *
 * <p>Methods returning {@code CompletionStage} or {@code CompletableFuture} are decorated
 * asynchronously (retries wait on a timer, a timeout cancels the attempt's future, a bulkhead permit
 * is held until the future completes); every other method synchronously on the calling thread. The
 * target's own exceptions come back as themselves, checked ones included. A default method that the
 * target does not override runs on the proxy, so the calls it makes to other methods of the
 * interface are decorated too. {@code equals}, {@code hashCode} and {@code toString} pass through to
 * the target (two proxies are equal when their targets are).
 *
 * <p>Everything is checked when the proxy is made, never at the first call; the errors name the
 * interface, the method and the problem: {@link IllegalArgumentException} for a bad value (an
 * unparsable duration, a missing or mismatched fallback method, an unknown policy name, annotations
 * on a class's method), {@link IllegalStateException} for settings that contradict each other.
 *
 * <p>The JDK makes the proxy of a public interface in a package of its own, where it reaches only
 * public types: a method whose result type (or its array element type) is not public, or that
 * declares a checked exception that is not public and not covered by another it declares, would
 * fail with {@code IllegalAccessError} at the first call, so it fails at creation with {@link
 * IllegalArgumentException}. Parameter types, type arguments and unchecked exceptions may be
 * anything, and a package-private interface's proxy shares its package and reaches its types.
 *
 * <p>A {@code Resilient} is thread-safe. Named breakers, limiters and bulkheads are shared by every
 * proxy it makes; {@link #proxy(Class, Object)} and its siblings make a new {@code Resilient} per
 * call, so their named primitives are shared within the one proxy.
 */
public final class Resilient {
  private final PolicyRegistry registry;
  private final TimeSource time;
  private final Predicate<? super Throwable> failures;
  private final Executor asyncExecutor;
  private final Map<String, Shared> shared = new HashMap<>(); // guarded by this

  private Resilient(Builder b) {
    this.registry = b.registry;
    this.time = b.time;
    this.failures = b.failures;
    this.asyncExecutor = b.asyncExecutor;
  }

  /**
   * A resilient proxy of {@code target} whose {@link Policy @Policy} names resolve in {@code
   * registry}.
   *
   * @param api the interface, carrying the annotations
   * @param target the implementation called through the proxy
   * @param registry where {@code @Policy} names are looked up
   * @param <T> the interface type
   * @return the proxy
   * @throws IllegalArgumentException for a bad annotation value, a type the proxy cannot reach,
   *     a missing or mismatched fallback,
   *     an unknown policy name, annotations on the target class's methods, or an {@code api} that
   *     is not an interface implemented by {@code target}
   * @throws IllegalStateException for contradictory annotations
   * @throws NullPointerException if an argument is null
   */
  public static <T> T proxy(Class<T> api, T target, PolicyRegistry registry) {
    return builder().registry(registry).build().wrap(api, target);
  }

  /**
   * A resilient proxy of {@code target} without a registry: {@link Policy @Policy} is rejected.
   *
   * @param api the interface, carrying the annotations
   * @param target the implementation called through the proxy
   * @param <T> the interface type
   * @return the proxy
   * @throws IllegalArgumentException for a bad annotation value, a type the proxy cannot reach,
   *     a missing or mismatched fallback,
   *     annotations on the target class's methods, or an {@code api} that is not an interface
   *     implemented by {@code target}
   * @throws IllegalStateException for contradictory annotations, or a {@code @Policy} with no
   *     registry to resolve it
   */
  public static <T> T proxy(Class<T> api, T target) {
    return builder().build().wrap(api, target);
  }

  /**
   * Starts a builder for a {@code Resilient} that shares named primitives across the proxies it
   * makes.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Makes a resilient proxy of {@code target}, checking every annotation of {@code api} first.
   *
   * @param api the interface, carrying the annotations
   * @param target the implementation called through the proxy
   * @param <T> the interface type
   * @return the proxy
   * @throws IllegalArgumentException for a bad annotation value, a type the proxy cannot reach,
   *     a missing or mismatched fallback,
   *     an unknown policy name, annotations on the target class's methods, or an {@code api} that
   *     is not an interface implemented by {@code target}
   * @throws IllegalStateException for contradictory annotations, or a {@code @Policy} when this
   *     {@code Resilient} has no registry
   * @throws NullPointerException if an argument is null
   */
  public <T> T wrap(Class<T> api, T target) {
    Objects.requireNonNull(api, "api");
    Objects.requireNonNull(target, "target");
    requireInterface(api);
    if (!api.isInstance(target)) {
      throw new IllegalArgumentException(
          target.getClass().getName() + " does not implement " + api.getName());
    }
    Plans.rejectClassAnnotations(api, target.getClass());
    return make(api, target, false);
  }

  /**
   * Makes a resilient proxy whose abstract methods are carried out by {@code target}: each call is
   * {@linkplain CallTarget#start started} once, then its {@link CallTarget.Attempt} runs once per
   * attempt. Default methods run on the proxy; fallback methods must be methods of {@code api}.
   * {@code equals}, {@code hashCode} and {@code toString} pass through to {@code target}.
   *
   * @param api the interface, carrying the annotations
   * @param target carries out the calls
   * @param <T> the interface type
   * @return the proxy
   * @throws IllegalArgumentException for a bad annotation value, a type the proxy cannot reach,
   *     a missing or mismatched fallback,
   *     an unknown policy name, or an {@code api} that is not an interface
   * @throws IllegalStateException for contradictory annotations, or a {@code @Policy} when this
   *     {@code Resilient} has no registry
   * @throws NullPointerException if an argument is null
   */
  public <T> T wrapCalls(Class<T> api, CallTarget target) {
    Objects.requireNonNull(api, "api");
    Objects.requireNonNull(target, "target");
    requireInterface(api);
    return make(api, target, true);
  }

  private static void requireInterface(Class<?> api) {
    if (!api.isInterface()) {
      throw new IllegalArgumentException(
          api.getSimpleName() + " is a class, not an interface: a proxy implements interfaces only");
    }
  }

  private <T> T make(Class<T> api, Object target, boolean codeTarget) {
    ProxyAccess.check(api);
    Map<Method, MethodPlan> plans = new HashMap<>();
    synchronized (this) {
      // Named primitives declared by a proxy that fails validation must not linger: stage them.
      Map<String, Shared> staged = new HashMap<>(shared);
      Plans planner =
          new Plans(api, target, codeTarget, registry, time, asyncExecutor, failures, staged);
      for (Method m : api.getMethods()) {
        if (!Modifier.isStatic(m.getModifiers())) {
          plans.put(m, planner.plan(m));
        }
      }
      shared.putAll(staged);
    }
    Object proxy =
        Proxy.newProxyInstance(
            api.getClassLoader(), new Class<?>[] {api}, new ProxyHandler(target, plans));
    return api.cast(proxy);
  }

  /** A named primitive and the first declaration that made it. */
  static final class Shared {
    final java.lang.annotation.Annotation declaration;
    final String declaredAt;
    final Object instance;

    Shared(java.lang.annotation.Annotation declaration, String declaredAt, Object instance) {
      this.declaration = declaration;
      this.declaredAt = declaredAt;
      this.instance = instance;
    }
  }

  /**
   * Builds a {@link Resilient}. Not thread-safe; the {@code Resilient} it builds is.
   */
  public static final class Builder {
    private PolicyRegistry registry;
    private TimeSource time = TimeSource.system();
    private Predicate<? super Throwable> failures;
    private Executor asyncExecutor = ForkJoinPool.commonPool();

    private Builder() {}

    /**
     * The registry that {@link Policy @Policy} names resolve in. Default: none, and a {@code
     * @Policy} fails at creation. The policies built from annotations also publish their events to
     * the registry's stream and are counted by its shutdown gate, so a registry drain covers them.
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
     * The time source of the policies built from annotations: their timeouts, backoff waits and
     * breakers. Default {@link TimeSource#system()}; tests pass a {@code FakeTimeSource}. Registry
     * policies keep their own, and rate limiters keep resilience4j's own clock (the system's).
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
     * Which failures count as failures for the retries and circuit breakers built from
     * annotations; the others (a 404 answer, say) are returned to the caller at once and recorded
     * as successes by breakers. Default: every exception. The declarative HTTP interfaces use it
     * to keep 4xx answers out of retries and breakers.
     *
     * @param failures accepts the exceptions that count as failures
     * @return this builder
     * @throws NullPointerException if {@code failures} is null
     */
    public Builder countedFailures(Predicate<? super Throwable> failures) {
      this.failures = Objects.requireNonNull(failures, "failures");
      return this;
    }

    /**
     * Where the async attempts that follow a backoff wait run, for the policies built from
     * annotations. Default {@link ForkJoinPool#commonPool()}. Registry policies keep their own.
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
     * Builds the {@code Resilient}.
     *
     * @return a new {@code Resilient} with no named primitives yet
     */
    public Resilient build() {
      return new Resilient(this);
    }
  }
}
