package dev.riprap;

/**
 * Void work that may throw a checked exception of type {@code E}; see {@link Policy#run(ThrowingRunnable)}.
 *
 * @param <E> the checked exception the work may throw ({@code RuntimeException} when none)
 */
@FunctionalInterface
public interface ThrowingRunnable<E extends Throwable> {
  /**
   * Does the work.
   *
   * @throws E when the work fails
   */
  void run() throws E;
}
