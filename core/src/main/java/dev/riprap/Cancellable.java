package dev.riprap;

/** A scheduled task that can be called off; returned by {@link TimeSource#schedule}. */
@FunctionalInterface
public interface Cancellable {
  /**
   * Calls the task off if it has not run yet. Calling it again, or after the task ran, does nothing.
   */
  void cancel();
}
