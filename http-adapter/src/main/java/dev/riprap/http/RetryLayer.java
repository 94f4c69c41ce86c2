package dev.riprap.http;

import dev.riprap.PolicyRegistry;
import dev.riprap.annotation.Policy;
import dev.riprap.annotation.Retry;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Optional;

/**
 * Which layer retries an {@link HttpApi} method's requests, read from its annotations once at
 * creation as the proxy resolves them (a method's own annotation, the interface's, a {@code
 * @Policy}): the method's {@code @Retry} configuring the client's retries ({@link RoutePolicies}),
 * a retrying registry policy around the client, or the client alone; and the refusal of a retry
 * that would resend a request that is not idempotent.
 */
final class RetryLayer {
  private RetryLayer() {}

  /**
   * What makes the method-level plan retry, as an error message would name it ({@code "@Retry"},
   * {@code "@Retry on the interface"}, {@code "@Policy(\"x\"), which retries,"}), or null when it
   * does not retry.
   */
  static String methodRetry(Class<?> api, Method m, PolicyRegistry registry) {
    Retry retry = effective(api, m, Retry.class);
    if (retry != null) {
      return retry.maxAttempts() > 1
          ? m.isAnnotationPresent(Retry.class) ? "@Retry" : "@Retry on the interface"
          : null;
    }
    Policy named = effective(api, m, Policy.class);
    if (named != null && registry != null) {
      Optional<Integer> attempts =
          registry.find(named.value()).map(dev.riprap.Policy::maxAttempts);
      if (attempts.isPresent() && attempts.get() > 1) {
        return "@Policy(\"" + named.value() + "\"), which retries,";
      }
    }
    return null;
  }

  /**
   * The annotation of {@code type} in effect for {@code m}, resolved as the proxy does: the
   * method's own; else none when a {@code @Policy} replaces the interface's strategies (the
   * method's, or the interface's for a method without strategies of its own); else the
   * interface's.
   */
  static <A extends Annotation> A effective(Class<?> api, Method m, Class<A> type) {
    A own = m.getAnnotation(type);
    if (own != null) {
      return own;
    }
    boolean strategies = hasStrategies(m);
    if (type != Policy.class
        && (m.isAnnotationPresent(Policy.class)
            || !strategies && onType(api, m, Policy.class) != null)) {
      return null;
    }
    if (type == Policy.class && strategies) {
      return null;
    }
    return onType(api, m, type);
  }

  static IllegalStateException unsafeRetry(
      Class<?> api, Method m, HttpApiMethod method, String source) {
    return new IllegalStateException(
        HttpApi.describe(api, m)
            + ": "
            + source
            + " would resend a "
            + method.verb
            + ", which is not idempotent; add @Idempotent (each call then carries an"
            + " Idempotency-Key) or remove the retry");
  }

  private static boolean hasStrategies(Method m) {
    for (Class<? extends Annotation> type :
        List.of(
            Retry.class,
            dev.riprap.annotation.CircuitBreaker.class,
            dev.riprap.annotation.RateLimiter.class,
            dev.riprap.annotation.Bulkhead.class,
            dev.riprap.annotation.Timeout.class)) {
      if (m.isAnnotationPresent(type)) {
        return true;
      }
    }
    return false;
  }

  private static <A extends Annotation> A onType(Class<?> api, Method m, Class<A> type) {
    A a = m.getDeclaringClass().getAnnotation(type);
    return a != null ? a : api.getAnnotation(type);
  }
}
