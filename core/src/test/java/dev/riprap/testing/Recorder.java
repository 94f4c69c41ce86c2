package dev.riprap.testing;

import dev.riprap.event.EventStream;
import dev.riprap.event.PolicyEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Records the events of a stream, thread-safely, for assertions. */
public final class Recorder {
  private final List<PolicyEvent> events = new ArrayList<>();

  public static Recorder on(EventStream stream) {
    Recorder r = new Recorder();
    stream.subscribe(r::add);
    return r;
  }

  private synchronized void add(PolicyEvent e) {
    events.add(e);
  }

  public synchronized List<PolicyEvent> all() {
    return new ArrayList<>(events);
  }

  public synchronized <E extends PolicyEvent> List<E> of(Class<E> type) {
    return events.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
  }

  /** The event type names in order, e.g. "RetryScheduled". */
  public synchronized List<String> names() {
    return events.stream().map(e -> e.getClass().getSimpleName()).collect(Collectors.toList());
  }
}
