package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.ShutdownGate;
import dev.riprap.event.CallCompleted;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Permit and event invariants under contention, with a barrier start: whatever mix of successes,
 * failures, rejections, timeouts and cancels, every call ends exactly once and no bulkhead permit
 * or gate count is left behind.
 */
class ContentionTest {
  private static final int THREADS = 8;
  private static final int CALLS_PER_THREAD = 300;

  private Policy policy(ShutdownGate gate, LongAdder completed) {
    Policy p =
        Policy.builder("contended")
            .shutdownGate(gate)
            .retry(RetryConfig.custom().maxAttempts(2).intervalFunction(n -> 0L).build())
            .circuitBreaker(
                CircuitBreakerConfig.custom()
                    .slidingWindowSize(50)
                    .minimumNumberOfCalls(50)
                    .failureRateThreshold(90)
                    .waitDurationInOpenState(Duration.ofMillis(1))
                    .build())
            .bulkhead(3)
            .attemptTimeout(Duration.ofSeconds(30))
            .build();
    p.events().subscribe(CallCompleted.class, e -> completed.increment());
    return p;
  }

  @Test
  void syncCallsLeaveNoPermitBehindAndEndExactlyOnce() throws Exception {
    ShutdownGate gate = new ShutdownGate();
    LongAdder completed = new LongAdder();
    Policy policy = policy(gate, completed);
    CyclicBarrier start = new CyclicBarrier(THREADS);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    AtomicInteger rejected = new AtomicInteger();
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        workers.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < CALLS_PER_THREAD; i++) {
            try {
              policy.call(() -> {
                if (ThreadLocalRandom.current().nextInt(4) == 0) {
                  throw new IOException("flaky");
                }
                return "ok";
              });
            } catch (IOException expected) {
              // a failure that survived its retry
            } catch (RejectedException e) {
              rejected.incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> w : workers) {
        w.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(completed.sum()).isEqualTo(THREADS * CALLS_PER_THREAD);
    assertThat(policy.bulkhead().orElseThrow().getMetrics().getAvailableConcurrentCalls())
        .isEqualTo(3);
    assertThat(gate.inFlight()).isZero();
    assertThat(Thread.interrupted()).isFalse();
  }

  @Test
  void asyncCallsWithCancelsLeaveNoPermitBehindAndEndExactlyOnce() throws Exception {
    ShutdownGate gate = new ShutdownGate();
    LongAdder completed = new LongAdder();
    Policy policy = policy(gate, completed);
    ExecutorService completer = Executors.newFixedThreadPool(2);
    CyclicBarrier start = new CyclicBarrier(THREADS);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    List<CompletableFuture<String>> all = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        workers.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < CALLS_PER_THREAD; i++) {
            CompletableFuture<String> f = policy.callAsync(() -> {
              CompletableFuture<String> stage = new CompletableFuture<>();
              int roll = ThreadLocalRandom.current().nextInt(4);
              completer.execute(() -> {
                if (roll == 0) {
                  stage.completeExceptionally(new IOException("flaky"));
                } else {
                  stage.complete("ok");
                }
              });
              return stage;
            });
            if (ThreadLocalRandom.current().nextInt(10) == 0) {
              f.cancel(true);
            }
            all.add(f);
          }
          return null;
        }));
      }
      for (Future<?> w : workers) {
        w.get(60, TimeUnit.SECONDS);
      }
      for (CompletableFuture<String> f : all) {
        try {
          f.get(60, TimeUnit.SECONDS);
        } catch (Exception expected) {
          // failures, rejections and cancels are all fine here; hanging is not
        }
      }
      completer.shutdown();
      assertThat(completer.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      pool.shutdownNow();
      completer.shutdownNow();
    }
    assertThat(all).allMatch(CompletableFuture::isDone);
    assertThat(completed.sum()).isEqualTo(THREADS * CALLS_PER_THREAD);
    assertThat(policy.bulkhead().orElseThrow().getMetrics().getAvailableConcurrentCalls())
        .isEqualTo(3);
    assertThat(gate.inFlight()).isZero();
  }
}
