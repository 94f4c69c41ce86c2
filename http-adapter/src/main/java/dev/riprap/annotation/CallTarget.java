package dev.riprap.annotation;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.Set;

/**
 * A proxy target given as code rather than an object implementing the interface: what {@link
 * Resilient#wrapCalls(Class, CallTarget)} calls for the interface's abstract methods. It sees each call
 * once before its first attempt ({@link #start}), so work that must not differ between attempts of
 * one call (building a request, choosing an idempotency key) happens once; the {@link Attempt} it
 * returns runs once per attempt. The declarative HTTP interfaces are built on it.
 */
@FunctionalInterface
public interface CallTarget {
  /**
   * Starts one call. An exception thrown here fails the call at once, before any strategy runs:
   * nothing is retried, no breaker records it, and a fallback does not see it.
   *
   * @param proxy the proxy the call was made on
   * @param method the interface method called
   * @param args the call's arguments ({@code null} for a method without parameters)
   * @return the attempt, run once per attempt of this call
   * @throws Throwable when the call cannot start, for instance a bad argument
   */
  Attempt start(Object proxy, Method method, Object[] args) throws Throwable;

  /**
   * Which of {@code method}'s {@link Retry} and {@link Timeout} (its own or the interface's) this
   * target applies itself, so that the proxy leaves them out of the method's policy: a target that
   * retries in its own, better-informed way, and must not be retried a second time around it.
   * Called once per method with strategy annotations, when the proxy is made, after the proxy
   * checked every annotation's values; other annotation types in the answer are ignored. The
   * declarative HTTP clients answer both for a method whose requests run under a client policy
   * derived from them.
   *
   * <p>Default: none, and the proxy applies them.
   *
   * @param method the interface method
   * @return {@code Retry.class} and/or {@code Timeout.class}, or an empty set
   * @throws IllegalArgumentException or {@link IllegalStateException} to refuse the method's
   *     annotations; the proxy is then not made, and the message should name the method
   */
  default Set<Class<? extends Annotation>> appliedByTarget(Method method) {
    return Set.of();
  }

  /** One attempt of a started call. */
  @FunctionalInterface
  interface Attempt {
    /**
     * Runs the attempt.
     *
     * @return the method's result: for an async method, its {@code CompletionStage}
     * @throws Throwable the attempt's failure, rethrown to the caller as itself when it is the last
     */
    Object run() throws Throwable;
  }
}
