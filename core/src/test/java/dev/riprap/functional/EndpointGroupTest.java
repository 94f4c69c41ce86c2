package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.endpoint.Balancer;
import dev.riprap.endpoint.EndpointFunction;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.EndpointStatus;
import dev.riprap.event.EndpointEjected;
import dev.riprap.event.EndpointPanicChanged;
import dev.riprap.event.EndpointRestored;
import dev.riprap.event.EventStream;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.GroupCalls;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import dev.riprap.testing.Recorder;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Endpoint groups through a policy, sync and async: the choice of each attempt's endpoint,
 * retries on endpoints not tried yet, outlier ejection and return on fake time, the ejection
 * share, panic mode, the replacement of the set, and the outstanding count on every path.
 */
class EndpointGroupTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final EventStream parent = new EventStream();
  private final Recorder events = Recorder.on(parent);

  private EndpointGroup.Builder<String> group(String... endpoints) {
    return EndpointGroup.builder("replicas", List.of(endpoints)).timeSource(time)
        .parentEvents(parent);
  }

  private Policy policy(int attempts) {
    Policy.Builder b = Policy.builder("orders").timeSource(time).asyncExecutor(Runnable::run);
    return attempts > 1 ? b.retry(attempts, Duration.ofMillis(10), Duration.ofMillis(10)).build()
        : b.build();
  }

  private Outcome<String> call(Mode mode, FakeTimeSource time, EndpointGroup<String> g, Policy p,
      EndpointFunction<String, String, Exception> work) {
    return GroupCalls.call(mode, time, g, p, work);
  }

  private static int outstanding(EndpointGroup<String> g) {
    return g.status().stream().mapToInt(EndpointStatus::outstanding).sum();
  }

  private static EndpointStatus<String> status(EndpointGroup<String> g, String name) {
    return g.status().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void retriesGoToEndpointsTheCallHasNotTriedYet(Mode mode) {
    EndpointGroup<String> g = group("a", "b", "c").outlierDetection(false).build();
    Policy p = policy(3);
    for (int round = 0; round < 20; round++) {
      List<String> seen = new ArrayList<>();
      Outcome<String> out = call(mode, time, g, p, e -> {
        seen.add(e);
        if (seen.size() < 3) {
          throw new IOException("refused by " + e);
        }
        return "served by " + e;
      });
      assertThat(Set.copyOf(seen)).as("round %s: %s", round, seen).hasSize(3);
      assertThat(out.result).isEqualTo("served by " + seen.get(2));
      assertThat(outstanding(g)).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aDeadReplicaCostsOneAttemptNotTheCall(Mode mode) {
    EndpointGroup<String> g = group("dead", "b", "c").build();
    Policy p = policy(2);
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Outcome<String> out = call(mode, time, g, p, e -> {
        seen.add(e);
        if (e.equals("dead")) {
          throw new IOException("connection refused");
        }
        return e;
      });
      assertThat(out.failure).isNull();
    }
    // Five failures eject it; after that no attempt reaches it until its 30 s are up.
    assertThat(seen.stream().filter("dead"::equals).count()).isEqualTo(5);
    assertThat(status(g, "dead").ejected()).isTrue();
    assertThat(events.of(EndpointEjected.class)).singleElement().satisfies(e -> {
      assertThat(e.policy()).isEqualTo("replicas");
      assertThat(e.endpoint()).isEqualTo("dead");
      assertThat(e.failures()).isEqualTo(5);
      assertThat(e.duration()).isEqualTo(Duration.ofSeconds(30));
      assertThat(e.cause()).hasMessage("connection refused");
    });
  }

  @Test
  void anEjectedEndpointReturnsOnProbationAndOneFailureEjectsItForLonger() throws Exception {
    EndpointGroup<String> g = group("a", "b", "c").consecutiveFailures(2)
        .balancer(Balancer.roundRobin()).build();
    Policy p = policy(1);
    EndpointFunction<String, String, IOException> failOnA = e -> {
      if (e.equals("a")) {
        throw new IOException("a is down");
      }
      return e;
    };
    for (int i = 0; i < 6; i++) {
      try {
        g.call(p, failOnA);
      } catch (IOException expected) {
        // a fails
      }
    }
    assertThat(status(g, "a").ejected()).isTrue();
    time.advance(Duration.ofSeconds(30).minusNanos(1));
    assertThat(status(g, "a").ejected()).isTrue();
    time.advance(Duration.ofNanos(1));
    EndpointStatus<String> back = status(g, "a");
    assertThat(back.ejected()).isFalse();
    assertThat(back.probation()).isTrue();
    assertThat(events.of(EndpointRestored.class)).extracting(EndpointRestored::endpoint)
        .containsExactly("a");

    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      try {
        seen.add(g.call(p, failOnA));
      } catch (IOException expected) {
        seen.add("failed");
      }
    }
    assertThat(seen).containsOnlyOnce("failed");
    assertThat(events.of(EndpointEjected.class)).extracting(EndpointEjected::failures,
        EndpointEjected::ejections, EndpointEjected::duration)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(2, 1, Duration.ofSeconds(30)),
            org.assertj.core.groups.Tuple.tuple(1, 2, Duration.ofSeconds(60)));
  }

  @Test
  void aSuccessOnProbationKeepsTheEndpointAndTheMultiplierDecaysInRotation() throws Exception {
    EndpointGroup<String> g = group("a", "b").consecutiveFailures(1)
        .maxEjectionTime(Duration.ofSeconds(90)).build();
    Policy p = policy(1);
    boolean[] aFails = {true};
    EndpointFunction<String, String, IOException> work = e -> {
      if (e.equals("a") && aFails[0]) {
        throw new IOException("a is down");
      }
      return e;
    };
    ejectA(g, p, work);
    for (int n = 2; n <= 4; n++) {
      // Back at the end of its ejection, on probation: its first failure ejects it again.
      time.advance(lastEjection().duration());
      ejectA(g, p, work);
    }
    // 30 s, 60 s, then capped at 90 s.
    assertThat(events.of(EndpointEjected.class)).extracting(EndpointEjected::duration)
        .containsExactly(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(90),
            Duration.ofSeconds(90));
    time.advance(Duration.ofSeconds(90));
    aFails[0] = false;
    while (status(g, "a").probation()) {
      g.call(p, work);
    }
    assertThat(status(g, "a").ejected()).isFalse();
    // Two base ejection times in rotation take the multiplier from 4 down to 2: the next is 90 s
    // (capped 3 x 30 s) instead of the cap reached at 4.
    time.advance(Duration.ofSeconds(60));
    aFails[0] = true;
    ejectA(g, p, work);
    EndpointEjected last = events.of(EndpointEjected.class).get(4);
    assertThat(last.ejections()).isEqualTo(3);
  }

  private EndpointEjected lastEjection() {
    List<EndpointEjected> all = events.of(EndpointEjected.class);
    return all.get(all.size() - 1);
  }

  private void ejectA(EndpointGroup<String> g, Policy p, EndpointFunction<String, String, IOException> work) {
    int before = events.of(EndpointEjected.class).size();
    for (int i = 0; i < 100 && events.of(EndpointEjected.class).size() == before; i++) {
      try {
        g.call(p, work);
      } catch (IOException expected) {
        // a fails
      }
    }
    assertThat(events.of(EndpointEjected.class)).hasSize(before + 1);
  }

  @Test
  void theEjectedShareNeverPassesTheMaximumAndOneEndpointAlwaysStays() {
    EndpointGroup<String> half = group("a", "b", "c", "d").consecutiveFailures(1).build();
    failEverywhere(half);
    assertThat(half.status().stream().filter(EndpointStatus::ejected).count()).isEqualTo(2);
    assertThat(half.panic()).isFalse();

    EndpointGroup<String> small = group("a", "b", "c").consecutiveFailures(1)
        .maxEjectionPercent(10).build();
    failEverywhere(small);
    // 10% of 3 rounds down to none; one may be ejected whatever the share (Envoy's rule).
    assertThat(small.status().stream().filter(EndpointStatus::ejected).count()).isEqualTo(1);

    EndpointGroup<String> single = group("only").consecutiveFailures(1).build();
    failEverywhere(single);
    assertThat(single.status().get(0).ejected()).isFalse();
  }

  private void failEverywhere(EndpointGroup<String> g) {
    Policy p = policy(1);
    for (int i = 0; i < 50; i++) {
      try {
        g.call(p, e -> {
          throw new IOException(e + " is down");
        });
      } catch (IOException expected) {
        // all fail
      }
    }
  }

  @Test
  void tooFewInRotationIsPanicModeAndAttemptsGoToAll() {
    EndpointGroup<String> g = group("a", "b", "c", "d").consecutiveFailures(1)
        .maxEjectionPercent(100).balancer(Balancer.roundRobin()).build();
    failEverywhere(g);
    // Three of four ejected (never all): one in rotation is below 50%.
    assertThat(g.status().stream().filter(EndpointStatus::ejected).count()).isEqualTo(3);
    assertThat(g.panic()).isTrue();
    assertThat(events.of(EndpointPanicChanged.class)).singleElement().satisfies(e -> {
      assertThat(e.panic()).isTrue();
      assertThat(e.inRotation()).isEqualTo(1);
      assertThat(e.total()).isEqualTo(4);
    });
    List<String> seen = new ArrayList<>();
    Policy p = policy(1);
    for (int i = 0; i < 8; i++) {
      seen.add(g.call(p, e -> e));
    }
    assertThat(Set.copyOf(seen)).containsExactlyInAnyOrder("a", "b", "c", "d");
    time.advance(Duration.ofSeconds(30));
    assertThat(g.panic()).isFalse();
    assertThat(events.of(EndpointPanicChanged.class)).extracting(EndpointPanicChanged::panic)
        .containsExactly(true, false);
  }

  @Test
  void replacingTheSetKeepsTheStateOfTheEndpointsThatStay() throws Exception {
    EndpointGroup<String> g = group("a", "b", "c").consecutiveFailures(1).build();
    Policy p = policy(1);
    while (!status(g, "a").ejected()) {
      try {
        g.call(p, e -> {
          if (e.equals("a")) {
            throw new IOException("down");
          }
          return e;
        });
      } catch (IOException expected) {
        // a fails
      }
    }
    g.update(List.of("c", "a", "d"));
    assertThat(g.endpoints()).containsExactly("c", "a", "d");
    assertThat(g.status()).extracting(EndpointStatus::name, EndpointStatus::ejected)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("c", false),
            org.assertj.core.groups.Tuple.tuple("a", true),
            org.assertj.core.groups.Tuple.tuple("d", false));
    time.advance(Duration.ofSeconds(30));
    assertThat(status(g, "a").probation()).isTrue();
    // A set that drops every endpoint but one new: the state of the others goes with them.
    g.update(List.of("b"));
    String served = g.call(p, e -> e);
    assertThat(served).isEqualTo("b");
    assertThat(status(g, "b").probation()).isFalse();
  }

  @Test
  void leastOutstandingSendsTheNextAttemptToTheIdleEndpoint() {
    EndpointGroup<String> g = group("a", "b").build();
    Policy p = policy(1);
    List<CompletableFuture<String>> held = new ArrayList<>();
    List<String> seen = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 6; i++) {
      g.callAsync(p, e -> {
        seen.add(e);
        CompletableFuture<String> f = new CompletableFuture<>();
        held.add(f);
        return f;
      });
    }
    // Two endpoints: power of two choices compares both, so the counts stay within one.
    assertThat(seen.stream().filter("a"::equals).count()).isEqualTo(3);
    assertThat(outstanding(g)).isEqualTo(6);
    held.forEach(f -> f.complete("done"));
    assertThat(outstanding(g)).isZero();
  }

  @Test
  void peakEwmaAvoidsTheSlowEndpoint() throws Exception {
    EndpointGroup<String> g = group("slow", "fast").balancer(Balancer.peakEwma()).build();
    Policy p = policy(1);
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      seen.add(g.call(p, e -> {
        time.sleep(Duration.ofMillis(e.equals("slow") ? 200 : 2));
        return e;
      }));
    }
    assertThat(seen.stream().filter("slow"::equals).count()).isEqualTo(1);
    // Observed at 200 ms, decayed a little since (10 s decay time).
    assertThat(status(g, "slow").latency()).hasValueSatisfying(
        d -> assertThat(d).isBetween(Duration.ofMillis(190), Duration.ofMillis(200)));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aTimedOutAttemptIsAFailureOfItsEndpointAndGivesItsCountBack(Mode mode) {
    EndpointGroup<String> g = group("a", "b").consecutiveFailures(1).build();
    Policy p = Policy.builder("orders").timeSource(time).asyncExecutor(Runnable::run)
        .attemptTimeout(Duration.ofSeconds(1)).build();
    Outcome<String> out = mode == Mode.SYNC
        ? call(mode, time, g, p, e -> {
          time.sleep(Duration.ofSeconds(5));
          return e;
        })
        : Mode.await(g.callAsync(p, e -> new CompletableFuture<String>()), time);
    assertThat(out.failure).isInstanceOf(dev.riprap.RejectedException.class);
    assertThat(outstanding(g)).isZero();
    EndpointEjected ejected = events.of(EndpointEjected.class).get(0);
    assertThat(ejected.cause()).isInstanceOf(TimeoutException.class);
  }

  @Test
  void aCallerThatGivesUpReleasesTheCountAndRecordsNothing() {
    EndpointGroup<String> g = group("a", "b").consecutiveFailures(1).build();
    Policy p = policy(1);
    CompletableFuture<String> work = new CompletableFuture<>();
    CompletableFuture<String> call = g.callAsync(p, e -> work);
    assertThat(outstanding(g)).isEqualTo(1);
    call.cancel(true);
    assertThat(work).isCancelled();
    assertThat(outstanding(g)).isZero();
    assertThat(g.status()).allSatisfy(s -> assertThat(s.consecutiveFailures()).isEqualTo(0));
    assertThat(events.of(EndpointEjected.class)).isEmpty();
  }

  @Test
  void anInterruptedSyncCallerRecordsNothing() {
    EndpointGroup<String> g = group("a", "b").consecutiveFailures(1).build();
    Policy p = policy(1);
    assertThatThrownBy(() -> g.call(p, e -> {
      throw new InterruptedException("caller gave up");
    })).isInstanceOf(InterruptedException.class);
    assertThat(outstanding(g)).isZero();
    assertThat(events.of(EndpointEjected.class)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aResultPredicateCountsResultsAsFailures(Mode mode) {
    EndpointGroup<String> g = group("a", "b").consecutiveFailures(1)
        .failureOnResult(r -> "503".equals(r)).build();
    Policy p = policy(1);
    for (int i = 0; i < 50; i++) {
      call(mode, time, g, p, e -> e.equals("a") ? "503" : "200");
    }
    assertThat(events.of(EndpointEjected.class)).extracting(EndpointEjected::endpoint)
        .containsExactly("a");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFallbackSeesTheLastFailureAfterEveryEndpointWasTried(Mode mode) {
    EndpointGroup<String> g = group("a", "b").outlierDetection(false).build();
    Policy p = policy(3);
    List<String> seen = new CopyOnWriteArrayList<>();
    dev.riprap.Fallback<String> fallback = dev.riprap.Fallback.of(e -> "cached after " + e.getMessage());
    Outcome<String> out;
    if (mode == Mode.SYNC) {
      CompletableFuture<String> done = new CompletableFuture<>();
      try {
        done.complete(g.call(p, e -> {
          seen.add(e);
          throw new IOException(e + " down");
        }, fallback));
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
      out = Mode.await(done, time);
    } else {
      out = Mode.await(g.callAsync(p, e -> {
        seen.add(e);
        return CompletableFuture.<String>failedFuture(new IOException(e + " down"));
      }, fallback), time);
    }
    // Two endpoints, three attempts: both tried before either is tried again.
    assertThat(Set.copyOf(seen.subList(0, 2))).containsExactlyInAnyOrder("a", "b");
    assertThat(out.result).isEqualTo("cached after " + seen.get(2) + " down");
    assertThat(outstanding(g)).isZero();
  }

  @Test
  void aDroppedEndpointsReturnIsCalledOff() throws Exception {
    EndpointGroup<String> g = group("a", "b", "c").consecutiveFailures(1).build();
    Policy p = policy(1);
    while (!status(g, "a").ejected()) {
      try {
        g.call(p, e -> {
          if (e.equals("a")) {
            throw new IOException("down");
          }
          return e;
        });
      } catch (IOException expected) {
        // a fails
      }
    }
    g.update(List.of("b", "c"));
    time.advance(Duration.ofMinutes(10));
    assertThat(events.of(EndpointRestored.class)).isEmpty();
    // Back in the set later, it starts fresh.
    g.update(List.of("a", "b", "c"));
    assertThat(status(g, "a").ejected()).isFalse();
    assertThat(status(g, "a").ejections()).isZero();
  }

  @Test
  void aHugeEjectionTimeSaturatesAtTheLongestDuration() throws Exception {
    EndpointGroup<String> g = group("a", "b").consecutiveFailures(1)
        .baseEjectionTime(Duration.ofSeconds(Long.MAX_VALUE))
        .maxEjectionTime(Duration.ofSeconds(Long.MAX_VALUE)).build();
    Policy p = policy(1);
    while (events.of(EndpointEjected.class).isEmpty()) {
      try {
        g.call(p, e -> {
          throw new IOException("down");
        });
      } catch (IOException expected) {
        // every endpoint fails
      }
    }
    assertThat(events.of(EndpointEjected.class).get(0).duration()).isEqualTo(Duration.ofDays(36_500));
    time.advance(Duration.ofDays(36_500));
    assertThat(events.of(EndpointRestored.class)).hasSize(1);
  }
}
