package dev.riprap.annotation;

import dev.riprap.PolicyRegistry;
import dev.riprap.TimeSource;
import dev.riprap.RetrySettings;
import dev.riprap.internal.Check;
import dev.riprap.internal.TypeNames;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.lang.annotation.Annotation;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
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
 * Reads one interface's annotations into {@link MethodPlan}s, checking everything on the way. Every
 * error message starts with the method, as {@code Interface.method(ParamTypes)}.
 */
// Size: one job, turning every annotation into a validated plan; the per-annotation parts are
// candidates to split when the HTTP issue reworks how annotations reach the engine.
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
    FallbackPlan fallback = fallback(where, m, async);
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
    RetrySettings retry = r == null ? null : retrySettings(where, r);
    Duration[] timeouts = t == null ? null : timeouts(where, t);
    if (c != null) {
      CircuitBreakerConfig config = breakerConfig(where, c);
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
      RateLimiterConfig config = limiterConfig(where, l);
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
      BulkheadConfig config = bulkheadConfig(where, b);
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

  private RetrySettings retrySettings(String where, Retry r) {
    Check.atLeast(r.maxAttempts(), 1, where + ": @Retry maxAttempts");
    Duration delay = Check.positiveDuration(where + ": @Retry delay", r.delay());
    Duration maxDelay = Check.positiveDuration(where + ": @Retry maxDelay", r.maxDelay());
    Check.notBelow(maxDelay, where + ": @Retry maxDelay", delay, "delay");
    for (Class<? extends Throwable> type : r.retryOn()) {
      Check.requireState(
          !Arrays.asList(r.abortOn()).contains(type),
          "%s: @Retry lists %s in both retryOn and abortOn",
          where,
          type.getSimpleName());
    }
    Class<? extends Throwable>[] retryOn = r.retryOn();
    Class<? extends Throwable>[] abortOn = r.abortOn();
    Predicate<? super Throwable> counted = failures;
    Predicate<Throwable> retried =
        t -> (counted == null || counted.test(t))
            && (retryOn.length == 0 || instanceOfAny(retryOn, t))
            && !instanceOfAny(abortOn, t);
    return RetrySettings.builder(r.maxAttempts())
        .backoff(delay, maxDelay)
        .retryOn(retried)
        .build();
  }

  static boolean instanceOfAny(Class<? extends Throwable>[] types, Throwable t) {
    for (Class<? extends Throwable> type : types) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private CircuitBreakerConfig breakerConfig(String where, CircuitBreaker c) {
    float threshold = c.failureRateThreshold();
    Check.requireArgument(
        threshold > 0 && threshold <= 100,
        where + ": @CircuitBreaker failureRateThreshold",
        "in (0, 100]",
        threshold);
    // resilience4j allocates one slot per call of the window and of the half-open state.
    Check.inRange(
        c.slidingWindowSize(),
        1,
        Check.MAX_BREAKER_SLOTS,
        where + ": @CircuitBreaker slidingWindowSize");
    Check.atLeast(c.minimumCalls(), 1, where + ": @CircuitBreaker minimumCalls");
    Check.inRange(
        c.halfOpenCalls(), 1, Check.MAX_BREAKER_SLOTS, where + ": @CircuitBreaker halfOpenCalls");
    Duration wait =
        Check.capped(Check.millisDuration(where + ": @CircuitBreaker waitInOpen", c.waitInOpen()));
    CircuitBreakerConfig.Builder b =
        CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .failureRateThreshold(threshold)
            .slidingWindowSize(c.slidingWindowSize())
            .minimumNumberOfCalls(c.minimumCalls())
            .waitDurationInOpenState(wait)
            .permittedNumberOfCallsInHalfOpenState(c.halfOpenCalls());
    if (failures != null) {
      Predicate<? super Throwable> counted = failures;
      b.recordException(counted::test);
    }
    return b.build();
  }

  private RateLimiterConfig limiterConfig(String where, RateLimiter l) {
    Check.atLeast(l.limit(), 1, where + ": @RateLimiter limit");
    Duration period =
        Check.capped(Check.positiveDuration(where + ": @RateLimiter period", l.period()));
    Duration maxWait =
        Check.capped(Check.nonNegativeDuration(where + ": @RateLimiter maxWait", l.maxWait()));
    return RateLimiterConfig.custom()
        .limitForPeriod(l.limit())
        .limitRefreshPeriod(period)
        .timeoutDuration(maxWait)
        .build();
  }

  private BulkheadConfig bulkheadConfig(String where, Bulkhead b) {
    Check.atLeast(b.value(), 1, where + ": @Bulkhead value");
    Duration maxWait =
        Check.capped(Check.nonNegativeDuration(where + ": @Bulkhead maxWait", b.maxWait()));
    return BulkheadConfig.custom().maxConcurrentCalls(b.value()).maxWaitDuration(maxWait).build();
  }

  /** The checked attempt and total timeouts of {@code t}, each null when not set. */
  private static Duration[] timeouts(String where, Timeout t) {
    if (t.value().isEmpty() && t.total().isEmpty()) {
      throw new IllegalArgumentException(where + ": @Timeout sets neither value nor total");
    }
    Duration attempt =
        t.value().isEmpty() ? null : Check.positiveDuration(where + ": @Timeout value", t.value());
    Duration total =
        t.total().isEmpty() ? null : Check.positiveDuration(where + ": @Timeout total", t.total());
    Check.requireState(
        attempt == null || total == null || attempt.compareTo(total) <= 0,
        "%s: @Timeout value (%s) must not exceed total (%s)",
        where,
        attempt,
        total);
    return new Duration[] {attempt, total};
  }

  // ---------------------------------------------------------------- fallback

  private FallbackPlan fallback(String where, Method m, boolean async) {
    Fallback f = m.getAnnotation(Fallback.class);
    if (f == null) {
      return null;
    }
    if (f.on().length == 0) {
      throw new IllegalArgumentException(where + ": @Fallback on is empty, so it handles nothing");
    }
    String name = f.method();
    Class<?>[] params = m.getParameterTypes();
    List<Method> sameName = new ArrayList<>();
    List<Method> matching = new ArrayList<>();
    collect(Arrays.asList(api.getMethods()), name, params, sameName, matching);
    boolean onInterface = !matching.isEmpty();
    boolean searchClass = !codeTarget && !Proxy.isProxyClass(target.getClass());
    if (!onInterface && searchClass) {
      for (Class<?> c = target.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
        collect(Arrays.asList(c.getDeclaredMethods()), name, params, sameName, matching);
      }
    }
    String expected =
        name
            + Arrays.stream(params).map(Class::getSimpleName).collect(Collectors.joining(", ", "(", ")"))
            + " or "
            + name
            + Arrays.stream(params)
                .map(Class::getSimpleName)
                .collect(Collectors.joining(", ", "(", params.length == 0 ? "Throwable)" : ", Throwable)"));
    if (matching.isEmpty()) {
      throw new IllegalArgumentException(
          where
              + ": @Fallback method "
              + expected
              + " not found in "
              + api.getSimpleName()
              + (searchClass ? " or " + name(target.getClass()) : "")
              + "; found "
              + (sameName.isEmpty()
                  ? "none"
                  : sameName.stream()
                      .map(x -> describe(x.getDeclaringClass(), x))
                      .collect(Collectors.joining(", "))));
    }
    if (matching.size() > 1) {
      throw new IllegalStateException(
          where
              + ": @Fallback method '"
              + name
              + "' is ambiguous: "
              + matching.stream()
                  .map(x -> describe(x.getDeclaringClass(), x))
                  .collect(Collectors.joining(" and ")));
    }
    Method fm = matching.get(0);
    String fallbackName = describe(fm.getDeclaringClass(), fm);
    Class<? extends Throwable> failureType = null;
    if (fm.getParameterCount() == params.length + 1) {
      failureType = fm.getParameterTypes()[params.length].asSubclass(Throwable.class);
      for (Class<? extends Throwable> on : f.on()) {
        if (!failureType.isAssignableFrom(on) && !on.isAssignableFrom(failureType)) {
          throw new IllegalArgumentException(
              where
                  + ": @Fallback method "
                  + fallbackName
                  + " can never receive "
                  + on.getSimpleName()
                  + ", listed in on");
        }
      }
    }
    boolean asyncFallback = checkReturn(where, m, fm, fallbackName, async);
    if (!async) {
      for (Class<?> thrown : fm.getExceptionTypes()) {
        if (isChecked(thrown) && !declares(m, thrown)) {
          throw new IllegalArgumentException(
              where
                  + ": @Fallback method "
                  + fallbackName
                  + " declares "
                  + thrown.getSimpleName()
                  + ", which "
                  + m.getName()
                  + " does not");
        }
      }
    }
    MethodPlan.Invoker invoker;
    if (onInterface) {
      invoker = invoker(fm);
    } else {
      fm.setAccessible(true);
      invoker =
          MethodPlan.Invoker.onTarget(fm, Modifier.isStatic(fm.getModifiers()) ? null : target);
    }
    return new FallbackPlan(invoker, f.on(), failureType, asyncFallback);
  }

  private static void collect(
      List<Method> candidates,
      String name,
      Class<?>[] params,
      List<Method> sameName,
      List<Method> matching) {
    for (Method c : candidates) {
      if (!c.getName().equals(name)) {
        continue;
      }
      if (sameName.stream().noneMatch(x -> sameSignature(x, c))) {
        sameName.add(c);
      } else {
        continue; // an override of a method already seen
      }
      Class<?>[] ps = c.getParameterTypes();
      boolean exact = Arrays.equals(ps, params);
      boolean withFailure =
          ps.length == params.length + 1
              && Arrays.equals(Arrays.copyOf(ps, params.length), params)
              && Throwable.class.isAssignableFrom(ps[params.length]);
      if (exact || withFailure) {
        matching.add(c);
      }
    }
  }

  private static boolean sameSignature(Method a, Method b) {
    return a.getName().equals(b.getName())
        && Arrays.equals(a.getParameterTypes(), b.getParameterTypes());
  }

  private static boolean isChecked(Class<?> thrown) {
    return !RuntimeException.class.isAssignableFrom(thrown)
        && !Error.class.isAssignableFrom(thrown);
  }

  private static boolean declares(Method m, Class<?> thrown) {
    for (Class<?> declared : m.getExceptionTypes()) {
      if (declared.isAssignableFrom(thrown)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Checks the fallback's return type against the method's; returns whether the fallback returns
   * a stage (only allowed for async methods).
   */
  private static boolean checkReturn(
      String where, Method m, Method fm, String fallbackName, boolean async) {
    Type want = m.getGenericReturnType();
    Type got = fm.getGenericReturnType();
    if (async) {
      Type element = typeArgument(want);
      if (CompletionStage.class.isAssignableFrom(fm.getReturnType())) {
        if (compatible(typeArgument(got), element)) {
          return true;
        }
      } else if (compatible(got, element)) {
        return false;
      }
      throw new IllegalArgumentException(
          where
              + ": @Fallback method "
              + fallbackName
              + " returns "
              + simple(got)
              + ", expected "
              + simple(element)
              + " or CompletionStage<"
              + simple(element)
              + ">");
    }
    if (!compatible(got, want)) {
      throw new IllegalArgumentException(
          where
              + ": @Fallback method "
              + fallbackName
              + " returns "
              + simple(got)
              + ", expected "
              + simple(want));
    }
    return false;
  }

  private static Type typeArgument(Type stage) {
    if (stage instanceof ParameterizedType) {
      return ((ParameterizedType) stage).getActualTypeArguments()[0];
    }
    return Object.class;
  }

  private static boolean compatible(Type got, Type want) {
    Class<?> g = box(raw(got));
    Class<?> w = box(raw(want));
    if (raw(want) == void.class || raw(got) == void.class) {
      return raw(want) == raw(got);
    }
    if (!w.isAssignableFrom(g)) {
      return false;
    }
    if (want instanceof ParameterizedType && got instanceof ParameterizedType && g == w) {
      return Arrays.equals(
          ((ParameterizedType) want).getActualTypeArguments(),
          ((ParameterizedType) got).getActualTypeArguments());
    }
    return true;
  }

  private static Class<?> raw(Type t) {
    if (t instanceof Class) {
      return (Class<?>) t;
    }
    if (t instanceof ParameterizedType) {
      return (Class<?>) ((ParameterizedType) t).getRawType();
    }
    if (t instanceof GenericArrayType) {
      return java.lang.reflect.Array.newInstance(
              raw(((GenericArrayType) t).getGenericComponentType()), 0)
          .getClass();
    }
    if (t instanceof TypeVariable) {
      Type[] bounds = ((TypeVariable<?>) t).getBounds();
      return bounds.length == 0 ? Object.class : raw(bounds[0]);
    }
    if (t instanceof WildcardType) {
      Type[] upper = ((WildcardType) t).getUpperBounds();
      return upper.length == 0 ? Object.class : raw(upper[0]);
    }
    return Object.class;
  }

  private static Class<?> box(Class<?> c) {
    if (!c.isPrimitive()) {
      return c;
    }
    return java.lang.invoke.MethodType.methodType(c).wrap().returnType();
  }

  static String simple(Type t) {
    return TypeNames.simple(t);
  }
}
