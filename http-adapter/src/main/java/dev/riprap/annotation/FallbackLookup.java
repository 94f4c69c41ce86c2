package dev.riprap.annotation;

import dev.riprap.internal.TypeNames;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Finds the method a {@link Fallback @Fallback} names and checks it against the decorated method:
 * parameters, the failure parameter and {@code on}, the return type (sync or async), declared
 * checked exceptions. Looks among the interface's methods first, then the target class's own.
 * Every error message starts with the decorated method.
 */
final class FallbackLookup {
  private final Class<?> api;
  private final Object target;
  private final boolean codeTarget; // target is a CallTarget, not an implementation of api
  /** How the proxy reaches a method of the interface (its default on the proxy, or the target). */
  private final Function<Method, MethodPlan.Invoker> interfaceInvoker;

  FallbackLookup(Class<?> api, Object target, boolean codeTarget,
      Function<Method, MethodPlan.Invoker> interfaceInvoker) {
    this.api = api;
    this.target = target;
    this.codeTarget = codeTarget;
    this.interfaceInvoker = interfaceInvoker;
  }


  FallbackPlan fallback(String where, Method m, boolean async) {
    Fallback f = m.getAnnotation(Fallback.class);
    if (f == null) {
      return null;
    }
    if (f.on().length == 0) {
      throw new IllegalArgumentException(where + ": @Fallback on is empty, so it handles nothing");
    }
    String name = f.method();
    Class<?>[] params = m.getParameterTypes();
    List<Method> sameName = new ArrayList<>();
    List<Method> matching = new ArrayList<>();
    collect(Arrays.asList(api.getMethods()), name, params, sameName, matching);
    boolean onInterface = !matching.isEmpty();
    boolean searchClass = !codeTarget && !Proxy.isProxyClass(target.getClass());
    if (!onInterface && searchClass) {
      for (Class<?> c = target.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
        collect(Arrays.asList(c.getDeclaredMethods()), name, params, sameName, matching);
      }
    }
    String expected =
        name
            + Arrays.stream(params).map(Class::getSimpleName).collect(Collectors.joining(", ", "(", ")"))
            + " or "
            + name
            + Arrays.stream(params)
                .map(Class::getSimpleName)
                .collect(Collectors.joining(", ", "(", params.length == 0 ? "Throwable)" : ", Throwable)"));
    if (matching.isEmpty()) {
      throw new IllegalArgumentException(
          where
              + ": @Fallback method "
              + expected
              + " not found in "
              + api.getSimpleName()
              + (searchClass ? " or " + Plans.name(target.getClass()) : "")
              + "; found "
              + (sameName.isEmpty()
                  ? "none"
                  : sameName.stream()
                      .map(x -> Plans.describe(x.getDeclaringClass(), x))
                      .collect(Collectors.joining(", "))));
    }
    if (matching.size() > 1) {
      throw new IllegalStateException(
          where
              + ": @Fallback method '"
              + name
              + "' is ambiguous: "
              + matching.stream()
                  .map(x -> Plans.describe(x.getDeclaringClass(), x))
                  .collect(Collectors.joining(" and ")));
    }
    Method fm = matching.get(0);
    String fallbackName = Plans.describe(fm.getDeclaringClass(), fm);
    Class<? extends Throwable> failureType = null;
    if (fm.getParameterCount() == params.length + 1) {
      failureType = fm.getParameterTypes()[params.length].asSubclass(Throwable.class);
      for (Class<? extends Throwable> on : f.on()) {
        if (!failureType.isAssignableFrom(on) && !on.isAssignableFrom(failureType)) {
          throw new IllegalArgumentException(
              where
                  + ": @Fallback method "
                  + fallbackName
                  + " can never receive "
                  + on.getSimpleName()
                  + ", listed in on");
        }
      }
    }
    boolean asyncFallback = checkReturn(where, m, fm, fallbackName, async);
    if (!async) {
      for (Class<?> thrown : fm.getExceptionTypes()) {
        if (isChecked(thrown) && !declares(m, thrown)) {
          throw new IllegalArgumentException(
              where
                  + ": @Fallback method "
                  + fallbackName
                  + " declares "
                  + thrown.getSimpleName()
                  + ", which "
                  + m.getName()
                  + " does not");
        }
      }
    }
    MethodPlan.Invoker invoker;
    if (onInterface) {
      invoker = interfaceInvoker.apply(fm);
    } else {
      fm.setAccessible(true);
      invoker =
          MethodPlan.Invoker.onTarget(fm, Modifier.isStatic(fm.getModifiers()) ? null : target);
    }
    return new FallbackPlan(invoker, f.on(), failureType, asyncFallback);
  }

