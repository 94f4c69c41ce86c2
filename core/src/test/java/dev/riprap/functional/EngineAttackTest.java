package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.AttemptContext;
import dev.riprap.Cancellable;
import dev.riprap.PacedLimiter;
import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.ShutdownGate;
import dev.riprap.TimeSource;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.PolicyEvent;
import dev.riprap.testing.CountingCircuitBreaker;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Fault;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import dev.riprap.testing.Recorder;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Adversarial tests of the execution engine (issue 10) that place an interleaving exactly, with no
 * sleep and no real-time race: user code the engine runs (a strategy instance, an interval
 * function, the time source's {@code schedule}) plays the part of "another thread acted right
 * now", for example by running the fake clock's due timers on a second thread before {@code
 * schedule} returns, as a real timer thread may when the scheduling thread is preempted. Every
 * call is checked for the invariants of docs/core.md "Nothing lost, nothing hung" and "Events":
 * one outcome, every permit given back once, one {@link CallCompleted} and nothing published after
 * it, and no timer of the call left scheduled once it ended.
 */
class EngineAttackTest {
  private static final int BULKHEAD = 2;
  private static final Duration TOTAL = Duration.ofSeconds(100);
  private static final Duration ATTEMPT = Duration.ofSeconds(7);
  private static final Duration BACKOFF = Duration.ofSeconds(3);

