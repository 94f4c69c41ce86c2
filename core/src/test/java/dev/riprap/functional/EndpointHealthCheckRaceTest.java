package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.EndpointStatus;
import dev.riprap.endpoint.HealthCheckSettings;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Race;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Health checks answered on other threads while time moves, the set is replaced, calls run and
 * the group is closed, all at once: nothing is left scheduled after close, every outstanding count
 * comes back, and at most one check per endpoint (one already starting) goes out after close.
 */
class EndpointHealthCheckRaceTest {
  private static final List<String> FIRST = List.of("a", "b", "c", "d");
  private static final List<String> SECOND = List.of("b", "c", "e");

  @Test
  void closingWhileChecksAnswerAndTheSetChangesLeavesNothingBehind() throws Exception {
    ExecutorService answers = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "answers");
      t.setDaemon(true);
      return t;
    });
    try (Race race = new Race(4)) {
      for (int round = 0; round < 20; round++) {
        FakeTimeSource time = new FakeTimeSource();
        AtomicBoolean closed = new AtomicBoolean();
        AtomicInteger afterClose = new AtomicInteger();
        EndpointGroup<String> g = EndpointGroup.builder("replicas", FIRST).timeSource(time)
            .outlierDetection(false)
            .healthCheck(e -> {
              if (closed.get()) {
                afterClose.incrementAndGet();
              }
              return CompletableFuture.supplyAsync(
                  () -> ThreadLocalRandom.current().nextBoolean(), answers);
            }, HealthCheckSettings.defaults().interval(Duration.ofMillis(1))
                .timeout(Duration.ofMillis(3)).jitter(Duration.ZERO).unhealthyThreshold(1)
                .healthyThreshold(1))
            .build();
        Policy policy = Policy.builder("orders").timeSource(time).build();
        race.round(
            () -> {
              for (int i = 0; i < 300; i++) {
                time.advance(Duration.ofMillis(1));
              }
            },
            () -> {
              for (int i = 0; i < 100; i++) {
                g.update(i % 2 == 0 ? SECOND : FIRST);
              }
            },
            () -> {
              for (int i = 0; i < 300; i++) {
                g.call(policy, e -> e);
              }
            },
            () -> {
              for (int i = 0; i < 150; i++) {
                time.advance(Duration.ofMillis(1));
              }
              g.close();
              closed.set(true);
            });
        time.advance(Duration.ofSeconds(1)); // any timeout still scheduled runs now
        assertThat(time.pendingTasks()).as("round %s", round).isZero();
        assertThat(g.status()).extracting(EndpointStatus::outstanding).containsOnly(0);
        assertThat(afterClose.get()).as("round %s", round).isLessThanOrEqualTo(5);
        assertThat(g.healthChecking()).isFalse();
      }
    } finally {
      answers.shutdownNow();
      assertThat(answers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }
}
