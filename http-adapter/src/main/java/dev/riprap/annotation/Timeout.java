package dev.riprap.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Bounds an interface method's attempts ({@link #value()}) and/or the whole call, backoff waits
 * included ({@link #total()}). At least one must be set, and the attempt timeout must not exceed
 * the total. A call cut off fails with a {@link dev.riprap.RejectedException} of reason {@code
 * TIMED_OUT}; a sync attempt is interrupted, an async attempt's future is cancelled.
 *
 * <pre>{@code
 * @Timeout("2s")                 // each attempt
 * @Timeout(value = "2s", total = "5s")
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface Timeout {
  /**
   * The attempt timeout. Default: empty, meaning none.
   *
   * @return the attempt timeout, or empty
   */
  String value() default "";

  /**
   * The total timeout across attempts. Default: empty, meaning none.
   *
   * @return the total timeout, or empty
   */
  String total() default "";
}
