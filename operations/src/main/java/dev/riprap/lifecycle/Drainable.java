package dev.riprap.lifecycle;

import dev.riprap.DrainReport;
import java.time.Duration;

/**
 * Something that can stop admitting work and wait for the work in flight: a {@link
 * dev.riprap.ShutdownGate}, a {@code PolicyRegistry}, a {@code ResilientHttpClient}, an {@link
 * HttpServerDrain}. Their {@code drain(Duration)} methods fit as method references ({@code
 * gate::drain}), so {@link GracefulShutdown} can drain them without depending on their modules.
 */
@FunctionalInterface
public interface Drainable {
  /**
   * Stops admitting new work and waits until nothing is in flight or {@code timeout} passes,
   * whichever is first. Returns at once when idle.
   *
   * @param timeout the longest wait, zero or more
   * @return what the drain did
   * @throws InterruptedException if interrupted while waiting
   */
  DrainReport drain(Duration timeout) throws InterruptedException;
}
