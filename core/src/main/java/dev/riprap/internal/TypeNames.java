package dev.riprap.internal;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Short type names for error messages ({@code CompletableFuture<String>}). Internal. */
public final class TypeNames {
  private TypeNames() {}

  /**
   * The type's simple name, with simple type arguments.
   *
   * @param t a type
   * @return for example {@code Map<String, List<Integer>>}
   */
  public static String simple(Type t) {
    if (t instanceof Class) {
      return ((Class<?>) t).getSimpleName();
    }
    if (t instanceof ParameterizedType) {
      ParameterizedType p = (ParameterizedType) t;
      return simple(p.getRawType())
          + Arrays.stream(p.getActualTypeArguments())
              .map(TypeNames::simple)
              .collect(Collectors.joining(", ", "<", ">"));
    }
    return t.getTypeName();
  }
}
