package dev.riprap.event;

/**
 * A registered listener. {@link #close()} removes it; closing twice does nothing. Usable in
 * try-with-resources.
 */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
  /** Removes the listener from its stream. Idempotent. */
  @Override
  void close();
}