  private final FakeTimeSource fake = new FakeTimeSource();
  private final ScriptedTime time = new ScriptedTime(fake);
  private final ShutdownGate gate = new ShutdownGate(fake);
  private final CountingCircuitBreaker breaker =
      CountingCircuitBreaker.of("attack", CircuitBreakerConfig.ofDefaults(), fake);
  private final Bulkhead bulkhead = Bulkhead.of("attack",
      BulkheadConfig.custom().maxConcurrentCalls(BULKHEAD).maxWaitDuration(Duration.ZERO).build());
  private final ExecutorService timerThread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "attack-timer");
    t.setDaemon(true);
    return t;
  });
  private final List<CompletableFuture<String>> stages = new CopyOnWriteArrayList<>();
  private Recorder events;

  @AfterEach
  void stopTimerThread() {
    timerThread.shutdownNow();
    Thread.interrupted();
  }

  private Policy.Builder builder() {
    return Policy.builder("attack")
        .timeSource(time)
        .asyncExecutor(Runnable::run)
        .shutdownGate(gate)
        .circuitBreaker(breaker)
        .bulkhead(bulkhead);
  }

  private Policy listened(Policy.Builder b) {
    Policy policy = b.build();
    events = Recorder.on(policy.events());
    return policy;
  }

  /** Makes the call wait at {@code where} (a stage in flight needs nothing of the policy). */
  private void waitAt(Policy.Builder b, Where where) {
    switch (where) {
      case BACKOFF:
        retryAfterBackoff(b);
        break;
      case PACED_LIMITER_WAIT:
        waitForPacedSlot(b);
        break;
      case PROBE_WAIT:
        waitForProbe(b);
        break;
      default:
        break;
    }
  }

  /** One retry, after a backoff of {@link #BACKOFF}. */
  private static void retryAfterBackoff(Policy.Builder b) {
    b.retry(RetryConfig.custom().maxAttempts(2).waitDuration(BACKOFF).build());
  }

  /** A paced limiter, 1 a second, whose slot of now is taken: a call waits 1 s for the next. */
  private PacedLimiter waitForPacedSlot(Policy.Builder b) {
    PacedLimiter paced =
        PacedLimiter.builder(1).maxWait(Duration.ofSeconds(10)).timeSource(time).build();
    assertThat(paced.tryTake()).isTrue();
    b.rateLimiter(paced);
    return paced;
  }

  /** An open breaker that a call waits for (its open period: the default 60 s). */
  private void waitForProbe(Policy.Builder b) {
    b.awaitProbe(Duration.ofMinutes(5));
    breaker.delegate().transitionToOpenState();
  }

  /** A stage that never answers, remembered so a test can see whether it was cancelled. */
  private CompletableFuture<String> unanswered() {
    CompletableFuture<String> stage = new CompletableFuture<>();
    stages.add(stage);
    return stage;
  }

  /** Runs the fake clock's timers due within {@code d} on another thread, and waits for them. */
  private void fireOnTimerThread(Duration d) {
    try {
      timerThread.submit(() -> fake.advance(d)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the timer thread failed: " + e, e);
    }
  }

  /**
   * The invariants after {@code calls} calls ended: permits back, gate empty, one CallCompleted a
   * call and nothing published after the last one, and no timer left scheduled.
   */
  private void assertSettled(int calls) {
    SoftAssertions soft = new SoftAssertions();
    assertSettled(calls, soft);
    soft.assertAll();
  }

  private void assertSettled(int calls, SoftAssertions soft) {
    soft.assertThat(breaker.givenBack()).as("permissions given back, %s", breaker)
        .isEqualTo(breaker.taken());
    soft.assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls())
        .as("bulkhead permits available").isEqualTo(BULKHEAD);
    soft.assertThat(gate.inFlight()).as("calls in flight at the gate").isZero();
    soft.assertThat(events.of(CallCompleted.class)).as("CallCompleted events").hasSize(calls);
    List<PolicyEvent> all = events.all();
    soft.assertThat(all.isEmpty() ? null : all.get(all.size() - 1))
        .as("the last event published (all: %s)", events.names())
        .isInstanceOf(CallCompleted.class);
    soft.assertThat(fake.pendingTasks()).as("timer tasks still scheduled after the call ended")
        .isZero();
  }

  // ---------------------------------------------------------------- a timer that fires at once

  enum Ending {
    CANCEL,
    STAGE_ANSWERS
  }

  /**
   * The attempt timer fires on the timer thread before {@code schedule} has returned to the engine
   * (the scheduling thread was preempted): the attempt times out and, with no backoff, the next
   * attempt starts on the timer thread. That next attempt's timer and stage are what the call must
   * cancel when it ends.
   */
  @ParameterizedTest
  @EnumSource(Ending.class)
  void anAttemptTimerThatFiresBeforeScheduleReturnsLeavesTheNextAttemptCancellable(Ending ending) {
    Policy policy = listened(builder()
        .attemptTimeout(ATTEMPT)
        .retry(RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ZERO).build()));
    AtomicBoolean fired = new AtomicBoolean();
    time.afterSchedule = delay -> {
      if (delay == ATTEMPT.toNanos() && fired.compareAndSet(false, true)) {
        fireOnTimerThread(ATTEMPT);
      }
    };

    CompletableFuture<String> call = policy.callAsync(this::unanswered);

    assertThat(stages).as("attempts started").hasSize(2);
    assertThat(stages.get(0)).as("the timed-out first attempt").isCancelled();
    assertThat(call).isNotDone();
    if (ending == Ending.CANCEL) {
      call.cancel(true);
      assertThat(stages.get(1)).as("the attempt in flight when the caller cancelled")
          .isCancelled();
    } else {
      stages.get(1).complete("second");
      assertThat(call).isCompletedWithValue("second");
    }
    assertSettled(1);
  }

  /** (A total timeout never fires in a backoff: the retry starts no backoff that reaches it.) */
  enum BackoffEnding {
    CANCEL,
    DRAIN
  }

  /**
   * A backoff timer fires on the timer thread before {@code schedule} returns: the next attempt
   * runs there, fails and starts the next backoff. Ending the call in that second backoff (cancel,
   * drain) must cancel the second backoff's timer.
   */
  @ParameterizedTest
  @EnumSource(BackoffEnding.class)
  void aBackoffTimerThatFiresBeforeScheduleReturnsLeavesTheNextWaitCancellable(
      BackoffEnding ending) throws Exception {
    Policy policy = listened(builder()
        .retry(RetryConfig.custom().maxAttempts(3).waitDuration(BACKOFF).build()));
    AtomicBoolean fired = new AtomicBoolean();
    time.afterSchedule = delay -> {
      if (delay == BACKOFF.toNanos() && fired.compareAndSet(false, true)) {
        fireOnTimerThread(BACKOFF);
      }
    };
    AtomicInteger made = new AtomicInteger();

    CompletableFuture<String> call = policy.callAsync(() -> CompletableFuture.failedFuture(
        new IOException("attempt " + made.incrementAndGet() + " failed")));

    assertThat(made).as("attempts made before the second backoff").hasValue(2);
    assertThat(call).isNotDone();
    if (ending == BackoffEnding.CANCEL) {
      call.cancel(true);
    } else {
      gate.drain(Duration.ZERO);
    }
    assertThat(call).isDone();
    assertThat(made).as("attempts made").hasValue(2);
    assertSettled(1);
  }

  // ---------------------------------------------------------------- events after the end

  /**
   * resilience4j's bulkhead blocks the thread that asks it for a permit; the total timeout fires
   * meanwhile (here the bulkhead itself moves the fake clock to it) and the bulkhead then refuses.
   * The call ended with the timeout: nothing about it may be published after its CallCompleted.
   */
  @ParameterizedTest
  @EnumSource(Mode.class)
  void nothingIsPublishedAfterCallCompletedWhenTheTotalTimeoutFiresDuringABulkheadWait(Mode mode) {
    Bulkhead waiting = Bulkhead.of("waiting", BulkheadConfig.custom()
        .maxConcurrentCalls(1).maxWaitDuration(Duration.ofSeconds(5)).build());
    Bulkhead blocking = scripted(Bulkhead.class, waiting, "tryAcquirePermission", () -> {
      fake.advance(Duration.ofSeconds(1));
      Thread.interrupted();
      return false;
    });
    Policy policy = listened(Policy.builder("attack")
        .timeSource(time)
        .asyncExecutor(Runnable::run)
        .shutdownGate(gate)
        .circuitBreaker(breaker)
        .bulkhead(blocking)
        .totalTimeout(Duration.ofSeconds(1)));

    Outcome<String> out = mode.call(policy, fake, () -> "never");

    assertThat(out.failure).isInstanceOf(RejectedException.class);
    assertThat(Thread.interrupted()).as("the caller's interrupt flag").isFalse();
    List<PolicyEvent> all = events.all();
    assertThat(all).as("events: %s", events.names()).isNotEmpty();
    assertThat(all.get(all.size() - 1)).as("the last event (all: %s)", events.names())
        .isInstanceOf(CallCompleted.class);
    assertThat(events.of(CallCompleted.class)).hasSize(1);
    assertThat(breaker.givenBack()).as("%s", breaker).isEqualTo(breaker.taken());
    assertThat(gate.inFlight()).isZero();
  }

  /**
   * The total timeout fires while the retry decision runs (the interval function is where this
   * test lets the clock reach it). The call's last word is its CallCompleted, in both drivers.
   */
  @ParameterizedTest
  @EnumSource(Mode.class)
  void nothingIsPublishedAfterCallCompletedWhenTheTotalTimeoutFiresDuringTheRetryDecision(
      Mode mode) {
    Policy policy = listened(builder()
        .totalTimeout(Duration.ofSeconds(1))
        .retry(RetryConfig.custom().maxAttempts(3)
            .intervalBiFunction((n, outcome) -> {
              fake.advance(Duration.ofSeconds(1));
              return 10L;
            })
            .build()));

    Outcome<String> out = mode.call(policy, fake, () -> {
      throw new IOException("down");
    });

    assertThat(out.failure).isNotNull();
    assertSettled(1);
  }

  // ---------------------------------------------------------------- strategies that throw

  enum Strategy {
    /** A bulkhead whose permission check throws. */
    BULKHEAD,
    /** A bulkhead that may wait longer than the deadline, so the driver bounds its wait. */
    WAITING_BULKHEAD,
    /** A resilience4j rate limiter whose reservation throws. */
    RATE_LIMITER
  }

  static Stream<Arguments> strategiesThatThrow() {
    return Stream.of(Mode.values()).flatMap(m -> Stream.of(Strategy.values()).flatMap(s ->
        Stream.of(Fault.RUNTIME_EXCEPTION, Fault.ERROR).map(f -> Arguments.of(m, s, f))));
  }

  /**
   * A strategy instance of the user's (a bulkhead or rate limiter decorated by their own code)
   * throws while the engine asks it for a permit, after the breaker gave its permission. The call
   * ends with that throwable and gives the breaker's permission back, publishes one CallCompleted
   * and leaves no timer behind that could later interrupt the caller's thread.
   */
  @ParameterizedTest(name = "{0}: {1} throws {2}")
  @MethodSource("strategiesThatThrow")
  void aStrategyThatThrowsWhenAskedForAPermitEndsTheCallWithItAndGivesTheBreakerBack(
      Mode mode, Strategy strategy, Fault fault) {
    Throwable thrown = fault.create("the strategy failed");
    Policy.Builder b = Policy.builder("attack")
        .timeSource(time)
        .asyncExecutor(Runnable::run)
        .shutdownGate(gate)
        .circuitBreaker(breaker);
    Bulkhead real = bulkhead;
    switch (strategy) {
      case BULKHEAD:
        b.bulkhead(scripted(Bulkhead.class, real, "tryAcquirePermission",
            () -> { throw Fault.raise(thrown); }));
        break;
      case WAITING_BULKHEAD:
        Bulkhead waits = Bulkhead.of("waits", BulkheadConfig.custom()
            .maxConcurrentCalls(BULKHEAD).maxWaitDuration(Duration.ofSeconds(5)).build());
        b.bulkhead(scripted(Bulkhead.class, waits, "tryAcquirePermission",
            () -> { throw Fault.raise(thrown); }))
            .totalTimeout(Duration.ofSeconds(1));
        break;
      default:
        RateLimiter limiter = RateLimiter.of("limits", RateLimiterConfig.ofDefaults());
        b.rateLimiter(scripted(RateLimiter.class, limiter, "reservePermission",
            () -> { throw Fault.raise(thrown); }));
    }
    Policy policy = listened(b);

    Outcome<String> out = mode.call(policy, fake, () -> "reached");

    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(out.failure).as("the call's outcome").isSameAs(thrown);
    assertSettled(1, soft);
    // A timer left behind would interrupt the caller's thread when it fires.
    fake.advance(Duration.ofSeconds(10));
    soft.assertThat(Thread.interrupted()).as("the caller's thread interrupted after the call")
        .isFalse();
    soft.assertAll();
  }

  // ---------------------------------------------------------------- the caller ends the future

  enum Where {
    STAGE_IN_FLIGHT,
    BACKOFF,
    PACED_LIMITER_WAIT,
    PROBE_WAIT
  }

  enum CallerEnds {
    CANCEL(false) {
      @Override
      void end(CompletableFuture<String> f) {
        f.cancel(true);
      }
    },
    COMPLETE(false) {
      @Override
      void end(CompletableFuture<String> f) {
        f.complete("the caller's");
      }
    },
    COMPLETE_EXCEPTIONALLY(false) {
      @Override
      void end(CompletableFuture<String> f) {
        f.completeExceptionally(new IOException("the caller gave up"));
      }
    },
    COMPLETE_ASYNC(false) {
      @Override
      void end(CompletableFuture<String> f) {
        f.completeAsync(() -> "the caller's", Runnable::run);
      }
    },
    OR_TIMEOUT(true) {
      @Override
      void end(CompletableFuture<String> f) {
        f.orTimeout(1, TimeUnit.NANOSECONDS);
      }
    },
    COMPLETE_ON_TIMEOUT(true) {
      @Override
      void end(CompletableFuture<String> f) {
        f.completeOnTimeout("the caller's", 1, TimeUnit.NANOSECONDS);
      }
    };

    /** Whether the future ends later, on the JDK's delayer thread. */
    final boolean later;

    CallerEnds(boolean later) {
      this.later = later;
    }

    abstract void end(CompletableFuture<String> f);
  }

  static Stream<Arguments> callerEndings() {
    return Stream.of(Where.values()).flatMap(w -> Stream.of(CallerEnds.values())
        .map(e -> Arguments.of(w, e)));
  }

  /**
   * The caller ends the returned future, by each of CompletableFuture's ways to do so, while the
   * call waits or its stage is in flight. The call must stop: its attempt cancelled, its permits
   * and timers given back, one CallCompleted.
   */
  @ParameterizedTest(name = "{1} while {0}")
  @MethodSource("callerEndings")
  void theCallerEndingTheFutureStopsTheCallWhereverItIs(Where where, CallerEnds ending)
      throws Exception {
    Policy.Builder b = builder();
    AtomicInteger made = new AtomicInteger();
    waitAt(b, where);
    Policy policy = listened(b);
    CountDownLatch completed = new CountDownLatch(1);
    policy.events().subscribe(CallCompleted.class, e -> completed.countDown());

    CompletableFuture<String> call = policy.callAsync(() -> {
      made.incrementAndGet();
      return where == Where.BACKOFF
          ? CompletableFuture.failedFuture(new IOException("first attempt failed"))
          : unanswered();
    });
    assertThat(call).as("the call before the caller ends it").isNotDone();
    ending.end(call);
    if (ending.later) {
      // Only turns a call that never ends into a failure; nothing measures the wait.
      assertThat(completed.await(30, TimeUnit.SECONDS)).as("CallCompleted published").isTrue();
    }

    assertThat(call).isDone();
    SoftAssertions soft = new SoftAssertions();
    for (CompletableFuture<String> stage : stages) {
      soft.assertThat(stage).as("the attempt in flight").isCancelled();
    }
    soft.assertThat(made).as("attempts made").hasValue(where == Where.STAGE_IN_FLIGHT ? 1
        : where == Where.BACKOFF ? 1 : 0);
    soft.assertAll();
    assertSettled(1);
  }

  // ---------------------------------------------------------------- a time source that refuses

  enum AsyncTimer {
    TOTAL,
    ATTEMPT,
    BACKOFF,
    PACED_LIMITER_WAIT,
    PROBE_WAIT
  }

  /**
   * The time source refuses one of the async call's timers ({@code schedule} throws). The call ends
   * with what it threw, gives every permit back, cancels the attempt it started and publishes one
   * CallCompleted.
   */
  @ParameterizedTest
  @EnumSource(AsyncTimer.class)
  void anAsyncCallWhoseTimerIsRefusedEndsWithTheRefusalAndHoldsNothing(AsyncTimer which) {
    Policy.Builder b = builder().totalTimeout(TOTAL).attemptTimeout(ATTEMPT);
    AtomicInteger made = new AtomicInteger();
    long refusedDelay;
    switch (which) {
      case TOTAL:
        refusedDelay = TOTAL.toNanos();
        break;
      case ATTEMPT:
        refusedDelay = ATTEMPT.toNanos();
        break;
      case BACKOFF:
        retryAfterBackoff(b);
        refusedDelay = BACKOFF.toNanos();
        break;
      case PACED_LIMITER_WAIT:
        waitForPacedSlot(b);
        refusedDelay = Duration.ofSeconds(1).toNanos();
        break;
      default:
        waitForProbe(b);
        // The default breaker's open period, plus the millisecond resilience4j needs past it.
        refusedDelay = Duration.ofSeconds(60).plusMillis(1).toNanos();
    }
    Policy policy = listened(b);
    List<Throwable> refusals = new CopyOnWriteArrayList<>();
    time.refuse = delay -> delay == refusedDelay;
    time.refusals = refusals;

    Outcome<String> out = Mode.ASYNC.call(policy, fake, () -> {
      made.incrementAndGet();
      if (which == AsyncTimer.BACKOFF) {
        throw new IOException("first attempt failed");
      }
      return "answered";
    });
    // The work of the ATTEMPT case answers at once; a stage that never answers is the harder case.
    time.refuse = delay -> false;

    assertThat(refusals).as("timers refused").isNotEmpty();
    assertThat(out.failure).as("the call's outcome (%s)", out).isInstanceOf(TimerRefused.class);
    assertSettled(1);
  }

  /** As above, with a stage that never answers: the attempt whose timer was refused. */
  @Test
  void anAsyncAttemptWhoseTimerIsRefusedIsCancelledNotLeftRunning() {
    Policy policy = listened(builder().totalTimeout(TOTAL).attemptTimeout(ATTEMPT));
    time.refuse = delay -> delay == ATTEMPT.toNanos();

    CompletableFuture<String> call = policy.callAsync(this::unanswered);
    time.refuse = delay -> false;

    assertThat(call).as("the call").isCompletedExceptionally();
    assertThat(stages).hasSize(1);
    assertThat(stages.get(0)).as("the attempt the engine gave up on").isCancelled();
    assertSettled(1);
  }

  enum SyncTimer {
    ATTEMPT,
    BULKHEAD_BOUND
  }

  /** The sync driver's timers: the attempt timeout's interrupter and the bulkhead wait's bound. */
  @ParameterizedTest
  @EnumSource(SyncTimer.class)
  void aSyncCallWhoseTimerIsRefusedEndsWithTheRefusalAndHoldsNothing(SyncTimer which) {
    Policy.Builder b = Policy.builder("attack")
        .timeSource(time)
        .shutdownGate(gate)
        .circuitBreaker(breaker)
        .totalTimeout(TOTAL)
        .attemptTimeout(ATTEMPT);
    Bulkhead waits = Bulkhead.of("waits", BulkheadConfig.custom()
        .maxConcurrentCalls(BULKHEAD).maxWaitDuration(TOTAL.plusSeconds(1)).build());
    b.bulkhead(which == SyncTimer.BULKHEAD_BOUND ? waits : bulkhead);
    Policy policy = listened(b);
    long refused = which == SyncTimer.ATTEMPT ? ATTEMPT.toNanos() : TOTAL.toNanos();
    time.refuse = delay -> delay == refused;
    AtomicInteger made = new AtomicInteger();

    Outcome<String> out = Mode.SYNC.call(policy, fake, () -> {
      made.incrementAndGet();
      return "answered";
    });

    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(out.failure).as("the call's outcome (%s)", out)
        .isInstanceOf(TimerRefused.class);
    soft.assertThat(made).as("attempts that reached the work").hasValue(0);
    soft.assertThat(waits.getMetrics().getAvailableConcurrentCalls())
        .as("waiting bulkhead's permits available").isEqualTo(BULKHEAD);
    assertSettled(1, soft);
    soft.assertAll();
  }

  // ---------------------------------------------------------------- executors

  /**
   * An async executor that silently drops every task: the call cannot go on after its wait, but
   * the total timeout still ends it, with every permit and timer given back.
   */
  @ParameterizedTest
  @EnumSource(value = Where.class, names = {"BACKOFF", "PACED_LIMITER_WAIT", "PROBE_WAIT"})
  void anExecutorThatDropsTasksLeavesTheCallToTheTotalTimeout(Where where) {
    AtomicInteger dropped = new AtomicInteger();
    Policy.Builder b = builder().asyncExecutor(task -> dropped.incrementAndGet())
        .totalTimeout(TOTAL);
    waitAt(b, where);
    Policy policy = listened(b);

    Outcome<String> out = Mode.ASYNC.call(policy, fake, () -> {
      throw new IOException("down");
    });

    assertThat(dropped).as("tasks dropped").hasPositiveValue();
    assertThat(out.failure).isInstanceOf(RejectedException.class);
    assertThat(((RejectedException) out.failure).reason()).isEqualTo(RejectionReason.TIMED_OUT);
    assertSettled(1);
  }

  // ---------------------------------------------------------------- stages of the user's

  /** A stage that reports its outcome twice to every callback: a value, then a failure. */
  static final class TwiceReporting extends CompletableFuture<String> {
    @Override
    public CompletableFuture<String> whenComplete(
        BiConsumer<? super String, ? super Throwable> action) {
      action.accept("first", null);
      action.accept(null, new IOException("second report"));
      return this;
    }
  }

  @Test
  void aStageThatReportsTwiceEndsTheCallOnceAndIsRecordedOnce() {
    Policy policy = listened(builder()
        .attemptTimeout(ATTEMPT)
        .retry(RetryConfig.custom().maxAttempts(3).waitDuration(BACKOFF).build()));
    AtomicInteger made = new AtomicInteger();

    Outcome<String> out = Mode.await(policy.callAsync(() -> {
      made.incrementAndGet();
      return new TwiceReporting();
    }), fake);

    assertThat(out.result).as("the call's outcome (%s)", out).isEqualTo("first");
    assertThat(made).hasValue(1);
    assertThat(breaker.delegate().getMetrics().getNumberOfBufferedCalls())
        .as("attempts the breaker recorded").isEqualTo(1);
    assertSettled(1);
  }

  // ---------------------------------------------------------------- the attempt's context

  /**
   * What the work is told under a total and an attempt timeout, attempt by attempt, in both
   * drivers: 10 s total, 3 s an attempt, 1 s backoff, every attempt timing out. Attempts start at
   * 0, 4 and 8 s; the third has only 2 s left of the total.
   */
  @ParameterizedTest
  @EnumSource(Mode.class)
  void theAttemptContextTellsTheTimeLeftAndWhetherARetryCouldFollow(Mode mode) {
    Policy policy = listened(builder()
        .totalTimeout(Duration.ofSeconds(10))
        .attemptTimeout(Duration.ofSeconds(3))
        .retry(RetryConfig.custom().maxAttempts(5).waitDuration(Duration.ofSeconds(1)).build()));
    fake.advance(Duration.ofHours(5));
    long start = fake.nanoTime();
    List<String> seen = new CopyOnWriteArrayList<>();
    Throwable failure;
    if (mode == Mode.SYNC) {
      failure = null;
      try {
        policy.execute((AttemptContext ctx) -> {
          seen.add(seen(ctx, start));
          fake.sleep(Duration.ofDays(1));
          return "slept";
        });
      } catch (Throwable t) {
        failure = t;
      }
    } else {
      failure = Mode.await(policy.executeAsync((AttemptContext ctx) -> {
        seen.add(seen(ctx, start));
        return unanswered();
      }), fake).failure;
    }

    assertThat(seen).containsExactly(
        "attempt 1 at 0s: 3s left, retry possible",
        "attempt 2 at 4s: 3s left, retry possible",
        "attempt 3 at 8s: 2s left, retry possible");
    assertThat(failure).isInstanceOf(RejectedException.class);
    assertThat(fake.nanoTime() - start).isEqualTo(Duration.ofSeconds(10).toNanos());
    assertSettled(1);
  }

  private String seen(AttemptContext ctx, long start) {
    return "attempt " + ctx.attempt() + " at "
        + TimeUnit.NANOSECONDS.toSeconds(fake.nanoTime() - start) + "s: "
        + TimeUnit.NANOSECONDS.toSeconds(ctx.remainingNanos()) + "s left, "
        + (ctx.retryPossible() ? "retry possible" : "no retry");
  }

  // ---------------------------------------------------------------- nested calls

  /**
   * A call made inside another call's work through the same policy: the outer attempt timeout
   * fires while the inner call runs. Both calls end, each publishes one CallCompleted, the inner
   * attempt is stopped and every permit is back; the engine's interrupt does not reach the caller.
   */
  @ParameterizedTest
  @EnumSource(Mode.class)
  void aCallInsideAnotherCallsWorkEndsWithItWhenTheOuterAttemptTimesOut(Mode mode) {
    Policy policy = listened(builder().attemptTimeout(Duration.ofSeconds(1)));
    Outcome<String> out;
    if (mode == Mode.SYNC) {
      out = Mode.SYNC.call(policy, fake, () -> policy.call(() -> {
        fake.sleep(Duration.ofDays(1));
        return "inner";
      }));
    } else {
      out = Mode.await(policy.callAsync(() -> policy.callAsync(this::unanswered)), fake);
      assertThat(stages).hasSize(1);
      assertThat(stages.get(0)).as("the inner call's attempt").isCancelled();
    }

    assertThat(out.failure).isInstanceOf(RejectedException.class);
    assertThat(((RejectedException) out.failure).reason()).isEqualTo(RejectionReason.TIMED_OUT);
    assertThat(Thread.interrupted()).as("the caller's interrupt flag").isFalse();
    assertSettled(2);
  }

  /** Cancelling the outer async call reaches the inner one, made through the same policy. */
  @Test
  void cancellingAnOuterAsyncCallCancelsTheCallInsideIt() {
    Policy policy = listened(builder());
    CompletableFuture<String> outer = policy.callAsync(() -> policy.callAsync(this::unanswered));

    outer.cancel(true);

    assertThat(stages).hasSize(1);
    assertThat(stages.get(0)).as("the inner call's attempt").isCancelled();
    assertSettled(2);
  }

  // ---------------------------------------------------------------- the paced limiter's deadline

  static Stream<Arguments> pacedDeadlines() {
    return Stream.of(Mode.values()).flatMap(m -> Stream.of(
        // The next slot starts 1 s from now: past a 500 ms deadline, or exactly at a 1 s one.
        Arguments.of(m, Duration.ofMillis(500)), Arguments.of(m, Duration.ofSeconds(1))));
  }

  /**
   * A paced limiter inside a policy with a total timeout, its next slot 1 s away. A slot past the
   * deadline is refused as a timeout at once and claims nothing, so the next caller gets the slot
   * it would have got. A slot that starts exactly at the deadline leaves the attempt no time: like
   * a backoff that would end at the deadline (which the retry does not start), it is neither
   * claimed nor waited for.
   */
  @ParameterizedTest(name = "{0}: total timeout {1}")
  @MethodSource("pacedDeadlines")
  void aPacedSlotThatLeavesTheAttemptNoTimeTimesTheCallOutAtOnceAndClaimsNothing(
      Mode mode, Duration total) {
    Policy.Builder b = builder().totalTimeout(total);
    PacedLimiter paced = waitForPacedSlot(b);
    Policy policy = listened(b);
    long nextSlot = fake.nanoTime() + paced.claimedAheadNanos();
    long before = fake.nanoTime();

    Outcome<String> out = mode.call(policy, fake, () -> "reached");

    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(out.failure).as("the call's outcome").isInstanceOf(RejectedException.class);
    soft.assertThat(out.failure instanceof RejectedException
        ? ((RejectedException) out.failure).reason() : null).isEqualTo(RejectionReason.TIMED_OUT);
    soft.assertThat(fake.nanoTime() + paced.claimedAheadNanos()).as("the next free slot (ns)")
        .isEqualTo(nextSlot);
    soft.assertThat(fake.nanoTime() - before).as("fake time waited (ns)").isZero();
    assertSettled(1, soft);
    soft.assertAll();
  }

  // ---------------------------------------------------------------- huge values

  /**
   * Every duration set to {@code Duration.ofMillis(Long.MAX_VALUE)}, on a fake clock far from zero:
   * the call waits for the probe, then for its paced slot, then goes through; no arithmetic
   * overflows, no duration in an event is negative, and nothing is left scheduled.
   */
  @ParameterizedTest
  @EnumSource(Mode.class)
  void hugeDurationsEverywhereOnAClockFarFromZeroStillEndTheCallNormally(Mode mode) {
    Duration huge = Duration.ofMillis(Long.MAX_VALUE);
    fake.advance(Duration.ofDays(365L * 200));
    Policy policy = listened(builder()
        .totalTimeout(huge)
        .attemptTimeout(huge)
        .awaitProbe(huge)
        .pacedRate(1000, huge)
        .retry(RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ofMillis(1)).build()));
    breaker.delegate().transitionToOpenState();
    AtomicInteger made = new AtomicInteger();
    long before = fake.nanoTime();

    Outcome<String> out = mode.call(policy, fake, () -> {
      if (made.incrementAndGet() == 1) {
        throw new IOException("first attempt failed");
      }
      return "second";
    });

    assertThat(out.result).as("the call's outcome (%s)", out).isEqualTo("second");
    assertThat(fake.nanoTime() - before).as("fake time the call took")
        .isBetween(Duration.ofSeconds(60).toNanos(), Duration.ofSeconds(61).toNanos());
    assertThat(events.of(CallCompleted.class)).singleElement()
        .satisfies(e -> assertThat(e.duration()).isEqualTo(Duration.ofNanos(fake.nanoTime()
            - before)));
    assertSettled(1);
  }

  // ---------------------------------------------------------------- fixtures

  /** What the scripted time source throws when it refuses a timer. */
  static final class TimerRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TimerRefused(long delay) {
      super("timer of " + delay + " ns refused");
    }
  }

  /**
   * A time source over a fake clock whose {@code schedule} a test can script: refuse a timer
   * (throw), or act right after a timer was scheduled and before {@code schedule} returns.
   */
  static final class ScriptedTime implements TimeSource {
    private final FakeTimeSource fake;
    volatile LongPredicate refuse = delay -> false;
    volatile LongConsumer afterSchedule = delay -> { };
    volatile List<Throwable> refusals = new ArrayList<>();

    ScriptedTime(FakeTimeSource fake) {
      this.fake = fake;
    }

    @Override
    public long nanoTime() {
      return fake.nanoTime();
    }

    @Override
    public Instant instant() {
      return fake.instant();
    }

    @Override
    public Clock clock() {
      return fake.clock();
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
      if (refuse.test(delayNanos)) {
        TimerRefused refused = new TimerRefused(delayNanos);
        refusals.add(refused);
        throw refused;
      }
      Cancellable c = fake.schedule(task, delayNanos);
      afterSchedule.accept(delayNanos);
      return c;
    }

    @Override
    public boolean await(CountDownLatch latch, long nanos) throws InterruptedException {
      return fake.await(latch, nanos);
    }
  }

  /**
   * {@code delegate} behind an interface proxy whose no-argument method {@code method} does what
   * {@code replacement} does instead: a strategy instance decorated by user code.
   */
  @SuppressWarnings("unchecked")
  static <T> T scripted(Class<T> type, T delegate, String method, Callable<Object> replacement) {
    return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
        (proxy, m, args) -> {
          if (m.getName().equals(method) && (args == null || args.length == 0)) {
            return replacement.call();
          }
          try {
            return m.invoke(delegate, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
