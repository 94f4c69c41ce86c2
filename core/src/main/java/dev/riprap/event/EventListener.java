package dev.riprap.event;

/**
 * Receives a policy's events. Called synchronously on the thread where the event happened, so it
 * should be quick. A listener that throws is logged and skipped; it never breaks the call.
 */
@FunctionalInterface
public interface EventListener {
  /**
   * Handles one event.
   *
   * @param event the event
   */
  void onEvent(PolicyEvent event);
}
