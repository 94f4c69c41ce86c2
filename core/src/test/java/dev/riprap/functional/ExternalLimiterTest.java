package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.ExternalLimiter;
import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.TimeSource;
import dev.riprap.event.EventStream;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The seam for limiters decided outside the policy: answers, waits and refusals through both
 * drivers; an async answer that is pending while the total timeout, a cancel or a failure ends
 * the call; what is held before the limiter given back once.
 */
class ExternalLimiterTest {
  private static final long MS = 1_000_000L;

  private final FakeTimeSource time = new FakeTimeSource();

  /** Answers each ask from a queue of answers (0 when empty); records the remaining times. */
  private static class Scripted implements ExternalLimiter {
    final ConcurrentLinkedQueue<Long> answers = new ConcurrentLinkedQueue<>();
    final List<Long> remaining = new ArrayList<>();
    final AtomicInteger asks = new AtomicInteger();

    Scripted answering(long... values) {
      for (long v : values) {
        answers.add(v);
      }
      return this;
    }

    private long next(long remainingNanos) {
      asks.incrementAndGet();
      synchronized (remaining) {
        remaining.add(remainingNanos);
      }
      Long v = answers.poll();
      return v == null ? 0 : v;
    }

    @Override
    public long acquire(long remainingNanos) {
      return next(remainingNanos);
    }

    @Override
    public CompletionStage<Long> acquireAsync(long remainingNanos) {
      return CompletableFuture.completedFuture(next(remainingNanos));
    }

    @Override
    public String toString() {
      return "scripted limiter";
    }
  }

  /** Answers async asks with stages the test completes. */
  private static final class Pending implements ExternalLimiter {
    final ConcurrentLinkedQueue<CompletableFuture<Long>> stages = new ConcurrentLinkedQueue<>();

    @Override
    public long acquire(long remainingNanos) {
      throw new AssertionError("a sync ask in an async test");
    }

    @Override
    public CompletionStage<Long> acquireAsync(long remainingNanos) {
      CompletableFuture<Long> stage = new CompletableFuture<>();
      stages.add(stage);
      return stage;
    }
  }

