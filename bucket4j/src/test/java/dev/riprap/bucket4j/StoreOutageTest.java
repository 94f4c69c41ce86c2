package dev.riprap.bucket4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.event.LimiterModeChanged;
import dev.riprap.event.LimiterModeChanged.Mode;
import dev.riprap.testing.FakeTimeSource;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Redis stopped in the middle of a run and started again, on a real server: each fail mode
 * decides while the store cannot answer, no call waits past the store timeout (measured on the
 * limiter's fake clock, which the timeouts run on), the store breaker makes the outage cost one
 * timeout, the mode changes are published with their reasons even to listeners that throw, and
 * the shared quota decides again once Redis is back.
 */
class StoreOutageTest {
  private static final Duration STORE_TIMEOUT = Duration.ofMillis(50);
  private static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);

  private final FakeTimeSource time = new FakeTimeSource();
  private final ConcurrentLinkedQueue<LimiterModeChanged> changes = new ConcurrentLinkedQueue<>();
  private LocalRedis redis;
  private StatefulRedisConnection<String, byte[]> connection;

  @BeforeEach
  void startRedis() {
    redis = LocalRedis.start();
    connection = redis.connection();
  }

  @AfterEach
  void stopRedis() {
    redis.close();
  }

  private DistributedLimiter limiter(FailMode failMode) {
    return DistributedLimiter.builder(RedisStores.lettuce(connection), "outage")
        .configuration(SharedQuotaTest.perHour(100))
        // 20 an hour, a burst of 2: the first two calls of the outage pass, then none.
        .localLimit(20, Duration.ofHours(1))
        .failMode(failMode)
        .storeTimeout(STORE_TIMEOUT)
        .storeRetryInterval(RETRY_INTERVAL)
        .timeSource(time)
        .build();
  }

  private Policy policy(DistributedLimiter limiter) {
    Policy policy = Policy.builder("upstream").timeSource(time).rateLimiter(limiter).build();
    // User code that throws, Error included, changes nothing: the next listener still hears.
    policy.events().subscribe(e -> {
      throw new AssertionError("a listener that throws");
    });
    policy.events().subscribe(LimiterModeChanged.class, changes::add);
    return policy;
  }

  /** Stops Redis and waits until the client has noticed, so that commands queue unanswered. */
  private void stopRedisAndAwaitDisconnect() {
    redis.stopServer();
    await().atMost(30, TimeUnit.SECONDS).until(() -> !connection.isOpen());
  }

  private static String syncCall(Policy policy) {
    try {
      return policy.call(() -> "ran");
    } catch (RejectedException e) {
      assertThat(e.reason()).isEqualTo(RejectionReason.RATE_LIMITED);
      return "rate limited";
    }
  }

  private static String asyncCall(Policy policy) throws Exception {
    try {
      return policy.callAsync(() -> CompletableFuture.completedFuture("ran"))
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(RejectedException.class);
      assertThat(((RejectedException) e.getCause()).reason())
          .isEqualTo(RejectionReason.RATE_LIMITED);
      return "rate limited";
    }
  }

  @ParameterizedTest
  @EnumSource(FailMode.class)
  void whileRedisIsDownTheFailModeDecidesAfterOneStoreTimeoutAndTheQuotaIsBackWithRedis(
      FailMode failMode) throws Exception {
    DistributedLimiter limiter = limiter(failMode);
    Policy policy = policy(limiter);
    // While Redis is up, calls are async: a sync call waits for the store on the limiter's clock,
    // and this fake clock does not wait for a real server (it would time out at once).
    assertThat(asyncCall(policy)).isEqualTo("ran");
    assertThat(asyncCall(policy)).isEqualTo("ran");

    stopRedisAndAwaitDisconnect();
    List<String> down = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      down.add(syncCall(policy));
    }
    down.add(asyncCall(policy));

    // The first call waited the store timeout and no longer; the breaker then answered at once.
    assertThat(time.waits()).containsExactly(STORE_TIMEOUT);
    assertThat(time.nanoTime()).isEqualTo(STORE_TIMEOUT.toNanos());
    assertThat(limiter.storeBreaker().getState()).isEqualTo(
        io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN);
    switch (failMode) {
      case LOCAL:
        assertThat(down).containsExactly("ran", "ran", "rate limited", "rate limited");
        assertThat(limiter.mode()).isEqualTo(Mode.LOCAL);
        break;
      case ALLOW:
        assertThat(down).containsOnly("ran").hasSize(4);
        assertThat(limiter.mode()).isEqualTo(Mode.ALLOW);
        break;
      default:
        assertThat(down).containsOnly("rate limited").hasSize(4);
        assertThat(limiter.mode()).isEqualTo(Mode.REJECT);
        break;
    }
    assertThat(changes).singleElement().satisfies(c -> {
      assertThat(c.policy()).isEqualTo("upstream");
      assertThat(c.mode()).isEqualTo(limiter.mode());
      assertThat(c.reason()).isEqualTo("store did not answer within 50ms");
      assertThat(c.limiter()).isEqualTo(
          "distributed limiter 'outage' (100 per 1h, burst 100)");
    });

    redis.startServer();
    // The breaker opened at 50ms and lets a probe through once its interval has passed.
    time.advance(RETRY_INTERVAL.plusNanos(1));
    // One probe goes to the store once the client has reconnected; the restarted Redis lost the
    // bucket, so it starts full again (a documented trade-off of a store without persistence).
    assertThat(asyncCall(policy)).isEqualTo("ran");
    assertThat(limiter.mode()).isEqualTo(Mode.SHARED);
    assertThat(changes).hasSize(2).last().satisfies(c -> {
      assertThat(c.mode()).isEqualTo(Mode.SHARED);
      assertThat(c.reason()).isEqualTo("store answered again");
      assertThat(c.cause()).isNull();
    });
    assertThat(asyncCall(policy)).isEqualTo("ran");
    assertThat(limiter.storeBreaker().getState()).isEqualTo(
        io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED);
  }

  @Test
  void anAsyncCallWhoseStoreDoesNotAnswerEndsAtTheStoreTimeoutAndNotBefore() throws Exception {
    DistributedLimiter limiter = limiter(FailMode.ALLOW);
    Policy policy = policy(limiter);
    stopRedisAndAwaitDisconnect();

    CompletableFuture<String> call =
        policy.callAsync(() -> CompletableFuture.completedFuture("ran"));
    time.advance(STORE_TIMEOUT.minusNanos(1));
    assertThat(call).isNotDone();
    time.advance(Duration.ofNanos(1));

    assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo("ran");
    assertThat(limiter.mode()).isEqualTo(Mode.ALLOW);
    assertThat(changes).singleElement()
        .satisfies(c -> assertThat(c.cause()).isInstanceOf(
            java.util.concurrent.TimeoutException.class));
  }

  @Test
  void closingTheConnectionWhileAnAsyncCallWaitsEndsItByTheFailModeWithoutTheTimeout()
      throws Exception {
    DistributedLimiter limiter = limiter(FailMode.REJECT);
    Policy policy = policy(limiter);
    stopRedisAndAwaitDisconnect();
    CompletableFuture<String> call =
        policy.callAsync(() -> CompletableFuture.completedFuture("ran"));
    assertThat(call).isNotDone();

    // The application shuts its store client down while the call waits for Redis.
    connection.close();

    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
        ExecutionException.class, () -> call.get(30, TimeUnit.SECONDS));
    assertThat(e.getCause()).isInstanceOfSatisfying(RejectedException.class,
        r -> assertThat(r.reason()).isEqualTo(RejectionReason.RATE_LIMITED));
    assertThat(time.nanoTime()).isZero();
    assertThat(limiter.mode()).isEqualTo(Mode.REJECT);
    assertThat(changes).singleElement()
        .satisfies(c -> assertThat(c.reason()).startsWith("store failed: "));
  }

  @Test
  void theCallsDeadlineBoundsTheWaitForTheStoreWithoutBlamingTheStore() {
    DistributedLimiter limiter = limiter(FailMode.REJECT);
    Policy policy = Policy.builder("upstream").timeSource(time).rateLimiter(limiter)
        .totalTimeout(Duration.ofMillis(20)).build();
    stopRedisAndAwaitDisconnect();

    RejectedException e = org.junit.jupiter.api.Assertions.assertThrows(
        RejectedException.class, () -> policy.call(() -> "ran"));

    assertThat(e.reason()).isEqualTo(RejectionReason.TIMED_OUT);
    assertThat(time.waits()).containsExactly(Duration.ofMillis(20));
    assertThat(limiter.mode()).isEqualTo(Mode.SHARED);
    assertThat(limiter.storeBreaker().getMetrics().getNumberOfFailedCalls()).isZero();
  }
}
