package dev.riprap.annotation;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Refuses, when a proxy is made, an interface whose proxy would fail with {@code
 * IllegalAccessError} at the first call.
 *
 * <p>The JDK makes the proxy of a public interface in a package of its own (in the dynamic module
 * {@code jdk.proxyN}), so the proxy's code reaches only types whose class file says public. That
 * code names two kinds of type: the result type of each method, which it casts the handler's
 * result to after the call ran; and each declared checked exception not covered by another, which
 * it catches to rethrow unchanged (the JVM resolves a catch type when an exception passes it).
 * Parameter types, generic type arguments and unchecked exceptions appear nowhere in that code, so
 * they may be anything. The proxy of a non-public interface is made in the interface's own
 * package, where every type the interface can name is reachable.
 */
final class ProxyAccess {
  private ProxyAccess() {}

  /**
   * Throws if a method of {@code api} names a type its proxy cannot reach.
   *
   * @throws IllegalArgumentException naming the interface, the method and the type
   */
  static void check(Class<?> api) {
    if (!Modifier.isPublic(api.getModifiers())) {
      return; // the proxy shares the interface's package
    }
    for (Method m : api.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      Class<?> result = m.getReturnType();
      if (!reachable(result)) {
        throw refused(api, m, "returns", result, "cast the result at the first call");
      }
      for (Class<?> thrown : caught(m.getExceptionTypes())) {
        if (!reachable(thrown)) {
          throw refused(api, m, "declares", thrown,
              "catch it when the call throws a checked exception");
        }
      }
    }
  }

  /** Whether the class file of {@code type} (an array's element type) is public. */
  private static boolean reachable(Class<?> type) {
    Class<?> c = type;
    while (c.isArray()) {
      c = c.getComponentType();
    }
    if (c.isPrimitive()) {
      return true;
    }
    int mods = c.getModifiers();
    // javac writes a protected member class as public in its class file, and the JVM checks that.
    return Modifier.isPublic(mods) || (c.isMemberClass() && Modifier.isProtected(mods));
  }

  /**
   * The exceptions the proxy catches by name: the declared ones that are checked and not a
   * subclass of another declared one; none when {@code Throwable} itself is declared.
   */
  private static List<Class<?>> caught(Class<?>[] declared) {
    List<Class<?>> caught = new ArrayList<>();
    for (Class<?> t : declared) {
      if (t == Throwable.class) {
        return List.of();
      }
      boolean unchecked = RuntimeException.class.isAssignableFrom(t)
          || Error.class.isAssignableFrom(t);
      boolean covered = false;
      for (Class<?> other : declared) {
        covered |= other != t && other.isAssignableFrom(t);
      }
      if (!unchecked && !covered) {
        caught.add(t);
      }
    }
    return caught;
  }

  private static IllegalArgumentException refused(
      Class<?> api, Method m, String verb, Class<?> type, String failure) {
    Class<?> element = type;
    while (element.isArray()) {
      element = element.getComponentType();
    }
    String pkg = element.getPackageName();
    String local = (pkg.isEmpty() ? element.getName()
        : element.getName().substring(pkg.length() + 1)).replace('$', '.');
    return new IllegalArgumentException(
        Plans.describe(api, m) + ": " + verb + " " + type.getTypeName()
            + ", which is not public: the proxy of a public interface is made in another package"
            + " and could not " + failure + " (IllegalAccessError); make " + local + " public or "
            + Plans.name(api) + " package-private");
  }
}
