package dev.riprap.http;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.http.HttpClient;

/**
 * Calls the Java 21 lifecycle methods of the delegate ({@code close}, {@code shutdown}, {@code
 * shutdownNow}) where the running JDK has them; the build targets Java 17, which has none.
 */
final class Delegates {
  private Delegates() {}

  /** Calls {@code delegate.<name>()} if the running JDK's {@code HttpClient} declares it. */
  static void invoke(HttpClient delegate, String name) {
    Method m;
    try {
      m = HttpClient.class.getMethod(name);
    } catch (NoSuchMethodException e) {
      return; // Java 17-20: HttpClient has no such method.
    }
    try {
      m.invoke(delegate);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot call " + name + "() on the delegate HttpClient", e);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw new IllegalStateException(name + "() of the delegate HttpClient failed", cause);
    }
  }
}
