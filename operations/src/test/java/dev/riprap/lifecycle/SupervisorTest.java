package dev.riprap.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.DrainReport;
import dev.riprap.lifecycle.Supervisor.WorkerState;
import dev.riprap.lifecycle.SupervisorEvent.Kind;
import dev.riprap.testing.FakeTimeSource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SupervisorTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final List<SupervisorEvent> events = new CopyOnWriteArrayList<>();

  /** Runs workers inline on the thread that starts them, so fake time drives every restart. */
  private static Supervisor.Builder inlineOn(
      FakeTimeSource clock, int maxRestarts, Duration window) {
    return Supervisor.builder("bg")
        .backoff(Duration.ofMillis(100), Duration.ofMillis(500))
        .restartIntensity(maxRestarts, window)
        .timeSource(clock)
        .executor(Runnable::run);
  }

  private Supervisor inline(int maxRestarts, Duration window) {
    Supervisor s = inlineOn(time, maxRestarts, window).build();
    s.subscribe(events::add);
    return s;
  }

  private List<Kind> kinds() {
    return events.stream().map(SupervisorEvent::kind).toList();
  }

  private List<Duration> delays() {
    return events.stream().filter(e -> e.kind() == Kind.CRASHED).map(SupervisorEvent::delay).toList();
  }

  @Test
  void crashedWorkerIsRestartedAfterAnExponentialBackoffCappedAtTheMaximum() {
    AtomicInteger runs = new AtomicInteger();
    Supervisor s = inline(100, Duration.ofMinutes(10));
    s.start(
        "poller",
        () -> {
          runs.incrementAndGet();
          throw new IllegalStateException("boom");
        });
    assertThat(runs).hasValue(1);
    assertThat(s.workers().get(0).state()).isEqualTo(WorkerState.BACKING_OFF);

    time.advance(Duration.ofMillis(99));
    assertThat(runs).as("not restarted before the backoff").hasValue(1);
    time.advance(Duration.ofMillis(1));
    assertThat(runs).hasValue(2);

    time.advance(Duration.ofSeconds(5));
    // 100, 200, 400, then capped at 500 ms: restarts at 0.1, 0.3, 0.7, 1.2, 1.7, ... 5.1 s
    assertThat(delays())
        .startsWith(
            Duration.ofMillis(100),
            Duration.ofMillis(200),
            Duration.ofMillis(400),
            Duration.ofMillis(500),
            Duration.ofMillis(500));
    // every run crashed and scheduled one restart; the last one is still pending
    assertThat(delays()).hasSize(runs.get());
    assertThat(s.workers().get(0).restarts()).isEqualTo(runs.get());
    assertThat(time.pendingTasks()).isEqualTo(1);
    assertThat(events.get(1).cause()).hasMessage("boom");
  }

  @Test
  void supervisorGivesUpWhenRestartsExceedTheIntensityWithinTheWindow() {
    AtomicInteger runs = new AtomicInteger();
    Supervisor s = inline(2, Duration.ofMinutes(1));
    s.start(
        "poller",
        () -> {
          runs.incrementAndGet();
          throw new IllegalStateException("crash " + runs.get());
        });
    time.advance(Duration.ofSeconds(10));

    assertThat(runs).as("first run and two restarts").hasValue(3);
    assertThat(kinds())
        .containsExactly(
            Kind.STARTED, Kind.CRASHED, Kind.STARTED, Kind.CRASHED, Kind.STARTED, Kind.GAVE_UP);
    assertThat(events.get(5).cause()).hasMessage("crash 3");
    assertThat(s.hasGivenUp()).isTrue();
    Supervisor.WorkerInfo info = s.workers().get(0);
    assertThat(info.state()).isEqualTo(WorkerState.GAVE_UP);
    assertThat(info.restarts()).isEqualTo(2);
    assertThat(info.lastFailure()).hasMessage("crash 3");
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void restartsOlderThanTheWindowNoLongerCountAndTheBackoffStartsOver() {
    AtomicInteger runs = new AtomicInteger();
    Supervisor s = inline(1, Duration.ofSeconds(10));
    s.start(
        "poller",
        () -> {
          if (runs.incrementAndGet() == 2) {
            time.sleep(Duration.ofSeconds(20)); // works fine for a while, then crashes again
          }
          throw new IllegalStateException("crash");
        });
    time.advance(Duration.ofMillis(100)); // restart 1, which runs 20 s and crashes
    assertThat(runs).hasValue(2);
    assertThat(s.hasGivenUp()).as("the restart 20 s ago is outside the 10 s window").isFalse();
    assertThat(delays()).containsExactly(Duration.ofMillis(100), Duration.ofMillis(100));

    time.advance(Duration.ofMillis(100)); // restart 2 crashes at once: 1 restart within 10 s
    assertThat(runs).hasValue(3);
    assertThat(s.hasGivenUp()).isTrue();
  }

  @Test
  void zeroRestartsMeansTheFirstCrashGivesUp() {
    Supervisor s = inline(0, Duration.ofSeconds(1));
    s.start("once", () -> {
      throw new IllegalStateException("boom");
    });
    assertThat(kinds()).containsExactly(Kind.STARTED, Kind.GAVE_UP);
  }

  @Test
  void workerThatReturnsIsCompletedAndNotRestarted() {
    AtomicInteger runs = new AtomicInteger();
    Supervisor s = inline(5, Duration.ofMinutes(1));
    s.start("migration", runs::incrementAndGet);
    time.advance(Duration.ofMinutes(1));
    assertThat(runs).hasValue(1);
    assertThat(kinds()).containsExactly(Kind.STARTED, Kind.COMPLETED);
    assertThat(s.workers().get(0).state()).isEqualTo(WorkerState.COMPLETED);
  }

  @Test
  void stopCancelsAPendingRestart() throws Exception {
    Supervisor s = inline(5, Duration.ofMinutes(1));
    AtomicInteger runs = new AtomicInteger();
    s.start(
        "poller",
        () -> {
          runs.incrementAndGet();
          throw new IllegalStateException("boom");
        });
    DrainReport report = s.stop(Duration.ZERO);

    assertThat(report.inFlightAtStart()).isZero();
    assertThat(time.pendingTasks()).isZero();
    time.advance(Duration.ofMinutes(1));
    assertThat(runs).hasValue(1);
    assertThat(s.workers().get(0).state()).isEqualTo(WorkerState.STOPPED);
    assertThat(kinds()).containsExactly(Kind.STARTED, Kind.CRASHED, Kind.STOPPED);
    assertThatThrownBy(() -> s.start("late", () -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("supervisor 'bg' is stopped; cannot start worker 'late'");
  }

  @Test
  void stopInterruptsRunningWorkersOnDaemonThreadsAndJoinsThem() throws Exception {
    Supervisor s = Supervisor.builder("bg").build();
    s.subscribe(events::add);
    CountDownLatch running = new CountDownLatch(2);
    AtomicReference<Thread> thread = new AtomicReference<>();
    for (String name : List.of("a", "b")) {
      s.start(
          name,
          () -> {
            thread.set(Thread.currentThread());
            running.countDown();
            new CountDownLatch(1).await(); // blocks until interrupted
          });
    }
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(thread.get().isDaemon()).isTrue();
    assertThat(thread.get().getName()).startsWith("riprap-bg-");

    DrainReport report = s.stop(Duration.ofSeconds(10));

    assertThat(report.inFlightAtStart()).isEqualTo(2);
    assertThat(report.completed()).isEqualTo(2);
    assertThat(report.stillRunning()).isZero();
    assertThat(s.workers()).extracting(Supervisor.WorkerInfo::state)
        .containsOnly(WorkerState.STOPPED);
    assertThat(s.hasGivenUp()).isFalse();
    thread.get().join(10_000);
    assertThat(thread.get().isAlive()).isFalse();
  }

  @Test
  void stopReportsAWorkerThatIgnoresInterruptsAsStillRunning() throws Exception {
    Supervisor s = Supervisor.builder("bg").build();
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger interrupts = new AtomicInteger();
    s.start(
        "stubborn",
        () -> {
          running.countDown();
          while (true) {
            try {
              if (release.await(10, TimeUnit.SECONDS)) {
                return;
              }
            } catch (InterruptedException e) {
              interrupts.incrementAndGet(); // swallowed on purpose
            }
          }
        });
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

    DrainReport report = s.stop(Duration.ofMillis(20));

    assertThat(report.inFlightAtStart()).isEqualTo(1);
    assertThat(report.stillRunning()).isEqualTo(1);
    assertThat(interrupts).hasValue(1);
    release.countDown();
    DrainReport again = s.stop(Duration.ofSeconds(10));
    assertThat(again.stillRunning()).isZero();
    assertThat(s.workers().get(0).state()).isEqualTo(WorkerState.STOPPED);
  }

  @Test
  void workersOnAGivenExecutorAreRestartedThereAndStoppedByInterrupt() throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      Supervisor s =
          Supervisor.builder("bg")
              .executor(pool)
              .backoff(Duration.ofMillis(1), Duration.ofMillis(1))
              .build();
      s.subscribe(events::add);
      AtomicInteger runs = new AtomicInteger();
      CountDownLatch secondRun = new CountDownLatch(1);
      s.start(
          "poller",
          () -> {
            if (runs.incrementAndGet() == 1) {
              throw new IllegalStateException("first run crashes");
            }
            secondRun.countDown();
            new CountDownLatch(1).await();
          });
      assertThat(secondRun.await(10, TimeUnit.SECONDS)).as("restarted on the pool").isTrue();

      DrainReport report = s.stop(Duration.ofSeconds(10));

      assertThat(report.completed()).isEqualTo(1);
      assertThat(report.stillRunning()).isZero();
      assertThat(kinds())
          .containsExactly(Kind.STARTED, Kind.CRASHED, Kind.STARTED, Kind.STOPPED);
      assertThat(s.workers().get(0).restarts()).isEqualTo(1);
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void anExecutorThatRejectsTheWorkerMakesTheSupervisorGiveUp() {
    Supervisor s =
        Supervisor.builder("bg")
            .executor(
                r -> {
                  throw new RejectedExecutionException("pool is shut down");
                })
            .build();
    s.subscribe(events::add);
    s.start("poller", () -> {});
    assertThat(s.hasGivenUp()).isTrue();
    assertThat(kinds()).containsExactly(Kind.GAVE_UP);
    assertThat(events.get(0).cause()).hasMessage("pool is shut down");
  }

  @Test
  void aListenerThatThrowsDoesNotStopSupervision() {
    Supervisor s = inline(5, Duration.ofMinutes(1));
    s.subscribe(e -> {
      throw new IllegalStateException("bad listener");
    });
    AtomicInteger runs = new AtomicInteger();
    s.start("w", runs::incrementAndGet);
    assertThat(runs).hasValue(1);
    assertThat(kinds()).containsExactly(Kind.STARTED, Kind.COMPLETED);
  }

  @Test
  void aListenerThatThrowsAnErrorOnEveryEventChangesNothingAndIsLogged() throws Exception {
    AssertionError listenerError = new AssertionError("listener broken");
    Supervisor s = inlineOn(time, 1, Duration.ofMinutes(1)).build();
    s.subscribe(e -> {
      throw listenerError;
    });
    s.subscribe(events::add); // a listener after the broken one is still told every event
    AtomicInteger runs = new AtomicInteger();
    try (CapturedLog captured = CapturedLog.of(Supervisor.class)) {
      s.start(
          "crashes",
          () -> {
            runs.incrementAndGet();
            throw new IllegalStateException("boom");
          });
      assertThat(s.workers().get(0).state()).isEqualTo(WorkerState.BACKING_OFF);
      assertThat(time.pendingTasks()).as("the restart is scheduled").isEqualTo(1);
      time.advance(Duration.ofMillis(100));
      s.start("completes", () -> {});
      s.start("backs off", () -> {
        throw new IllegalStateException("boom");
      });
      s.stop(Duration.ZERO);

      assertThat(runs).as("restarted on time despite the listener").hasValue(2);
      assertThat(s.workers())
          .extracting(Supervisor.WorkerInfo::name, Supervisor.WorkerInfo::state)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("crashes", WorkerState.GAVE_UP),
              org.assertj.core.groups.Tuple.tuple("completes", WorkerState.COMPLETED),
              org.assertj.core.groups.Tuple.tuple("backs off", WorkerState.STOPPED));
      assertThat(kinds())
          .containsExactly(
              Kind.STARTED, Kind.CRASHED, Kind.STARTED, Kind.GAVE_UP, // crashes
              Kind.STARTED, Kind.COMPLETED, // completes
              Kind.STARTED, Kind.CRASHED, Kind.STOPPED); // backs off
      assertThat(captured.thrown()).filteredOn(t -> t == listenerError).hasSize(kinds().size());
      assertThat(time.pendingTasks()).isZero();
    }
  }

  @Test
  void anExecutorThatRefusesARestartWithAnyExceptionMakesTheSupervisorGiveUp() {
    AtomicInteger executions = new AtomicInteger();
    Supervisor s =
        Supervisor.builder("bg")
            .timeSource(time)
            .executor(
                r -> {
                  if (executions.incrementAndGet() > 1) {
                    throw new IllegalStateException("executor closed");
                  }
                  r.run();
                })
            .build();
    s.subscribe(events::add);
    s.start("poller", () -> {
      throw new IllegalStateException("boom");
    });

    time.advance(Duration.ofMillis(100)); // the restart is refused on the timer's thread

    Supervisor.WorkerInfo info = s.workers().get(0);
    assertThat(info.state()).isEqualTo(WorkerState.GAVE_UP);
    assertThat(info.lastFailure()).hasMessage("executor closed");
    assertThat(s.hasGivenUp()).isTrue();
    assertThat(kinds()).containsExactly(Kind.STARTED, Kind.CRASHED, Kind.GAVE_UP);
    assertThat(events.get(2).cause()).hasMessage("executor closed");
  }

  @Test
  void aRestartRefusedBecauseTheServiceIsShuttingDownEndsStoppedNotGivenUp() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    pool.shutdown(); // already gone by the time the restart is due
    AtomicInteger executions = new AtomicInteger();
    AtomicReference<Supervisor> supervisor = new AtomicReference<>();
    Supervisor s =
        Supervisor.builder("bg")
            .timeSource(time)
            .executor(
                r -> {
                  if (executions.incrementAndGet() == 1) {
                    r.run();
                    return;
                  }
                  try {
                    supervisor.get().stop(Duration.ZERO); // the shutdown reaches the supervisor
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                  pool.execute(r); // RejectedExecutionException
                })
            .build();
    supervisor.set(s);
    s.subscribe(events::add);
    s.start("poller", () -> {
      throw new IllegalStateException("boom");
    });

    time.advance(Duration.ofMillis(100));

    assertThat(s.workers().get(0).state()).isEqualTo(WorkerState.STOPPED);
    assertThat(s.hasGivenUp()).isFalse();
    assertThat(kinds()).containsExactly(Kind.STARTED, Kind.CRASHED, Kind.STOPPED);
  }

  @Test
  void aWorkerTheExecutorAcceptedButNeverRanIsStoppedWithoutWaitingForIt() throws Exception {
    List<Runnable> queued = new CopyOnWriteArrayList<>();
    Supervisor s = Supervisor.builder("bg").timeSource(time).executor(queued::add).build();
    s.subscribe(events::add);
    AtomicInteger runs = new AtomicInteger();
    s.start("queued", runs::incrementAndGet);
    assertThat(s.workers().get(0).state()).isEqualTo(WorkerState.STARTING);

    DrainReport report = s.stop(Duration.ofMillis(Long.MAX_VALUE));

    assertThat(report.inFlightAtStart()).isZero();
    assertThat(s.workers().get(0).state()).isEqualTo(WorkerState.STOPPED);
    assertThat(kinds()).containsExactly(Kind.STOPPED);
    queued.get(0).run(); // the executor runs it late: the worker itself never runs
    assertThat(runs).hasValue(0);
    assertThat(kinds()).containsExactly(Kind.STOPPED);
  }

  @Test
  void aTimeSourceThatCannotScheduleTheRestartMakesTheSupervisorGiveUp() {
    dev.riprap.TimeSource refusing =
        new dev.riprap.TimeSource() {
          @Override
          public long nanoTime() {
            return time.nanoTime();
          }

          @Override
          public java.time.Instant instant() {
            return time.instant();
          }

          @Override
          public java.time.Clock clock() {
            return time.clock();
          }

          @Override
          public dev.riprap.Cancellable schedule(Runnable task, long delayNanos) {
            throw new IllegalStateException("timer gone");
          }

          @Override
          public boolean await(CountDownLatch latch, long nanos) throws InterruptedException {
            return time.await(latch, nanos);
          }
        };
    Supervisor s = Supervisor.builder("bg").timeSource(refusing).executor(Runnable::run).build();
    s.subscribe(events::add);

    s.start("poller", () -> {
      throw new IllegalStateException("boom");
    });

    assertThat(s.workers().get(0).state()).isEqualTo(WorkerState.GAVE_UP);
    assertThat(s.workers().get(0).lastFailure()).hasMessage("timer gone");
    assertThat(kinds()).containsExactly(Kind.STARTED, Kind.CRASHED, Kind.GAVE_UP);
  }

  @Test
  void stopWithLongMaxValueMillisWaitsWithoutBoundForTheWorkersToReturn() throws Exception {
    Supervisor s = Supervisor.builder("bg").build();
    CountDownLatch running = new CountDownLatch(1);
    s.start(
        "poller",
        () -> {
          running.countDown();
          new CountDownLatch(1).await(); // returns when interrupted
        });
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

    DrainReport report = s.stop(Duration.ofMillis(Long.MAX_VALUE));

    assertThat(report.inFlightAtStart()).isEqualTo(1);
    assertThat(report.completed()).isEqualTo(1);
    assertThat(report.stillRunning()).isZero();
    assertThat(s.stop(Duration.ofSeconds(Long.MAX_VALUE)).inFlightAtStart()).isZero();
  }

  @Test
  void backoffsAndWindowsOfLongMaxValueMillisSaturateInsteadOfOverflowing() {
    Duration forever = Duration.ofMillis(Long.MAX_VALUE);
    Supervisor s =
        Supervisor.builder("bg")
            .backoff(forever, forever)
            .restartIntensity(1, forever)
            .timeSource(time)
            .executor(Runnable::run)
            .build();
    s.subscribe(events::add);

    s.start("poller", () -> {
      throw new IllegalStateException("boom");
    });

    assertThat(delays()).containsExactly(Duration.ofNanos(Long.MAX_VALUE));
    assertThat(s.workers().get(0).state()).isEqualTo(WorkerState.BACKING_OFF);
    assertThat(time.pendingTasks()).isEqualTo(1);
  }

  @Test
  void aStopRacingTheRestartTimerEndsStoppedWithOneStoppedEventAndNoTimerLeft() throws Exception {
    ExecutorService racers = Executors.newFixedThreadPool(2);
    try (CapturedLog quiet = CapturedLog.of(Supervisor.class)) {
      for (int round = 0; round < 300; round++) {
        FakeTimeSource clock = new FakeTimeSource();
        List<SupervisorEvent> seen = new CopyOnWriteArrayList<>();
        Supervisor s = inlineOn(clock, 1_000, Duration.ofMinutes(1)).build();
        s.subscribe(seen::add);
        s.start("poller", () -> {
          throw new IllegalStateException("boom");
        });
        CyclicBarrier start = new CyclicBarrier(2);
        var restart =
            racers.submit(
                () -> {
                  start.await();
                  clock.advance(Duration.ofMillis(100)); // the restart, which crashes again
                  return null;
                });
        var stop =
            racers.submit(
                () -> {
                  start.await();
                  return s.stop(Duration.ZERO);
                });
        restart.get();
        stop.get();

        assertThat(s.workers().get(0).state()).as("round %d", round).isEqualTo(WorkerState.STOPPED);
        assertThat(seen).as("round %d", round).last().extracting(SupervisorEvent::kind)
            .isEqualTo(Kind.STOPPED);
        assertThat(seen.stream().filter(e -> e.kind() == Kind.STOPPED)).hasSize(1);
        assertThat(clock.pendingTasks()).as("round %d", round).isZero();
      }
    } finally {
      racers.shutdownNow();
    }
  }

  @Test
  void badSettingsAreRejectedWithTheValueInTheMessage() {
    assertThatThrownBy(() -> Supervisor.builder(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("supervisor name must not be blank");
    assertThatThrownBy(() -> Supervisor.builder("s").backoff(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("initial backoff must be positive, was PT0S");
    assertThatThrownBy(
            () -> Supervisor.builder("s").backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max backoff must be at least the initial backoff PT2S, was PT1S");
    assertThatThrownBy(() -> Supervisor.builder("s").restartIntensity(-1, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxRestarts must be >= 0, was -1");
    assertThatThrownBy(() -> Supervisor.builder("s").restartIntensity(1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("restart window must be positive, was PT0S");
    Supervisor s = inline(1, Duration.ofSeconds(1));
    s.start("w", () -> {});
    assertThatThrownBy(() -> s.start("w", () -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("worker 'w' is already supervised by 'bg'");
    assertThatThrownBy(() -> s.start("", () -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("worker name must not be blank");
  }
}
