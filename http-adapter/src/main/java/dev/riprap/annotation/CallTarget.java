package dev.riprap.annotation;

import java.lang.reflect.Method;

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
