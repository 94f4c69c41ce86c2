package dev.riprap;

/**
 * Work that wants to know about the attempt it runs in: which attempt it is, how much of the total
 * budget is left, and whether a failure could still be retried. Used by adapters (the HTTP client
 * sets each request's timeout from {@link AttemptContext#remainingNanos()}) through
 * {@link Policy#execute(AttemptFunction)}.
 *
 * @param <T> the result type
 * @param <E> the checked exception the work may throw
 */
@FunctionalInterface
public interface AttemptFunction<T, E extends Throwable> {
  /**
   * Runs one attempt.
   *
   * @param context the attempt's context; valid only during this attempt
   * @return the attempt's result
   * @throws E when the attempt fails
   */
  T apply(AttemptContext context) throws E;
}
