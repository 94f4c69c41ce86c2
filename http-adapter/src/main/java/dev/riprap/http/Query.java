package dev.riprap.http;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Adds the query parameter {@link #value()} with this parameter's {@code toString()}, name and
 * value percent-encoded (UTF-8; a space becomes {@code %20}, and {@code & = + /} are escaped). A
 * null value leaves the parameter out; an {@link Iterable} or an array adds it once per element.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Query {
  /**
   * The query parameter's name.
   *
   * @return the name
   */
  String value();
}
