package dev.riprap.http;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes an interface method of a declarative HTTP interface ({@link HttpApi}) send a DELETE request
 * to the path template {@link #value()}, resolved against the base URI. Idempotent by HTTP's definition: the client may retry it.
 *
 * <p>The template's {@code {name}} variables are filled from the method's {@link Path} parameters,
 * percent-encoded as one path segment each; a template may end with a literal query such as
 * {@code "/items?sort=name"}. A variable without a parameter, or a parameter without a variable,
 * fails when the proxy is made.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface DELETE {
  /**
   * The path template, such as {@code "/items/{id}"}, relative to the base URI.
   *
   * @return the path template
   */
  String value();
}
