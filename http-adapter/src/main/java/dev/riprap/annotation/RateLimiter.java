package dev.riprap.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Limits an interface method to {@link #limit()} calls per {@link #period()} (resilience4j's
 * limiter). A call that finds no permit waits up to {@link #maxWait()} for one, then fails with a
 * {@link dev.riprap.RejectedException} of reason {@code RATE_LIMITED}.
 *
 * <p>A limiter with a {@link #name()} is shared by every method naming it, like a named {@link
 * CircuitBreaker}; without one it belongs to its method alone.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface RateLimiter {
  /**
   * The shared limiter's name. Default: empty, meaning a limiter of the method's own.
   *
   * @return the name, or empty
   */
  String name() default "";

  /**
   * Calls permitted per period; at least 1. Required.
   *
   * @return the number of permits per period
   */
  int limit();

  /**
   * The period after which the permits refill. Default {@code "1s"}; positive.
   *
   * @return the refresh period
   */
  String period() default "1s";

  /**
   * The longest a call waits for a permit. Default {@code "0s"}: rejected at once.
   *
   * @return the longest wait
   */
  String maxWait() default "0s";
}
