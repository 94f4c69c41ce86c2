package dev.riprap.http;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Fills the path template variable {@link #value()} with this parameter's {@code toString()},
 * percent-encoded as a single path segment (UTF-8; everything but {@code A-Z a-z 0-9 - . _ ~} is
 * escaped, so a {@code /} or a space stays inside the segment). A null value fails the call with
 * an {@link IllegalArgumentException} naming the method and the variable.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Path {
  /**
   * The template variable's name, as written between braces.
   *
   * @return the variable name
   */
  String value();
}
