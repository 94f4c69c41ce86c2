package dev.riprap.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.riprap.DrainReport;
import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.ShutdownGate;
import dev.riprap.lifecycle.GracefulShutdown.Phase;
import dev.riprap.lifecycle.ShutdownReport.Status;
import dev.riprap.lifecycle.ShutdownReport.StepResult;
import dev.riprap.testing.FakeTimeSource;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class GracefulShutdownTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final List<String> log = new CopyOnWriteArrayList<>();

  private Drainable drain(String name, Duration takes, int inFlight, int left) {
    return budget -> {
      log.add(name + " budget " + budget);
      time.sleep(takes);
      return new DrainReport(inFlight, inFlight - left, 0, left, takes);
    };
  }

  private GracefulShutdown.Builder everyPhase() {
    return GracefulShutdown.builder()
        .timeSource(time)
        .deadline(Duration.ofSeconds(25))
        .propagationDelay(Duration.ofSeconds(5))
        // added out of order on purpose: phases run in their fixed order
        .close("pool", () -> log.add("close pool"))
        .drainOutbound("client", drain("outbound", Duration.ofSeconds(1), 2, 0))
        .drainInbound("server", drain("inbound", Duration.ofSeconds(3), 5, 0))
        .stopAccepting("server", () -> log.add("stop accepting at " + time.nanoTime()))
        .readiness(() -> log.add("not ready at " + time.nanoTime()))
        .close("db", () -> log.add("close db"));
  }

  @Test
  void phasesRunInOrderEachGivenWhatIsLeftOfTheDeadline() throws Exception {
    ShutdownReport report = everyPhase().build().shutdown();

    assertThat(log)
        .containsExactly(
            "not ready at 0",
            "stop accepting at 5000000000", // after the 5 s propagation delay
            "inbound budget PT20S",
            "outbound budget PT17S",
            "close pool",
            "close db");
    assertThat(report.steps())
        .extracting(StepResult::phase, StepResult::name, StepResult::status, StepResult::took)
        .containsExactly(
            tuple(Phase.READINESS, "readiness", Status.COMPLETED, Duration.ZERO),
            tuple(
                Phase.PROPAGATION, "propagation delay", Status.COMPLETED, Duration.ofSeconds(5)),
            tuple(Phase.STOP_ACCEPTING, "server", Status.COMPLETED, Duration.ZERO),
            tuple(
                Phase.DRAIN_INBOUND, "server", Status.COMPLETED, Duration.ofSeconds(3)),
            tuple(
                Phase.DRAIN_OUTBOUND, "client", Status.COMPLETED, Duration.ofSeconds(1)),
            tuple(Phase.CLOSE, "pool", Status.COMPLETED, Duration.ZERO),
            tuple(Phase.CLOSE, "db", Status.COMPLETED, Duration.ZERO));
    assertThat(report.steps(Phase.DRAIN_INBOUND).get(0).drain().completed()).isEqualTo(5);
    assertThat(report.took()).isEqualTo(Duration.ofSeconds(9));
    assertThat(report.isClean()).isTrue();
  }

  @Test
  void aStepThatOverrunsTheDeadlineIsReportedAndTheStepsAfterItAreSkipped() throws Exception {
    ShutdownReport report =
        GracefulShutdown.builder()
            .timeSource(time)
            .deadline(Duration.ofSeconds(10))
            .propagationDelay(Duration.ofSeconds(2))
            .drainInbound("server", drain("inbound", Duration.ofSeconds(12), 1, 0))
            .drainOutbound("client", drain("outbound", Duration.ZERO, 0, 0))
            .close("db", () -> log.add("close db"))
            .build()
            .shutdown();

    assertThat(report.steps())
        .extracting(StepResult::name, StepResult::status)
        .containsExactly(
            tuple("propagation delay", Status.COMPLETED),
            tuple("server", Status.OVERRUN),
            tuple("client", Status.SKIPPED),
            tuple("db", Status.SKIPPED));
    assertThat(log).containsExactly("inbound budget PT8S");
    assertThat(report.isClean()).isFalse();
  }

  @Test
  void aDrainThatLeavesWorkRunningIsIncompleteAndAFailingStepDoesNotStopTheOthers()
      throws Exception {
    ShutdownReport report =
        GracefulShutdown.builder()
            .timeSource(time)
            .propagationDelay(Duration.ZERO)
            .drainInbound("server", drain("inbound", Duration.ofSeconds(1), 3, 1))
            .close("broken", () -> {
              throw new IOException("disk gone");
            })
            .close("db", () -> log.add("close db"))
            .build()
            .shutdown();

    assertThat(report.steps())
        .extracting(StepResult::name, StepResult::status)
        .containsExactly(
            tuple("server", Status.INCOMPLETE),
            tuple("broken", Status.FAILED),
            tuple("db", Status.COMPLETED));
    assertThat(report.steps().get(1).error()).hasMessage("disk gone");
    assertThat(ShutdownSequence.describe(report.steps().get(0)))
        .isEqualTo(
            "shutdown DRAIN_INBOUND 'server' incomplete in 1000 ms: 3 in flight, 2 completed, 1 still running");
  }

  @Test
  void shutdownRunsOnceAndLaterCallersGetTheSameReport() throws Exception {
    AtomicInteger closes = new AtomicInteger();
    AtomicReference<ShutdownReport> told = new AtomicReference<>();
    GracefulShutdown shutdown =
        GracefulShutdown.builder()
            .timeSource(time)
            .close("db", closes::incrementAndGet)
            .onFinished(told::set)
            .build();
    assertThat(shutdown.isShuttingDown()).isFalse();

    ShutdownReport first = shutdown.shutdown();
    ShutdownReport second = shutdown.shutdown();

    assertThat(closes).hasValue(1);
    assertThat(second).isSameAs(first);
    assertThat(told.get()).isSameAs(first);
    assertThat(shutdown.isShuttingDown()).isTrue();
  }

  @Test
  void stepsRunOnADaemonThread() throws Exception {
    AtomicReference<Thread> thread = new AtomicReference<>();
    GracefulShutdown.builder()
        .timeSource(time)
        .close("probe", () -> thread.set(Thread.currentThread()))
        .build()
        .shutdown();
    assertThat(thread.get().isDaemon()).isTrue();
    assertThat(thread.get().getName()).isEqualTo("riprap-graceful-shutdown");
  }

  @Test
  void aHungStepIsInterruptedAndAbandonedAtTheHardBoundInsteadOfHangingTheJvm() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    ShutdownReport report =
        GracefulShutdown.builder()
            // The deadline on the fake clock, which nothing moves: the hung step always starts in
            // time however late its thread is scheduled (on a loaded machine a real 50 ms passed
            // before it started, and it was SKIPPED). The hard bound is real time: 50 ms + 1 s.
            .timeSource(time)
            .deadline(Duration.ofMillis(50))
            .propagationDelay(Duration.ZERO)
            .close(
                "hangs",
                () -> {
                  try {
                    never.await();
                  } catch (InterruptedException e) {
                    interrupted.set(true);
                    Thread.currentThread().interrupt();
                  }
                })
            .close("after", () -> log.add("after"))
            .build()
            .shutdown();

    assertThat(report.steps())
        .extracting(StepResult::name, StepResult::status)
        .containsExactly(
            tuple("hangs", Status.ABANDONED),
            tuple("after", Status.SKIPPED));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilTrue(interrupted);
    assertThat(log).isEmpty();
  }

  /** An Error of the user's own, as a library or a test framework might throw. */
  private static final class CustomError extends Error {
    CustomError(String message) {
      super(message);
    }
  }

  @Test
  void aStepThatThrowsAnErrorFailsAtOnceWithTheErrorAndTheStepsAfterItStillRun()
      throws Exception {
    AssertionError assertion = new AssertionError("invariant broken");
    StackOverflowError overflow = new StackOverflowError("recursion");
    CustomError custom = new CustomError("library gave up");
    ShutdownReport report =
        GracefulShutdown.builder()
            .timeSource(time)
            .deadline(Duration.ofSeconds(1))
            .propagationDelay(Duration.ZERO)
            .close("asserts", () -> {
              throw assertion;
            })
            .close("recurses", () -> {
              throw overflow;
            })
            .close("library", () -> {
              throw custom;
            })
            .close("db", () -> log.add("close db"))
            .build()
            .shutdown();

    assertThat(report.steps())
        .extracting(StepResult::name, StepResult::status, StepResult::error, StepResult::took)
        .containsExactly(
            tuple("asserts", Status.FAILED, assertion, Duration.ZERO),
            tuple("recurses", Status.FAILED, overflow, Duration.ZERO),
            tuple("library", Status.FAILED, custom, Duration.ZERO),
            tuple("db", Status.COMPLETED, null, Duration.ZERO));
    assertThat(log).containsExactly("close db");
    assertThat(report.took()).isEqualTo(Duration.ZERO);
    assertThat(ShutdownSequence.describe(report.steps().get(0)))
        .isEqualTo(
            "shutdown CLOSE 'asserts' failed in 0 ms: java.lang.AssertionError: invariant broken");
  }

  @Test
  void anOnFinishedListenerThatThrowsAnErrorIsLoggedAndEveryConcurrentCallerGetsTheOneReport()
      throws Exception {
    AssertionError listenerError = new AssertionError("listener broken");
    AtomicReference<ShutdownReport> told = new AtomicReference<>();
    GracefulShutdown shutdown =
        GracefulShutdown.builder()
            .timeSource(time)
            .deadline(Duration.ofSeconds(1))
            .propagationDelay(Duration.ZERO)
            .close("db", () -> log.add("close db"))
            .onFinished(r -> {
              told.set(r);
              throw listenerError;
            })
            .onFinished(r -> log.add("second listener told"))
            .build();
    CyclicBarrier start = new CyclicBarrier(2);
    ExecutorService callers = Executors.newFixedThreadPool(2);
    try (CapturedLog captured = CapturedLog.of(GracefulShutdown.class)) {
      List<Future<ShutdownReport>> reports = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        reports.add(
            callers.submit(
                () -> {
                  start.await();
                  return shutdown.shutdown();
                }));
      }

      ShutdownReport first = reports.get(0).get();
      ShutdownReport second = reports.get(1).get();

      assertThat(second).isSameAs(first);
      assertThat(told.get()).isSameAs(first);
      assertThat(first.steps())
          .extracting(StepResult::name, StepResult::status)
          .containsExactly(tuple("db", Status.COMPLETED));
      assertThat(log).containsExactly("close db", "second listener told");
      assertThat(captured.thrown()).containsExactly(listenerError);
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void anOnFinishedListenerThatHangsIsInterruptedAtTheHardBoundAndTheCallerGetsTheReport()
      throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    AtomicInteger told = new AtomicInteger();
    AtomicBoolean interrupted = new AtomicBoolean();
    ShutdownReport report;
    try (CapturedLog captured = CapturedLog.of(GracefulShutdown.class)) {
      report =
          GracefulShutdown.builder()
              .timeSource(time)
              .deadline(Duration.ofMillis(50))
              .propagationDelay(Duration.ZERO)
              .close("db", () -> log.add("close db"))
              .onFinished(
                  r -> {
                    told.incrementAndGet();
                    try {
                      never.await();
                    } catch (InterruptedException e) {
                      interrupted.set(true);
                    }
                  })
              .build()
              .shutdown();

      assertThat(captured.messages())
          .contains("a shutdown listener was still running at the hard bound");
    }

    assertThat(report.isClean()).isTrue();
    assertThat(log).containsExactly("close db");
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilTrue(interrupted);
    assertThat(told).as("told once, on the coordinator's thread").hasValue(1);
  }

  @Test
  void aDeadlineOfLongMaxValueMillisIsNoBoundAndEveryStepGetsAllTheTimeThereIs()
      throws Exception {
    for (Duration forever :
        List.of(Duration.ofMillis(Long.MAX_VALUE), Duration.ofSeconds(Long.MAX_VALUE))) {
      log.clear();
      ShutdownReport report =
          GracefulShutdown.builder()
              .timeSource(time)
              .deadline(forever)
              .propagationDelay(Duration.ofDays(365))
              .drainOutbound("client", drain("outbound", Duration.ofHours(1), 1, 0))
              .build()
              .shutdown();

      assertThat(report.steps())
          .extracting(StepResult::name, StepResult::status)
          .containsExactly(
              tuple("propagation delay", Status.COMPLETED), tuple("client", Status.COMPLETED));
      assertThat(report.steps().get(0).took()).isEqualTo(Duration.ofDays(365));
      assertThat(log).containsExactly("outbound budget " + Duration.ofNanos(Long.MAX_VALUE));
      assertThat(report.deadline()).isEqualTo(forever);
    }
  }

  @Test
  void drainsRealGatesAndSupervisors() throws Exception {
    ShutdownGate gate = new ShutdownGate(time);
    Policy policy = Policy.builder("inventory").shutdownGate(gate).timeSource(time).build();
    Supervisor workers = Supervisor.builder("bg").timeSource(time).build();
    CountDownLatch running = new CountDownLatch(1);
    workers.start(
        "poller",
        () -> {
          running.countDown();
          new CountDownLatch(1).await();
        });
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

    ShutdownReport report =
        GracefulShutdown.builder()
            .timeSource(time)
            .propagationDelay(Duration.ZERO)
            .stopWorkers(workers)
            .drainOutbound("inventory", gate::drain)
            .build()
            .shutdown();

    assertThat(report.isClean()).isTrue();
    assertThat(report.steps(Phase.STOP_WORKERS).get(0).drain().completed()).isEqualTo(1);
    assertThatThrownBy(() -> policy.call(() -> "late"))
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.SHUTTING_DOWN));
    CompletableFuture<String> async = policy.callAsync(() -> CompletableFuture.completedFuture("late"));
    assertThat(async).isCompletedExceptionally();
  }

  @Test
  void theShutdownHookCanBeInstalledOnceAndRemoved() {
    GracefulShutdown shutdown = GracefulShutdown.builder().build();
    shutdown.installShutdownHook();
    assertThatThrownBy(shutdown::installShutdownHook)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the shutdown hook is already installed");
    assertThat(shutdown.removeShutdownHook()).isTrue();
    assertThat(shutdown.removeShutdownHook()).isFalse();
  }

  @Test
  void badSettingsAreRejectedWithTheValuesInTheMessage() {
    assertThatThrownBy(() -> GracefulShutdown.builder().deadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("deadline must be positive, was PT0S");
    assertThatThrownBy(() -> GracefulShutdown.builder().propagationDelay(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("propagation delay must not be negative, was PT-1S");
    assertThatThrownBy(
            () ->
                GracefulShutdown.builder()
                    .deadline(Duration.ofSeconds(10))
                    .propagationDelay(Duration.ofSeconds(10))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("propagation delay PT10S must be shorter than the deadline PT10S");
    assertThatThrownBy(() -> GracefulShutdown.builder().close(" ", () -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("step name must not be blank");
  }
}
