package dev.riprap.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs an interface method through a named policy of the {@link dev.riprap.PolicyRegistry}
 * given to {@link Resilient}, instead of one described by annotations. The name is resolved when
 * the proxy is created; an unknown name fails there, listing the known ones.
 *
 * <p>It replaces the strategy annotations ({@link Retry}, {@link CircuitBreaker}, {@link
 * RateLimiter}, {@link Bulkhead}, {@link Timeout}) at its level: on a method, those of the interface
 * no longer apply to it, and combining it with one of them on the same element is a contradiction
 * rejected at creation. {@link Fallback} combines with it.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface Policy {
  /**
   * The registry policy's name.
   *
   * @return the name
   */
  String value();
}
