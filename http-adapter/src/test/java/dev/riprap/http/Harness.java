package dev.riprap.http;

import dev.riprap.event.PolicyEvent;
import dev.riprap.event.RetryScheduled;
import dev.riprap.testing.FakeTimeSource;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** A client on a fake clock with every event recorded. */
final class Harness {
  final FakeTimeSource fake = new FakeTimeSource();
  final List<PolicyEvent> events = new CopyOnWriteArrayList<>();
  final ResilientHttpClient client;
  private int driven;

  Harness(HttpClient delegate, ResilientHttpClient.Builder builder) {
    this.client = builder.delegate(delegate).timeSource(fake).build();
    client.events().subscribe(events::add);
  }

  <E extends PolicyEvent> List<E> events(Class<E> type) {
    return events.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
  }

  List<Duration> retryDelays() {
    return events(RetryScheduled.class).stream()
        .map(RetryScheduled::delay)
        .collect(Collectors.toList());
  }

  /**
   * Lets an async call's backoff timers fire on the fake clock: for each retry the call schedules,
   * waits until its timer is pending (beside the total-timeout timer), then advances by its delay.
   * Bounded: gives up after 10 s of real time.
   */
  void drive(CompletableFuture<?> f) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!f.isDone() && System.nanoTime() < end) {
      List<RetryScheduled> retries = events(RetryScheduled.class);
      if (retries.size() > driven && fake.pendingTasks() > 1) {
        fake.advance(retries.get(driven++).delay());
      } else {
        Thread.sleep(1);
      }
    }
    if (!f.isDone()) {
      throw new AssertionError("async call still running after 10 s: events=" + events
          + ", pending timers=" + fake.pendingTasks() + ", fake time=" + fake.nanoTime());
    }
  }
}
