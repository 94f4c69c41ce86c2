package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Policy;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.EndpointStatus;
import dev.riprap.endpoint.HealthCheck;
import dev.riprap.endpoint.HealthCheckSettings;
import dev.riprap.event.EndpointEjected;
import dev.riprap.event.EndpointHealthChanged;
import dev.riprap.event.EndpointPanicChanged;
import dev.riprap.event.EndpointsUpdated;
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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Active health checks of an endpoint group on fake time: the thresholds, what counts as a failed
 * check (false, null, a throw of anything, a timeout), the agreement with outlier detection,
 * {@code update} and {@code close}.
 */
class EndpointHealthCheckTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final FakeTimeSource policyTime = new FakeTimeSource();
  private final EventStream parent = new EventStream();
  private final Recorder events = Recorder.on(parent);
  /** Whether each endpoint's health path answers true; absent means true. */
  private final Map<String, Boolean> well = new ConcurrentHashMap<>();
  /** The checks each endpoint got, in order, with the fake time they ran at (in seconds). */
  private final Map<String, List<Long>> checks = new ConcurrentHashMap<>();

  private static final HealthCheckSettings EXACT = HealthCheckSettings.defaults()
      .jitter(Duration.ZERO); // interval 10 s, timeout 2 s, unhealthy 3, healthy 2

  private CompletionStage<Boolean> answer(String endpoint) {
    checks.computeIfAbsent(endpoint, e -> new ArrayList<>())
        .add(Duration.ofNanos(time.nanoTime()).toSeconds());
    return CompletableFuture.completedFuture(well.getOrDefault(endpoint, true));
  }

  private EndpointGroup.Builder<String> group(String... endpoints) {
    return EndpointGroup.builder("replicas", List.of(endpoints)).timeSource(time)
        .parentEvents(parent);
  }

  private static EndpointStatus<String> status(EndpointGroup<String> g, String name) {
    return g.status().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  private void at(long seconds) {
    time.advance(Duration.ofNanos(Duration.ofSeconds(seconds).toNanos() - time.nanoTime()));
  }

  private List<String> served(Mode mode, EndpointGroup<String> g, int calls) {
    Policy p = Policy.builder("orders").timeSource(policyTime).asyncExecutor(Runnable::run).build();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      Outcome<String> o = GroupCalls.call(mode, policyTime, g, p, e -> e);
      out.add(o.result);
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void failedChecksAtTheThresholdTakeAnEndpointOutAndPassedOnesPutItBack(Mode mode) {
    EndpointGroup<String> g = group("a", "b").panicThresholdPercent(0)
        .healthCheck(this::answer, EXACT).build();
    well.put("b", false);
    at(0);
    at(10);
    assertThat(status(g, "b").healthy()).as("two failed checks of three").isTrue();
    at(20);
    assertThat(status(g, "b").healthy()).isFalse();
    assertThat(status(g, "b").failedChecks()).isEqualTo(3);
    assertThat(served(mode, g, 20)).containsOnly("a");

    well.put("b", true);
    at(30);
    assertThat(status(g, "b").healthy()).as("one passed check of two").isFalse();
    at(40);
    assertThat(status(g, "b").healthy()).isTrue();
    assertThat(served(mode, g, 20)).contains("a", "b");

    assertThat(checks.get("b")).containsExactly(0L, 10L, 20L, 30L, 40L);
    assertThat(checks.get("a")).containsExactly(0L, 10L, 20L, 30L, 40L);
    assertThat(events.of(EndpointHealthChanged.class))
        .extracting(EndpointHealthChanged::endpoint, EndpointHealthChanged::healthy,
            EndpointHealthChanged::checks)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("b", false, 3),
            org.assertj.core.groups.Tuple.tuple("b", true, 2));
    g.close();
  }

  @Test
  void aPassedCheckResetsTheFailureStreak() {
    EndpointGroup<String> g = group("a", "b").healthCheck(this::answer, EXACT).build();
    for (int t = 0; t <= 100; t += 10) {
      well.put("b", !(t % 30 == 10 || t % 30 == 20)); // at most two failures in a row
      at(t);
    }
    assertThat(status(g, "b").healthy()).isTrue();
    assertThat(status(g, "b").failedChecks()).isEqualTo(7);
    assertThat(events.of(EndpointHealthChanged.class)).isEmpty();
    g.close();
  }

  @Test
  void falseNullAFailedStageANullStageAndAThrownErrorAreFailedChecks() {
    Map<String, Function<String, CompletionStage<Boolean>>> kinds = Map.of(
        "false", e -> CompletableFuture.completedFuture(false),
        "null", e -> CompletableFuture.completedFuture(null),
        "failed", e -> CompletableFuture.failedFuture(new IOException("refused")),
        "nullstage", e -> null,
        "error", e -> {
          throw new AssertionError("the check's own bug");
        });
    EndpointGroup<String> g = group("false", "null", "failed", "nullstage", "error", "ok")
        .panicThresholdPercent(0)
        .healthCheck(e -> e.equals("ok") ? CompletableFuture.completedFuture(true)
            : kinds.get(e).apply(e), EXACT).build();
    at(0);
    at(10);
    at(20);
    for (String kind : kinds.keySet()) {
      assertThat(status(g, kind).healthy()).as(kind).isFalse();
    }
    assertThat(status(g, "ok").healthy()).isTrue();
    Map<String, Throwable> causes = new java.util.HashMap<>();
    events.of(EndpointHealthChanged.class).forEach(e -> causes.put(e.endpoint(), e.cause()));
    assertThat(causes.get("false")).isNull();
    assertThat(causes.get("failed")).isInstanceOf(IOException.class);
    assertThat(causes.get("nullstage")).isInstanceOf(NullPointerException.class);
    assertThat(causes.get("error")).isInstanceOf(AssertionError.class)
        .hasMessage("the check's own bug");
    // Checks go on after a throw: the next round still runs.
    at(30);
    assertThat(status(g, "error").failedChecks()).isEqualTo(4);
    g.close();
  }

  @Test
  void aCheckThatNeverAnswersTimesOutIsCancelledAndTheNextStartsAnIntervalLater() {
    List<CompletableFuture<Boolean>> stages = new ArrayList<>();
    List<Long> started = new ArrayList<>();
    EndpointGroup<String> g = group("a", "b").healthCheck(e -> {
      if (e.equals("a")) {
        return CompletableFuture.completedFuture(true);
      }
      started.add(Duration.ofNanos(time.nanoTime()).toMillis());
      CompletableFuture<Boolean> never = new CompletableFuture<>();
      stages.add(never);
      return never;
    }, EXACT).build();
    at(0);
    time.advance(Duration.ofMillis(1_999));
    assertThat(stages.get(0)).isNotDone();
    time.advance(Duration.ofMillis(1));
    assertThat(stages.get(0)).isCancelled();
    at(40);
    // 0, then 2 s timeout + 10 s interval each time.
    assertThat(started).containsExactly(0L, 12_000L, 24_000L, 36_000L);
    assertThat(status(g, "b").healthy()).isFalse();
    assertThat(events.of(EndpointHealthChanged.class)).singleElement()
        .satisfies(e -> assertThat(e.cause()).isInstanceOf(TimeoutException.class)
            .hasMessageContaining("'b'"));
    g.close();
    assertThat(stages).allSatisfy(s -> assertThat(s).isCancelled());
  }

  @Test
  void closeStopsTheChecksCancelsTheOneRunningAndIgnoresLateAnswers() {
    List<CompletableFuture<Boolean>> running = new ArrayList<>();
    HealthCheck<String> check = e -> {
      CompletableFuture<Boolean> f = new CompletableFuture<>();
      running.add(f);
      // A stage the group cannot cancel: its answer still comes, after close.
      return f.minimalCompletionStage();
    };
    EndpointGroup<String> g = group("a", "b")
        .healthCheck(check, EXACT.unhealthyThreshold(1).healthyThreshold(1)).build();
    at(0);
    running.get(1).complete(false);
    assertThat(status(g, "b").healthy()).isFalse();
    running.get(0).complete(true);
    at(10);
    assertThat(running).hasSize(4);
    assertThat(g.healthChecking()).isTrue();

    g.close();
    g.close();
    assertThat(g.healthChecking()).isFalse();
    running.get(3).complete(true); // b's answer after close: ignored
    assertThat(status(g, "b").healthy()).isFalse();
    time.advance(Duration.ofDays(1));
    assertThat(running).hasSize(4);
    assertThat(time.pendingTasks()).isZero();
    assertThat(events.of(EndpointHealthChanged.class)).hasSize(1);
  }

  @Test
  void updateKeepsTheHealthOfStayingEndpointsChecksNewOnesAndStopsCheckingLeavers() {
    EndpointGroup<String> g = group("a", "b").panicThresholdPercent(0)
        .healthCheck(this::answer, EXACT).build();
    well.put("b", false);
    at(0);
    at(10);
    at(20);
    assertThat(status(g, "b").healthy()).isFalse();

    time.advance(Duration.ofSeconds(5));
    g.update(List.of("b", "c"));
    assertThat(status(g, "b").healthy()).isFalse();
    assertThat(status(g, "b").failedChecks()).isEqualTo(3);
    time.advance(Duration.ZERO);
    assertThat(checks.get("c")).containsExactly(25L); // a newcomer is checked at once
    at(60);
    assertThat(checks.get("a")).containsExactly(0L, 10L, 20L);
    assertThat(checks.get("b")).containsExactly(0L, 10L, 20L, 30L, 40L, 50L, 60L);
    assertThat(checks.get("c")).containsExactly(25L, 35L, 45L, 55L);
    assertThat(events.of(EndpointsUpdated.class)).singleElement().satisfies(e -> {
      assertThat(e.added()).containsExactly("c");
      assertThat(e.removed()).containsExactly("a");
    });
    g.close();
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void bothVerdictsMustAgreeAndUnhealthyEndpointsDoNotFillTheEjectionShare() {
    // Four endpoints, at most one ejected (25%); the health check takes b out.
    EndpointGroup<String> g = group("a", "b", "c", "d").maxEjectionPercent(25)
        .panicThresholdPercent(0).consecutiveFailures(1)
        .healthCheck(this::answer, EXACT.unhealthyThreshold(1)).build();
    well.put("b", false);
    at(0);
    assertThat(status(g, "b").healthy()).isFalse();
    Policy p = Policy.builder("orders").timeSource(policyTime).build();
    // c fails once: ejected, though b is already out (the share counts ejections only).
    assertThatThrownBy(() -> g.call(p, e -> {
      throw new IOException("down: " + e);
    })).isInstanceOf(IOException.class);
    String ejected = events.of(EndpointEjected.class).get(0).endpoint();
    assertThat(ejected).isNotEqualTo("b");
    assertThat(status(g, ejected).ejected()).isTrue();
    // A passed check does not bring an ejected endpoint back before its time.
    at(20);
    assertThat(status(g, ejected).ejected()).isTrue();
    assertThat(served(Mode.SYNC, g, 30)).doesNotContain("b", ejected);
    g.close();
  }

  @Test
  void unhealthyEndpointsCountForPanicMode() {
    EndpointGroup<String> g = group("a", "b", "c").healthCheck(this::answer,
        EXACT.unhealthyThreshold(1)).build(); // panic below 50% in rotation
    well.put("a", false);
    well.put("b", false);
    at(0);
    assertThat(g.panic()).isTrue();
    assertThat(events.of(EndpointPanicChanged.class)).singleElement()
        .satisfies(e -> assertThat(e.inRotation()).isEqualTo(1));
    assertThat(served(Mode.SYNC, g, 60)).contains("a", "b", "c");
    g.close();
  }

  @Test
  void settingsAreCheckedAtOnceAndNamed() {
    HealthCheckSettings s = HealthCheckSettings.defaults();
    assertThatThrownBy(() -> s.interval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("HealthCheckSettings: interval must be at least 1ms, was 0s");
    assertThatThrownBy(() -> s.timeout(Duration.ofNanos(999_999)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("HealthCheckSettings: timeout must be at least 1ms, was");
    assertThatThrownBy(() -> s.jitter(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("HealthCheckSettings: jitter must not be negative, was");
    assertThatThrownBy(() -> s.unhealthyThreshold(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("HealthCheckSettings: unhealthyThreshold").hasMessageContaining("0");
    assertThatThrownBy(() -> s.healthyThreshold(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("HealthCheckSettings: healthyThreshold").hasMessageContaining("-1");
    assertThatThrownBy(() -> s.interval(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> group("a").healthCheck(null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("check");
    assertThat(s.interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.jitter()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.unhealthyThreshold()).isEqualTo(3);
    assertThat(s.healthyThreshold()).isEqualTo(2);
  }

  @Test
  void hugeDurationsSaturateAndHugeThresholdsAreFine() {
    HealthCheckSettings s = HealthCheckSettings.defaults()
        .interval(Duration.ofSeconds(Long.MAX_VALUE)).timeout(Duration.ofSeconds(Long.MAX_VALUE))
        .jitter(Duration.ofSeconds(Long.MAX_VALUE)).unhealthyThreshold(Integer.MAX_VALUE)
        .healthyThreshold(Integer.MAX_VALUE);
    assertThat(s.interval()).isEqualTo(Duration.ofDays(36_500));
    assertThat(s.jitter()).isEqualTo(Duration.ofDays(36_500));
    EndpointGroup<String> g = group("a", "b").healthCheck(this::answer,
        s.jitter(Duration.ZERO)).build();
    well.put("b", false);
    at(0);
    time.advance(Duration.ofDays(36_500));
    assertThat(checks.get("b")).hasSize(2);
    assertThat(status(g, "b").healthy()).isTrue();
    g.close();
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void withJitterTheFirstCheckAndEachIntervalVaryWithinTheJitter() {
    List<Long> at = new ArrayList<>();
    EndpointGroup<String> g = group("a").healthCheck(e -> {
      at.add(time.nanoTime());
      return CompletableFuture.completedFuture(true);
    }, HealthCheckSettings.defaults().jitter(Duration.ofSeconds(3))).build();
    time.advance(Duration.ofSeconds(3));
    assertThat(at).hasSize(1);
    time.advance(Duration.ofSeconds(300));
    assertThat(at).hasSizeBetween(300 / 13, 300 / 10 + 1);
    for (int i = 1; i < at.size(); i++) {
      assertThat(at.get(i) - at.get(i - 1))
          .isBetween(Duration.ofSeconds(10).toNanos(), Duration.ofSeconds(13).toNanos());
    }
    g.close();
  }

  @Test
  void aListenerThatThrowsAnErrorChangesNeitherTheVerdictNorTheNextChecks() {
    EndpointGroup<String> g = group("a", "b").healthCheck(this::answer,
        EXACT.unhealthyThreshold(1)).build();
    g.events().subscribe(e -> {
      throw new StackOverflowError("the listener's own bug");
    });
    well.put("b", false);
    at(0);
    assertThat(status(g, "b").healthy()).isFalse();
    assertThat(events.of(EndpointHealthChanged.class)).hasSize(1);
    at(20);
    assertThat(checks.get("b")).containsExactly(0L, 10L, 20L);
    g.close();
  }

  @Test
  void aGroupWithoutHealthCheckReportsEveryEndpointHealthyAndCloseDoesNothing() {
    EndpointGroup<String> g = group("a", "b").build();
    assertThat(g.healthChecking()).isFalse();
    assertThat(g.status()).allSatisfy(s -> {
      assertThat(s.healthy()).isTrue();
      assertThat(s.failedChecks()).isZero();
    });
    g.close();
    assertThat(time.pendingTasks()).isZero();
    assertThat(g.toString()).contains("health check off");
  }
}
