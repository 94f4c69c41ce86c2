package dev.riprap.http;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Sends this parameter's {@code toString()} as the request header {@link #value()}. A null value
 * leaves the header out. A header name the JDK client refuses ({@code Host}, {@code Connection},
 * {@code Content-Length}...) fails when the proxy is made.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Header {
  /**
   * The header name.
   *
   * @return the name
   */
  String value();
}
