package dev.riprap.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Retries a failed call of an interface method, waiting an exponential backoff with jitter between
 * attempts: {@link #delay()}, then doubling, each randomized by ±50% (so retrying clients do not
 * move in step), never above {@link #maxDelay()}. On an interface it applies to every method that
 * does not carry its own {@code @Retry}.
 *
 * <p>Durations are written as {@code 250ms}, {@code 2s}, {@code 1m} or ISO-8601 ({@code PT2S}) and
 * checked when the proxy is created ({@link Resilient}): a bad value fails there with an {@link
 * IllegalArgumentException} naming the interface, the method and the value.
 *
 * <p>On a method of a declarative HTTP client ({@code dev.riprap.http.HttpApi}) over a {@code
 * ResilientHttpClient}, it configures the client's own retries for the method's requests instead
 * (maxAttempts 1 to 11, no {@code retryOn} or {@code abortOn}: the client's classifier decides
 * what is transient); see {@code HttpApi}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface Retry {
  /**
   * Attempts in all, including the first. Default 3; at least 1.
   *
   * @return the attempt limit
   */
  int maxAttempts() default 3;

  /**
   * The first backoff wait. Default {@code "100ms"}; positive.
   *
   * @return the first wait
   */
  String delay() default "100ms";

  /**
   * The longest backoff wait. Default {@code "2s"}; at least {@link #delay()}.
   *
   * @return the longest wait
   */
  String maxDelay() default "2s";

  /**
   * The failures that are retried (subclasses included). Default: empty, meaning every exception.
   *
   * @return the retried failure types
   */
  Class<? extends Throwable>[] retryOn() default {};

  /**
   * Failures that are never retried, even when {@link #retryOn()} covers them. Default: none. A
   * type listed both here and in {@link #retryOn()} is a contradiction rejected at creation.
   *
   * @return the failure types that end the call at once
   */
  Class<? extends Throwable>[] abortOn() default {};
}
