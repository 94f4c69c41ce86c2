package dev.riprap;

/**
 * A supplier that may throw a checked exception of type {@code E}.
 *
 * <p>{@link Policy#call(ThrowingSupplier)} declares {@code throws E}, so the caller's own checked
 * exception comes back as itself: never wrapped, never widened to {@code Throwable}.
 *
 * @param <T> the result type
 * @param <E> the checked exception the work may throw ({@code RuntimeException} when none)
 */
@FunctionalInterface
public interface ThrowingSupplier<T, E extends Throwable> {
  /**
   * Computes the result.
   *
   * @return the result, possibly {@code null}
   * @throws E when the work fails
   */
  T get() throws E;
}
