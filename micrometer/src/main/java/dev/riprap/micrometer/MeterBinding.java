package dev.riprap.micrometer;

/**
 * Meters bound to a registry for one policy, supervisor or host. {@link #close()} stops recording
 * and removes those meters from the registry. Idempotent.
 */
@FunctionalInterface
public interface MeterBinding extends AutoCloseable {
  /** Stops recording and removes the bound meters. Idempotent. */
  @Override
  void close();
}