  private Policy.Builder policy(ExternalLimiter limiter) {
    return Policy.builder("quota").timeSource(time).asyncExecutor(Runnable::run)
        .rateLimiter(limiter);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aPermitAnsweredAtOnceRunsTheWork(Mode mode) {
    Scripted limiter = new Scripted().answering(0);
    Policy p = policy(limiter).build();

    Outcome<String> out = mode.call(p, time, () -> "done");

    assertThat(out.result).isEqualTo("done");
    assertThat(limiter.asks).hasValue(1);
    assertThat(limiter.remaining).containsExactly(Long.MAX_VALUE);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRefusalIsARateLimitedRejectionNamingTheLimiter(Mode mode) {
    Policy p = policy(new Scripted().answering(ExternalLimiter.REFUSED)).build();
    AtomicInteger ran = new AtomicInteger();

    Outcome<String> out = mode.call(p, time, () -> "ran " + ran.incrementAndGet());

    assertThat(out.failure).isInstanceOf(RejectedException.class)
        .hasMessageContaining("scripted limiter");
    assertThat(((RejectedException) out.failure).reason()).isEqualTo(RejectionReason.RATE_LIMITED);
    assertThat(ran).hasValue(0);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aSlotLaterIsWaitedForOnThePolicysClock(Mode mode) {
    Policy p = policy(new Scripted().answering(250 * MS)).totalTimeout(Duration.ofSeconds(1))
        .build();

    Outcome<String> out = mode.call(p, time, () -> "at " + time.nanoTime() / MS + "ms");

    assertThat(out.result).isEqualTo("at 250ms");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aSlotPastTheDeadlineTimesTheCallOutAtOnce(Mode mode) {
    Scripted limiter = new Scripted().answering(2_000 * MS);
    Policy p = policy(limiter).totalTimeout(Duration.ofSeconds(1)).build();

    Outcome<String> out = mode.call(p, time, () -> "ran");

    assertThat(out.failure).isInstanceOf(RejectedException.class);
    assertThat(((RejectedException) out.failure).reason()).isEqualTo(RejectionReason.TIMED_OUT);
    assertThat(time.nanoTime()).isZero();
    assertThat(limiter.remaining).containsExactly(1_000 * MS);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRefusedAttemptGivesTheBreakerPermissionBackAndLeavesTheBulkheadUntouched(Mode mode) {
    CircuitBreaker breaker = CircuitBreaker.of("b", CircuitBreakerConfig.custom()
        .permittedNumberOfCallsInHalfOpenState(1).build());
    breaker.transitionToOpenState();
    breaker.transitionToHalfOpenState();
    Bulkhead bulkhead = Bulkhead.of("h", io.github.resilience4j.bulkhead.BulkheadConfig.custom()
        .maxConcurrentCalls(1).maxWaitDuration(Duration.ZERO).build());
    Policy p = policy(new Scripted().answering(ExternalLimiter.REFUSED, ExternalLimiter.REFUSED))
        .circuitBreaker(breaker).bulkhead(bulkhead).build();

    mode.call(p, time, () -> "ran");
    Outcome<String> second = mode.call(p, time, () -> "ran");

    // The half-open breaker lets one call through at a time: the second refusal proves the
    // first gave its permission back.
    assertThat(((RejectedException) second.failure).reason())
        .isEqualTo(RejectionReason.RATE_LIMITED);
    assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aLimiterThatThrowsFailsTheAttemptAndTheRetryAsksAgain(Mode mode) {
    AtomicInteger asks = new AtomicInteger();
    ExternalLimiter throwing = new ExternalLimiter() {
      @Override
      public long acquire(long remainingNanos) {
        if (asks.incrementAndGet() == 1) {
          throw new IllegalStateException("store exploded");
        }
        return 0;
      }

      @Override
      public CompletionStage<Long> acquireAsync(long remainingNanos) {
        if (asks.incrementAndGet() == 1) {
          throw new IllegalStateException("store exploded");
        }
        return CompletableFuture.completedFuture(0L);
      }
    };
    Policy failOnce = policy(throwing).build();
    Outcome<String> once = mode.call(failOnce, time, () -> "ran");
    assertThat(once.failure).isInstanceOf(IllegalStateException.class).hasMessage("store exploded");

    asks.set(0);
    Policy retrying = Policy.builder("quota").timeSource(time).asyncExecutor(Runnable::run)
        .rateLimiter(throwing).retry(2, Duration.ofMillis(10), Duration.ofMillis(10)).build();
    Outcome<String> retried = mode.call(retrying, time, () -> "ran");
    assertThat(retried.result).isEqualTo("ran");
    assertThat(asks).hasValue(2);
  }

  @Test
  void anInterruptWhileTheSyncLimiterAnswersEndsTheCallWithTheFlagKept() throws Exception {
    ExternalLimiter blocking = new ExternalLimiter() {
      @Override
      public long acquire(long remainingNanos) throws InterruptedException {
        throw new InterruptedException("asked while interrupted");
      }

      @Override
      public CompletionStage<Long> acquireAsync(long remainingNanos) {
        return CompletableFuture.completedFuture(0L);
      }

      @Override
      public String toString() {
        return "blocking limiter";
      }
    };
    Policy p = policy(blocking).build();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicReference<Boolean> flag = new AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        p.call(() -> "ran");
      } catch (Throwable t) {
        failure.set(t);
      }
      flag.set(Thread.currentThread().isInterrupted());
    });
    caller.start();
    caller.join(TimeUnit.SECONDS.toMillis(30));

    assertThat(failure.get()).isInstanceOf(RejectedException.class)
        .hasMessageContaining("interrupted while asking blocking limiter")
        .hasCauseInstanceOf(InterruptedException.class);
    assertThat(flag.get()).isTrue();
  }

  @Test
  void anAsyncAnswerGoesOnOnTheAsyncExecutorNotOnTheThreadThatAnswered() throws Exception {
    Pending limiter = new Pending();
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "riprap-async"));
    try {
      Policy p = Policy.builder("quota").asyncExecutor(executor).rateLimiter(limiter).build();
      CompletableFuture<String> call =
          p.callAsync(() -> CompletableFuture.completedFuture(Thread.currentThread().getName()));
      assertThat(call).isNotDone();

      Thread store = new Thread(() -> limiter.stages.poll().complete(0L), "store-io");
      store.start();
      store.join(TimeUnit.SECONDS.toMillis(30));

      assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo("riprap-async");
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void theTotalTimeoutEndsACallWhoseLimiterAnswerIsPendingAndALateAnswerIsIgnored() {
    Pending limiter = new Pending();
    AtomicInteger ran = new AtomicInteger();
    Policy p = policy(limiter).totalTimeout(Duration.ofMillis(100)).build();

    CompletableFuture<String> call =
        p.callAsync(() -> CompletableFuture.completedFuture("ran " + ran.incrementAndGet()));
    CompletableFuture<Long> stage = limiter.stages.peek();
    Outcome<String> out = Mode.await(call, time);

    assertThat(((RejectedException) out.failure).reason()).isEqualTo(RejectionReason.TIMED_OUT);
    assertThat(time.nanoTime()).isEqualTo(100 * MS);
    assertThat(stage).isCancelled();
    assertThat(stage.complete(0L)).isFalse();
    assertThat(ran).hasValue(0);
  }

  @Test
  void cancellingTheCallerFutureWhileTheLimiterAnswersCancelsTheStageAndGivesTheBreakerBack() {
    Pending limiter = new Pending();
    CircuitBreaker breaker = CircuitBreaker.of("b", CircuitBreakerConfig.custom()
        .permittedNumberOfCallsInHalfOpenState(1).build());
    breaker.transitionToOpenState();
    breaker.transitionToHalfOpenState();
    Policy p = policy(limiter).circuitBreaker(breaker).build();

    CompletableFuture<String> first = p.callAsync(() -> CompletableFuture.completedFuture("ran"));
    CompletableFuture<Long> stage = limiter.stages.poll();
    first.cancel(false);

    assertThat(stage).isCancelled();
    // The half-open breaker's one permission is free again: the next call reaches the limiter.
    CompletableFuture<String> second = p.callAsync(() -> CompletableFuture.completedFuture("ran"));
    limiter.stages.poll().complete(0L);
    assertThat(second).isCompletedWithValue("ran");
  }

  @Test
  void aStageThatFailsFailsTheAttemptWithItsCause() {
    Pending limiter = new Pending();
    Policy p = policy(limiter).build();

    CompletableFuture<String> call = p.callAsync(() -> CompletableFuture.completedFuture("ran"));
    limiter.stages.poll().completeExceptionally(new IllegalStateException("no store"));

    assertThat(Mode.await(call, time).failure).isInstanceOf(IllegalStateException.class)
        .hasMessage("no store");
  }

  @Test
  void aRefusalThatArrivesLaterRejectsTheCall() {
    Pending limiter = new Pending();
    Policy p = policy(limiter).build();

    CompletableFuture<String> call = p.callAsync(() -> CompletableFuture.completedFuture("ran"));
    limiter.stages.poll().complete(ExternalLimiter.REFUSED);

    assertThat(((RejectedException) Mode.await(call, time).failure).reason())
        .isEqualTo(RejectionReason.RATE_LIMITED);
  }

  @Test
  void aNullStageOrANullAnswerFailsTheAttemptNamingIt() {
    ExternalLimiter nulls = new ExternalLimiter() {
      @Override
      public long acquire(long remainingNanos) {
        return 0;
      }

      @Override
      public CompletionStage<Long> acquireAsync(long remainingNanos) {
        return remainingNanos == Long.MAX_VALUE ? null : CompletableFuture.completedFuture(null);
      }

      @Override
      public String toString() {
        return "null limiter";
      }
    };
    Outcome<String> nullStage = Mode.ASYNC.call(policy(nulls).build(), time, () -> "ran");
    Outcome<String> nullAnswer = Mode.ASYNC.call(
        policy(nulls).totalTimeout(Duration.ofSeconds(1)).build(), time, () -> "ran");

    assertThat(nullStage.failure).isInstanceOf(NullPointerException.class)
        .hasMessageContaining("null limiter returned a null stage");
    assertThat(nullAnswer.failure).isInstanceOf(NullPointerException.class)
        .hasMessageContaining("answered null");
  }

  @Test
  void theLimiterIsAttachedToEveryPolicyBuiltWithIt() {
    List<String> attached = new ArrayList<>();
    ExternalLimiter limiter = new Scripted() {
      @Override
      public void attach(
          String policy, Map<String, String> tags, EventStream events, TimeSource timeSource) {
        attached.add(policy + tags + (events != null) + (timeSource == time));
      }
    };
    Policy first = policy(limiter).tag("tenant", "a").build();
    first.toBuilder("second").build();

    assertThat(attached).containsExactly("quota{tenant=a}truetrue", "second{tenant=a}truetrue");
    assertThat(first.externalLimiter()).containsSame(limiter);
    assertThat(first.rateLimiter()).isEmpty();
    assertThat(first.pacedLimiter()).isEmpty();
  }

  @Test
  void anExternalLimiterAndAnotherLimiterExcludeEachOther() {
    assertThatThrownBy(() -> Policy.builder("p").pacedRate(10, Duration.ZERO)
        .rateLimiter(new Scripted()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("rateLimiter was already set");
    assertThatThrownBy(() -> Policy.builder("p").rateLimiter(new Scripted())
        .pacedRate(10, Duration.ZERO))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("rateLimiter was already set to scripted limiter");
    assertThatThrownBy(() -> Policy.builder("p").rateLimiter((ExternalLimiter) null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("limiter");
  }

  @Test
  void manyAsyncCallsWhoseAnswersArriveFromManyThreadsEachEndOnce() throws Exception {
    Pending limiter = new Pending();
    ExecutorService executor = Executors.newFixedThreadPool(2);
    try {
      Policy p = Policy.builder("quota").asyncExecutor(executor).rateLimiter(limiter)
          .bulkhead(1_000).build();
      List<CompletableFuture<String>> calls = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        calls.add(p.callAsync(() -> CompletableFuture.completedFuture("ran")));
      }
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> answering = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Thread thread = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            return;
          }
          CompletableFuture<Long> s;
          while ((s = limiter.stages.poll()) != null) {
            s.complete(s.hashCode() % 2 == 0 ? 0L : ExternalLimiter.REFUSED);
          }
        });
        thread.start();
        answering.add(thread);
      }
      go.countDown();
      for (Thread t : answering) {
        t.join(TimeUnit.SECONDS.toMillis(30));
      }
      CompletableFuture.allOf(calls.stream().map(c -> c.exceptionally(e -> "refused"))
          .toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

      assertThat(p.bulkhead().orElseThrow().getMetrics().getAvailableConcurrentCalls())
          .isEqualTo(1_000);
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void anAnswerRacingACancelOrTheTotalTimeoutEndsTheCallOnceAndGivesTheBreakerBackOnce() {
    Pending limiter = new Pending();
    dev.riprap.testing.CountingCircuitBreaker breaker = dev.riprap.testing.CountingCircuitBreaker.of(
        "b", CircuitBreakerConfig.custom().minimumNumberOfCalls(1_000_000).build(), time);
    Policy p = policy(limiter).circuitBreaker(breaker).totalTimeout(Duration.ofSeconds(1)).build();
    AtomicInteger ran = new AtomicInteger();
    try (dev.riprap.testing.Race race = new dev.riprap.testing.Race(3)) {
      for (int round = 0; round < 300; round++) {
        CompletableFuture<String> call =
            p.callAsync(() -> CompletableFuture.completedFuture("ran " + ran.incrementAndGet()));
        CompletableFuture<Long> stage = limiter.stages.poll();
        long answer = round % 3 == 0 ? ExternalLimiter.REFUSED : 0L;
        boolean cancel = round % 2 == 0;
        race.round(
            () -> {
              dev.riprap.testing.Race.jitter();
              stage.complete(answer);
            },
            () -> {
              dev.riprap.testing.Race.jitter();
              if (cancel) {
                call.cancel(false);
              } else {
                time.advance(Duration.ofSeconds(1));
              }
            });
        assertThat(call).isDone();
      }
    }
    assertThat(breaker.taken()).isEqualTo(300);
    assertThat(breaker.givenBack()).isEqualTo(breaker.taken());
    assertThat(limiter.stages).isEmpty();
  }

  @Test
  void anExecutorThatRefusesTheResumedCallEndsItWithItsExceptionAndGivesTheBreakerBack() {
    Pending limiter = new Pending();
    dev.riprap.testing.CountingCircuitBreaker breaker = dev.riprap.testing.CountingCircuitBreaker.of(
        "b", CircuitBreakerConfig.ofDefaults(), time);
    Policy p = Policy.builder("quota").timeSource(time).rateLimiter(limiter).circuitBreaker(breaker)
        .asyncExecutor(r -> {
          throw new java.util.concurrent.RejectedExecutionException("pool shut down");
        })
        .build();

    CompletableFuture<String> call = p.callAsync(() -> CompletableFuture.completedFuture("ran"));
    limiter.stages.poll().complete(0L);

    assertThat(call).isCompletedExceptionally();
    assertThat(Mode.await(call, time).failure)
        .isInstanceOf(java.util.concurrent.RejectedExecutionException.class)
        .hasMessage("pool shut down");
    assertThat(breaker.givenBack()).isEqualTo(breaker.taken()).isEqualTo(1);
  }
}
