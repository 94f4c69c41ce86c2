package dev.riprap.annotation;

import dev.riprap.PolicyRegistry;
import dev.riprap.TimeSource;
import dev.riprap.RetrySettings;
import dev.riprap.internal.Check;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Reads one interface's annotations into {@link MethodPlan}s, checking everything on the way: where
 * each annotation applies (method, interface, {@code @Policy}), the method's policy built from them
 * (each annotation's values by {@link StrategySettings}), shared named primitives, and the
 * fallback ({@link FallbackLookup}). Every error message starts with the method, as {@code
 * Interface.method(ParamTypes)}.
 */
final class Plans {
  private static final List<Class<? extends Annotation>> STRATEGIES =
      List.of(Retry.class, CircuitBreaker.class, RateLimiter.class, Bulkhead.class, Timeout.class);
  private static final List<Class<? extends Annotation>> ALL =
      List.of(
          Retry.class,
          CircuitBreaker.class,
          RateLimiter.class,
          Bulkhead.class,
          Timeout.class,
          Fallback.class,
          Policy.class);

  private final Class<?> api;
  private final Object target;
  private final boolean codeTarget; // target is a CallTarget, not an implementation of api
  private final PolicyRegistry registry;
  private final TimeSource time;
  private final java.util.concurrent.Executor asyncExecutor;
  private final Predicate<? super Throwable> failures;
  private final Map<String, Resilient.Shared> shared;

  Plans(
      Class<?> api,
      Object target,
      boolean codeTarget,
      PolicyRegistry registry,
      TimeSource time,
      java.util.concurrent.Executor asyncExecutor,
      Predicate<? super Throwable> failures,
      Map<String, Resilient.Shared> shared) {
    this.api = api;
    this.target = target;
    this.codeTarget = codeTarget;
    this.registry = registry;
    this.time = time;
    this.asyncExecutor = asyncExecutor;
    this.failures = failures;
    this.shared = shared;
  }

  /** Fails if {@code type} or one of its methods carries an annotation a proxy cannot apply. */
  static void rejectClassAnnotations(Class<?> api, Class<?> type) {
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      if (Proxy.isProxyClass(c)) {
        return;
      }
      String onClass = names(present(c));
      if (!onClass.isEmpty()) {
        throw new IllegalArgumentException(
            name(c)
                + " is a class: its "
                + onClass
                + " has no effect through a proxy; put it on the interface "
                + api.getSimpleName());
      }
      for (Method m : c.getDeclaredMethods()) {
        String onMethod = names(present(m));
        if (!onMethod.isEmpty()) {
          throw new IllegalArgumentException(
              describe(c, m)
                  + " is a method of a class: its "
                  + onMethod
                  + " has no effect through a proxy; put it on the interface method "
                  + api.getSimpleName()
                  + "."
                  + m.getName());
        }
      }
    }
  }

  private static List<Annotation> present(java.lang.reflect.AnnotatedElement e) {
    List<Annotation> found = new ArrayList<>();
    for (Class<? extends Annotation> type : ALL) {
      Annotation a = e.getAnnotation(type);
      if (a != null) {
        found.add(a);
      }
    }
    return found;
  }

  private static List<Annotation> strategies(java.lang.reflect.AnnotatedElement e) {
    List<Annotation> found = new ArrayList<>();
    for (Class<? extends Annotation> type : STRATEGIES) {
      Annotation a = e.getAnnotation(type);
      if (a != null) {
        found.add(a);
      }
    }
    return found;
  }

  private static String names(List<Annotation> annotations) {
    return annotations.stream()
        .map(a -> "@" + a.annotationType().getSimpleName())
        .collect(Collectors.joining(", "));
  }

  /** A class's simple name, or its full name when it has none (anonymous and local classes). */
  static String name(Class<?> c) {
    String simple = c.getSimpleName();
    return simple.isEmpty() ? c.getName() : simple;
  }

  static String describe(Class<?> owner, Method m) {
    return name(owner)
        + "."
        + m.getName()
        + Arrays.stream(m.getParameterTypes())
            .map(Class::getSimpleName)
            .collect(Collectors.joining(", ", "(", ")"));
  }

  // ---------------------------------------------------------------- one method

  MethodPlan plan(Method m) {
    String where = describe(api, m);
    boolean async = m.getReturnType() == CompletionStage.class
        || m.getReturnType() == CompletableFuture.class;
    FallbackPlan fallback =
        new FallbackLookup(api, target, codeTarget, this::invoker).fallback(where, m, async);
    dev.riprap.Policy policy = policy(where, m);
    if (policy == null && fallback != null) {
      policy = newPolicy(m).build();
    }
    return new MethodPlan(where, policy, async, invoker(m), fallback);
  }

  private dev.riprap.Policy.Builder newPolicy(Method m) {
    dev.riprap.Policy.Builder b =
        dev.riprap.Policy.builder(policyName(m)).timeSource(time).asyncExecutor(asyncExecutor);
    if (registry != null) {
      b.parentEvents(registry.events()).shutdownGate(registry.shutdownGate());
    }
    return b;
  }

  private String policyName(Method m) {
    return api.getSimpleName() + "." + m.getName();
  }

  /** How the proxy reaches {@code m}'s code: on the target, or the interface's default on itself. */
  private MethodPlan.Invoker invoker(Method m) {
    if (m.isDefault() && (codeTarget || !overriddenByTarget(m))) {
      return MethodPlan.Invoker.ofDefault(m);
    }
    if (codeTarget) {
      return MethodPlan.Invoker.ofCallTarget(m, (CallTarget) target);
    }
    trySetAccessible(m);
    return MethodPlan.Invoker.onTarget(m, target);
  }

  private boolean overriddenByTarget(Method m) {
    Class<?> c = target.getClass();
    if (Proxy.isProxyClass(c)) {
      return false;
    }
    try {
      return !c.getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass().isInterface();
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  private static void trySetAccessible(Method m) {
    // A package-private interface's methods are reachable only after this; a public one needs none.
    if (!Modifier.isPublic(m.getDeclaringClass().getModifiers())
        || !Modifier.isPublic(m.getModifiers())) {
      m.setAccessible(true);
    }
  }

  private <A extends Annotation> A onType(Method m, Class<A> type) {
    A a = m.getDeclaringClass().getAnnotation(type);
    return a != null ? a : api.getAnnotation(type);
  }

  // ---------------------------------------------------------------- policy

  private dev.riprap.Policy policy(String where, Method m) {
    Policy methodPolicy = m.getAnnotation(Policy.class);
    List<Annotation> methodStrategies = strategies(m);
    if (methodPolicy != null && !methodStrategies.isEmpty()) {
      throw new IllegalStateException(
          where
              + ": @Policy(\""
              + methodPolicy.value()
              + "\") cannot be combined with "
              + names(methodStrategies)
              + " on the same method; configure them in the registry policy");
    }
    Policy typePolicy = onType(m, Policy.class);
    List<Annotation> typeStrategies = new ArrayList<>();
    for (Class<? extends Annotation> type : STRATEGIES) {
      Annotation a = onType(m, type);
      if (a != null) {
        typeStrategies.add(a);
      }
    }
    if (typePolicy != null && !typeStrategies.isEmpty()) {
      throw new IllegalStateException(
          where
              + ": @Policy(\""
              + typePolicy.value()
              + "\") cannot be combined with "
              + names(typeStrategies)
              + " on the interface; configure them in the registry policy");
    }
    if (methodPolicy != null) {
      return registryPolicy(where, methodPolicy);
    }
    if (!methodStrategies.isEmpty()) {
      // The method's own annotation of a kind replaces the interface's; an interface @Policy is
      // replaced as a whole.
      Retry r = m.getAnnotation(Retry.class);
      CircuitBreaker c = m.getAnnotation(CircuitBreaker.class);
      RateLimiter l = m.getAnnotation(RateLimiter.class);
      Bulkhead b = m.getAnnotation(Bulkhead.class);
      Timeout t = m.getAnnotation(Timeout.class);
      return build(
          where,
          m,
          r != null ? r : onType(m, Retry.class),
          c != null ? c : onType(m, CircuitBreaker.class),
          l != null ? l : onType(m, RateLimiter.class),
          b != null ? b : onType(m, Bulkhead.class),
          t != null ? t : onType(m, Timeout.class));
    }
    if (typePolicy != null) {
      return registryPolicy(where, typePolicy);
    }
    if (!typeStrategies.isEmpty()) {
      return build(
          where,
          m,
          onType(m, Retry.class),
          onType(m, CircuitBreaker.class),
          onType(m, RateLimiter.class),
          onType(m, Bulkhead.class),
          onType(m, Timeout.class));
    }
    return null;
  }

  private dev.riprap.Policy registryPolicy(String where, Policy p) {
    if (registry == null) {
      throw new IllegalStateException(
          where
              + ": @Policy(\""
              + p.value()
              + "\") needs a PolicyRegistry; pass one to Resilient.proxy or Resilient.builder()");
    }
    try {
      return registry.policy(p.value());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          where + ": @Policy(\"" + p.value() + "\"): " + e.getMessage(), e);
    }
  }

  private dev.riprap.Policy build(
      String where, Method m, Retry r, CircuitBreaker c, RateLimiter l, Bulkhead b, Timeout t) {
    dev.riprap.Policy.Builder pb = newPolicy(m);
    // Checked in any case, applied unless the target applies them itself (appliedByTarget).
    RetrySettings retry = r == null ? null : StrategySettings.retrySettings(where, r, failures);
    Duration[] timeouts = t == null ? null : StrategySettings.timeouts(where, t);
    if (c != null) {
      CircuitBreakerConfig config = StrategySettings.breakerConfig(where, c, failures);
      Duration probeWait =
          Check.nonNegativeDuration(where + ": @CircuitBreaker awaitProbe", c.awaitProbe());
      if (!probeWait.isZero()) {
        pb.awaitProbe(probeWait);
      }
      if (c.name().isEmpty()) {
        pb.circuitBreaker(config);
      } else {
        pb.circuitBreaker(
            (io.github.resilience4j.circuitbreaker.CircuitBreaker)
                shared(where, "circuit breaker", c, c.name(), () -> {
                  CircuitBreakerConfig clocked = time == TimeSource.system()
                      ? config
                      : CircuitBreakerConfig.from(config).clock(time.clock()).build();
                  return io.github.resilience4j.circuitbreaker.CircuitBreaker.of(
                      c.name(), clocked);
                }));
      }
    }
    if (l != null) {
      RateLimiterConfig config = StrategySettings.limiterConfig(where, l);
      if (l.name().isEmpty()) {
        pb.rateLimiter(config);
      } else {
        pb.rateLimiter(
            (io.github.resilience4j.ratelimiter.RateLimiter)
                shared(where, "rate limiter", l, l.name(),
                    () -> io.github.resilience4j.ratelimiter.RateLimiter.of(l.name(), config)));
      }
    }
    if (b != null) {
      BulkheadConfig config = StrategySettings.bulkheadConfig(where, b);
      if (b.name().isEmpty()) {
        pb.bulkhead(config);
      } else {
        pb.bulkhead(
            (io.github.resilience4j.bulkhead.Bulkhead)
                shared(where, "bulkhead", b, b.name(),
                    () -> io.github.resilience4j.bulkhead.Bulkhead.of(b.name(), config)));
      }
    }
    Set<Class<? extends Annotation>> own =
        codeTarget && (r != null || t != null)
            ? ((CallTarget) target).appliedByTarget(m)
            : Set.of();
    boolean any = c != null || l != null || b != null;
    if (retry != null && !own.contains(Retry.class)) {
      pb.retry(retry);
      any = true;
    }
    if (timeouts != null && !own.contains(Timeout.class)) {
      if (timeouts[0] != null) {
        pb.attemptTimeout(timeouts[0]);
      }
      if (timeouts[1] != null) {
        pb.totalTimeout(timeouts[1]);
      }
      any = true;
    }
    if (!any) {
      return null; // the target applies every strategy the method has
    }
    try {
      return pb.build();
    } catch (IllegalStateException e) {
      throw new IllegalStateException(where + ": " + e.getMessage(), e);
    }
  }

  private Object shared(
      String where,
      String kind,
      Annotation declaration,
      String name,
      java.util.function.Supplier<Object> create) {
    String key = declaration.annotationType().getSimpleName() + ":" + name;
    Resilient.Shared existing = shared.get(key);
    if (existing == null) {
      Resilient.Shared made = new Resilient.Shared(declaration, where, create.get());
      shared.put(key, made);
      return made.instance;
    }
    if (!existing.declaration.equals(declaration)) {
      throw new IllegalStateException(
          where
              + ": @"
              + declaration.annotationType().getSimpleName()
              + "(name = \""
              + name
              + "\") has other settings than on "
              + existing.declaredAt
              + "; every declaration of a shared "
              + kind
              + " must match");
    }
    return existing.instance;
  }
}
