package dev.riprap.endpoint;

/**
 * One attempt's work on the endpoint an {@link EndpointGroup} chose for it.
 *
 * @param <E> the endpoint type
 * @param <T> the result type
 * @param <X> the checked exception the work may throw
 */
@FunctionalInterface
public interface EndpointFunction<E, T, X extends Throwable> {
  /**
   * Runs one attempt on {@code endpoint}.
   *
   * @param endpoint the endpoint chosen for this attempt
   * @return the attempt's result
   * @throws X when the attempt fails
   */
  T apply(E endpoint) throws X;
}