  private static void collect(
      List<Method> candidates,
      String name,
      Class<?>[] params,
      List<Method> sameName,
      List<Method> matching) {
    for (Method c : candidates) {
      if (!c.getName().equals(name)) {
        continue;
      }
      if (sameName.stream().noneMatch(x -> sameSignature(x, c))) {
        sameName.add(c);
      } else {
        continue; // an override of a method already seen
      }
      Class<?>[] ps = c.getParameterTypes();
      boolean exact = Arrays.equals(ps, params);
      boolean withFailure =
          ps.length == params.length + 1
              && Arrays.equals(Arrays.copyOf(ps, params.length), params)
              && Throwable.class.isAssignableFrom(ps[params.length]);
      if (exact || withFailure) {
        matching.add(c);
      }
    }
  }

  private static boolean sameSignature(Method a, Method b) {
    return a.getName().equals(b.getName())
        && Arrays.equals(a.getParameterTypes(), b.getParameterTypes());
  }

  private static boolean isChecked(Class<?> thrown) {
    return !RuntimeException.class.isAssignableFrom(thrown)
        && !Error.class.isAssignableFrom(thrown);
  }

  private static boolean declares(Method m, Class<?> thrown) {
    for (Class<?> declared : m.getExceptionTypes()) {
      if (declared.isAssignableFrom(thrown)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Checks the fallback's return type against the method's; returns whether the fallback returns
   * a stage (only allowed for async methods).
   */
  private static boolean checkReturn(
      String where, Method m, Method fm, String fallbackName, boolean async) {
    Type want = m.getGenericReturnType();
    Type got = fm.getGenericReturnType();
    if (async) {
      Type element = typeArgument(want);
      if (CompletionStage.class.isAssignableFrom(fm.getReturnType())) {
        if (compatible(typeArgument(got), element)) {
          return true;
        }
      } else if (compatible(got, element)) {
        return false;
      }
      throw wrongReturn(where, fallbackName, got,
          simple(element) + " or CompletionStage<" + simple(element) + ">");
    }
    if (!compatible(got, want)) {
      throw wrongReturn(where, fallbackName, got, simple(want));
    }
    return false;
  }

  private static IllegalArgumentException wrongReturn(
      String where, String fallbackName, Type got, String expected) {
    return new IllegalArgumentException(
        where + ": @Fallback method " + fallbackName + " returns " + simple(got) + ", expected "
            + expected);
  }

  private static Type typeArgument(Type stage) {
    if (stage instanceof ParameterizedType) {
      return ((ParameterizedType) stage).getActualTypeArguments()[0];
    }
    return Object.class;
  }

  private static boolean compatible(Type got, Type want) {
    Class<?> g = box(raw(got));
    Class<?> w = box(raw(want));
    if (raw(want) == void.class || raw(got) == void.class) {
      return raw(want) == raw(got);
    }
    if (!w.isAssignableFrom(g)) {
      return false;
    }
    if (want instanceof ParameterizedType && got instanceof ParameterizedType && g == w) {
      return Arrays.equals(
          ((ParameterizedType) want).getActualTypeArguments(),
          ((ParameterizedType) got).getActualTypeArguments());
    }
    return true;
  }

  private static Class<?> raw(Type t) {
    if (t instanceof Class) {
      return (Class<?>) t;
    }
    if (t instanceof ParameterizedType) {
      return (Class<?>) ((ParameterizedType) t).getRawType();
    }
    if (t instanceof GenericArrayType) {
      return java.lang.reflect.Array.newInstance(
              raw(((GenericArrayType) t).getGenericComponentType()), 0)
          .getClass();
    }
    if (t instanceof TypeVariable) {
      Type[] bounds = ((TypeVariable<?>) t).getBounds();
      return bounds.length == 0 ? Object.class : raw(bounds[0]);
    }
    if (t instanceof WildcardType) {
      Type[] upper = ((WildcardType) t).getUpperBounds();
      return upper.length == 0 ? Object.class : raw(upper[0]);
    }
    return Object.class;
  }

  private static Class<?> box(Class<?> c) {
    if (!c.isPrimitive()) {
      return c;
    }
    return java.lang.invoke.MethodType.methodType(c).wrap().returnType();
  }

  static String simple(Type t) {
    return TypeNames.simple(t);
  }
}
