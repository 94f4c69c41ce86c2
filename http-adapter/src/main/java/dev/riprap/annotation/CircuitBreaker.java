package dev.riprap.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Guards an interface method with a count-based circuit breaker (resilience4j's state machine).
 * The defaults are resilience4j's own: 50% failures over the last 100 calls, at least 100 calls
 * before the rate counts, 60 s open, 10 trial calls half-open.
 *
 * <p>A breaker with a {@link #name()} is shared: every method (of every proxy made by the same
 * {@link Resilient}) that names it shares its state, and every declaration of the name must carry
 * the same settings. A breaker without a name belongs to its method alone; on an interface, each
 * method gets its own.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface CircuitBreaker {
  /**
   * The shared breaker's name. Default: empty, meaning a breaker of the method's own.
   *
   * @return the name, or empty
   */
  String name() default "";

  /**
   * The failure rate, in percent, at or above which the breaker opens. Default 50; in (0, 100].
   *
   * @return the threshold
   */
  float failureRateThreshold() default 50;

  /**
   * How many of the latest calls the failure rate is computed over. Default 100; at least 1.
   *
   * @return the window size in calls
   */
  int slidingWindowSize() default 100;

  /**
   * Calls needed in the window before the failure rate can open the breaker. Default 100; at least
   * 1.
   *
   * @return the minimum number of calls
   */
  int minimumCalls() default 100;

  /**
   * How long the breaker stays open before it lets trial calls through. Default {@code "60s"};
   * positive.
   *
   * @return the open duration
   */
  String waitInOpen() default "60s";

  /**
   * Trial calls let through while half-open. Default 10; at least 1.
   *
   * @return the number of trial calls
   */
  int halfOpenCalls() default 10;

  /**
   * How long a call the open breaker refuses may wait for the breaker's next probe, and go ahead if
   * it succeeds, instead of failing at once (see {@link dev.riprap.Policy.Builder#awaitProbe}).
   * Default {@code "0s"}: no wait; otherwise positive, such as {@code "61s"} for the default 60 s
   * open wait.
   *
   * @return the longest wait, or {@code "0s"} for none
   */
  String awaitProbe() default "0s";
}
