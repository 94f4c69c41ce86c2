package dev.riprap.endpoint;

import dev.riprap.AttemptContext;

/**
 * One attempt's work on the endpoint an {@link EndpointGroup} chose for it, with the attempt's
 * context (its number, the time left, whether a retry is possible), for work that passes a
 * deadline down to its I/O.
 *
 * @param <E> the endpoint type
 * @param <T> the result type
 * @param <X> the checked exception the work may throw
 */
@FunctionalInterface
public interface EndpointAttemptFunction<E, T, X extends Throwable> {
  /**
   * Runs one attempt on {@code endpoint}.
   *
   * @param endpoint the endpoint chosen for this attempt
   * @param attempt the attempt's context; valid only during this attempt
   * @return the attempt's result
   * @throws X when the attempt fails
   */
  T apply(E endpoint, AttemptContext attempt) throws X;
}
