package dev.riprap.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the method that produces a result when an interface method fails, after every other
 * strategy (retries included) has had its turn: it is the outermost layer, so it also sees
 * rejections and timeouts.
 *
 * <p>The fallback method takes the same parameters as the annotated method, optionally followed by
 * one {@link Throwable} (or subtype) parameter that receives the failure. It returns the annotated
 * method's return type; for a method returning {@code CompletionStage<X>} or {@code
 * CompletableFuture<X>} it may return {@code X} or a {@code CompletionStage<X>}. It is looked up
 * first among the interface's methods (a default method runs on the proxy, an abstract one on the
 * target), then among the target class's own methods, private ones included.
 *
 * <p>The fallback handles a failure that is an instance of one of {@link #on()} and of its
 * throwable parameter's type (when it has one); other failures pass through unchanged. Everything is
 * checked when the proxy is created.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Fallback {
  /**
   * The fallback method's name.
   *
   * @return the method name
   */
  String method();

  /**
   * The failures handled (subclasses included). Default: every {@link Exception}; errors such as
   * {@code OutOfMemoryError} are not handled.
   *
   * @return the handled failure types
   */
  Class<? extends Throwable>[] on() default {Exception.class};
}
