package dev.riprap.event;

import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A stream of {@link PolicyEvent}s with removable listeners. Each policy has one; a {@code
 * PolicyRegistry} has one that receives the events of all its policies (a policy's stream forwards
 * to its parent).
 *
 * <p>Thread-safe. Listeners are kept in a copy-on-write array, so publishing takes no lock.
 * Producers check {@link #hasListeners()} first and build no event at all when it is {@code false}.
 */
public final class EventStream {
  private static final System.Logger LOG = System.getLogger(EventStream.class.getName());
  private static final EventListener[] NONE = new EventListener[0];

  private final EventStream parent;
  private volatile EventListener[] listeners = NONE;

  /** A stream with no parent. */
  public EventStream() {
    this(null);
  }

  /**
   * A stream that also forwards every event to {@code parent}.
   *
   * @param parent the stream to forward to, or {@code null}
   */
  public EventStream(EventStream parent) {
    this.parent = parent;
  }

  /**
   * Adds a listener for every event.
   *
   * @param listener the listener
   * @return a subscription whose {@code close()} removes the listener
   * @throws NullPointerException if {@code listener} is null
   */
  public Subscription subscribe(EventListener listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (this) {
      EventListener[] current = listeners;
      EventListener[] next = Arrays.copyOf(current, current.length + 1);
      next[current.length] = listener;
      listeners = next;
    }
    return () -> remove(listener);
  }

  /**
   * Adds a listener for events of one type.
   *
   * @param type the event type, for example {@code RetryScheduled.class}
   * @param listener the listener
   * @param <E> the event type
   * @return a subscription whose {@code close()} removes the listener
   * @throws NullPointerException if an argument is null
   */
  public <E extends PolicyEvent> Subscription subscribe(
      Class<E> type, Consumer<? super E> listener) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(listener, "listener");
    return subscribe(
        event -> {
          if (type.isInstance(event)) {
            listener.accept(type.cast(event));
          }
        });
  }

  /**
   * Removes a listener added with {@link #subscribe(EventListener)}.
   *
   * @param listener the listener
   * @return {@code true} if it was registered
   */
  public synchronized boolean remove(EventListener listener) {
    EventListener[] current = listeners;
    for (int i = 0; i < current.length; i++) {
      if (current[i] == listener) {
        EventListener[] next = new EventListener[current.length - 1];
        System.arraycopy(current, 0, next, 0, i);
        System.arraycopy(current, i + 1, next, i, current.length - i - 1);
        listeners = next;
        return true;
      }
    }
    return false;
  }

  /**
   * Whether an event published here would reach any listener, here or in a parent.
   *
   * @return {@code true} when someone listens
   */
  public boolean hasListeners() {
    return listeners.length > 0 || (parent != null && parent.hasListeners());
  }

  /**
   * Delivers {@code event} to this stream's listeners, then to the parent's. A listener that throws
   * anything, an {@link Error} included, is logged at WARNING and the others still run: a listener
   * never changes the outcome of the call that published the event.
   *
   * @param event the event
   */
  public void publish(PolicyEvent event) {
    for (EventListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (Throwable e) {
        LOG.log(Level.WARNING, "Riprap event listener " + listener + " threw on " + event, e);
      }
    }
    if (parent != null) {
      parent.publish(event);
    }
  }
}
