package dev.riprap.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Limits the concurrent calls of an interface method to {@link #value()} (resilience4j's
 * semaphore bulkhead). A call that finds it full waits up to {@link #maxWait()}, then fails with a
 * {@link dev.riprap.RejectedException} of reason {@code BULKHEAD_FULL}. An async method holds its
 * permit until its future completes.
 *
 * <p>A bulkhead with a {@link #name()} is shared by every method naming it, like a named {@link
 * CircuitBreaker}; without one it belongs to its method alone.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface Bulkhead {
  /**
   * The most calls in flight at once; at least 1. Required.
   *
   * @return the concurrency limit
   */
  int value();

  /**
   * The shared bulkhead's name. Default: empty, meaning a bulkhead of the method's own.
   *
   * @return the name, or empty
   */
  String name() default "";

  /**
   * The longest a call waits for a permit. Default {@code "0s"}: rejected at once.
   *
   * @return the longest wait
   */
  String maxWait() default "0s";
}
