package dev.riprap.bucket4j;

import dev.riprap.Cancellable;
import dev.riprap.Durations;
import dev.riprap.ExternalLimiter;
import dev.riprap.TimeSource;
import dev.riprap.event.EventStream;
import dev.riprap.event.LimiterModeChanged.Mode;
import dev.riprap.internal.Check;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimization;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * A fleet-wide rate limit: one Bucket4j bucket in a shared store (Redis through Lettuce by
 * default, see {@link RedisStores}; any Bucket4j {@link ProxyManager} works) that every replica's
 * policy asks, one token per attempt. Put it in a policy's limiter slot:
 *
 * <pre>{@code
 * ProxyManager<String> store = RedisStores.lettuce(RedisStores.connect(redisClient));
 * DistributedLimiter quota = DistributedLimiter.builder(store, "riprap:geocoder")
 *     .limit(100, Duration.ofSeconds(1))   // 100 calls a second for the whole fleet
 *     .replicas(3)                         // the local fallback's share: 34 a second each
 *     .build();
 * Policy geocoder = Policy.builder("geocoder").rateLimiter(quota).build();
 * }</pre>
 *
 * <p>(The same as {@code docs/distributed-rate-limit.md}, run by the module's DocSnippetsTest.)
 *
 * <p><b>Answers.</b> A token now, or a refusal at once ({@code RATE_LIMITED}): the limiter never
 * queues calls. Sync calls wait for the store's answer on the caller's thread, at most the store
 * timeout (and never past the call's deadline); async calls use Bucket4j's async API and no thread
 * waits for the store (a store without async support is asked on {@link
 * Builder#blockingExecutor}).
 *
 * <p><b>Store failures are decided by configuration.</b> Every store request has a short timeout
 * ({@link Builder#storeTimeout}, 50 ms by default). A breaker around the store ({@link
 * #storeBreaker()}) opens on failures, so that an outage costs about one timeout, not one per call;
 * it lets one request through again after {@link Builder#storeRetryInterval} (1 s). While the store
 * cannot answer, the {@link FailMode} decides: a local limiter at this replica's share of the quota
 * (the default), allow all, or reject all. Each change of who decides is published to the event
 * stream of every policy built with this limiter as a {@link dev.riprap.event.LimiterModeChanged}, with the reason;
 * {@link #mode()} reads the current one.
 *
 * <p><b>Hot keys.</b> Bucket4j's batching optimization is on by default: concurrent requests of
 * one replica to the same key are merged into one store round trip, so one hot key does not turn
 * into a queue of compare-and-swap retries ({@link Builder#optimization}).
 *
 * <p>Immutable settings, thread-safe; one instance serves any number of policies and threads.
 */
// Size: the limiter (sync and async asks of the store) and its nested public Builder, which users
// name as DistributedLimiter.Builder; the store's health (breaker, fail mode, mode events) is in
// StoreGuard.
public final class DistributedLimiter implements ExternalLimiter {
  /**
   * A Redis round trip within one data centre takes about a millisecond; 50 ms leaves room for a
   * busy server or a pause, and bounds what one failing request adds to a call (Lettuce's own
   * default command timeout is 60 s).
   */
  public static final Duration DEFAULT_STORE_TIMEOUT = Duration.ofMillis(50);

  /** How long the store breaker stays open before one request tries the store again. */
  public static final Duration DEFAULT_STORE_RETRY_INTERVAL = Duration.ofSeconds(1);

  /** The longest store timeout accepted: anything longer is not a short timeout. */
  static final Duration MAX_STORE_TIMEOUT = Duration.ofMinutes(1);

  private final String description;
  private final BucketProxy syncBucket;
  private final AsyncBucketProxy asyncBucket;
  private final long storeTimeoutNanos;
  private final Duration storeTimeout;
  private final StoreGuard guard;
  private final TimeSource time;
  private final Executor blockingExecutor;

  private <K> DistributedLimiter(Builder<K> b) {
    BucketConfiguration shared = b.configuration;
    this.description = "distributed limiter '" + b.key + "' (" + describe(shared) + ")";
    this.storeTimeout = b.storeTimeout;
    this.storeTimeoutNanos = b.storeTimeout.toNanos();
    this.time = b.time;
    this.blockingExecutor = b.blockingExecutor;
    Bucket local = b.failMode == FailMode.LOCAL
        ? Bucket.builder().addLimit(b.localBandwidth()).withCustomTimePrecision(meter(b.time))
            .build()
        : null;
    this.guard = new StoreGuard(description, CircuitBreaker.of("store of " + b.key,
        b.breakerConfig()), b.failMode, local, b.time, b.storeTimeout);
    if (b.store.isAsyncModeSupported()) {
      var builder = b.store.asAsync().builder();
      if (b.optimization != null) {
        builder = builder.withOptimization(b.optimization);
      }
      this.asyncBucket = builder.build(b.key, shared);
      this.syncBucket = null;
    } else {
      var builder = b.store.builder();
      if (b.optimization != null) {
        builder = builder.withOptimization(b.optimization);
      }
      this.syncBucket = builder.build(b.key, shared);
      this.asyncBucket = null;
    }
  }

  /**
   * Starts a builder for the bucket {@code key} of {@code store}. Every replica that builds a
   * limiter with the same store and key shares one quota.
   *
   * @param store the Bucket4j proxy manager of the shared store
   * @param key the bucket's key in the store
   * @param <K> the store's key type
   * @return a builder
   * @throws NullPointerException if an argument is null
   */
  public static <K> Builder<K> builder(ProxyManager<K> store, K key) {
    return new Builder<>(Check.notNull(store, "store"), Check.notNull(key, "key"));
  }

  // ---------------------------------------------------------------- ExternalLimiter

  /**
   * Takes a token from the shared bucket, waiting for the store at most the store timeout and
   * never past {@code remainingNanos}.
   *
   * @return {@code 0} for a token, {@link #REFUSED} when the quota is used up (or the fail mode
   *     refuses), {@code remainingNanos} (at least 0) when the call's deadline came before the
   *     store answered
   * @throws InterruptedException if the caller is interrupted while the store answers
   * @throws Error what the store threw, if an {@link Error}: recorded with the store breaker as a
   *     failed request first (whatever else the store throws, or a null answer, is a failed
   *     request and the fail mode answers)
   */
  @Override
  public long acquire(long remainingNanos) throws InterruptedException {
    if (!guard.permitted()) {
      return guard.failModeAnswer();
    }
    long start = time.nanoTime();
    if (asyncBucket == null) {
      // A store without async support: its own request timeout bounds this call.
      boolean token;
      try {
        token = syncBucket.tryConsume(1);
      } catch (Throwable e) {
        return guard.thrown(start, e);
      }
      guard.answered(start);
      return token ? 0 : REFUSED;
    }
    CompletableFuture<Boolean> answer;
    try {
      answer = asyncBucket.tryConsume(1);
    } catch (Throwable e) {
      return guard.thrown(start, e);
    }
    if (answer == null) {
      return guard.failed(start, nullStage());
    }
    if (!answer.isDone()) {
      long limit = Math.min(storeTimeoutNanos, Math.max(0, remainingNanos));
      CountDownLatch done = new CountDownLatch(1);
      answer.whenComplete((v, t) -> done.countDown());
      boolean answered;
      try {
        answered = time.await(done, limit);
      } catch (InterruptedException e) {
        guard.notAsked();
        throw e;
      }
      if (!answered) {
        if (limit < storeTimeoutNanos) {
          // The call's deadline, not the store, ran out: nothing to hold against the store. A
          // deadline already past answers 0 left, never a negative number (a refusal).
          guard.notAsked();
          return Math.max(0, remainingNanos);
        }
        return guard.failed(start, guard.timedOut());
      }
    }
    Boolean token;
    try {
      token = answer.join();
    } catch (CompletionException | CancellationException e) {
      return guard.failed(start, e.getCause() != null ? e.getCause() : e);
    }
    if (token == null) {
      return guard.failed(start, nullAnswer());
    }
    guard.answered(start);
    return token ? 0 : REFUSED;
  }

  /**
   * Takes a token from the shared bucket without blocking: the stage completes when the store
   * answers, or with the fail mode's answer when it fails or does not answer within the store
   * timeout. Cancelling the stage does not cancel the store request; its outcome still feeds the
   * store breaker. A store that throws or answers null is a failed request; an {@link Error} it
   * throws is recorded so and then thrown from here.
   */
  @Override
  public CompletionStage<Long> acquireAsync(long remainingNanos) {
    if (!guard.permitted()) {
      return CompletableFuture.completedFuture(guard.failModeAnswer());
    }
    Ask ask = new Ask(time.nanoTime());
    CompletableFuture<Boolean> answer;
    try {
      ask.timer = time.schedule(ask, storeTimeoutNanos);
      answer = asyncBucket != null
          ? asyncBucket.tryConsume(1)
          : CompletableFuture.supplyAsync(() -> syncBucket.tryConsume(1), blockingExecutor);
    } catch (Throwable e) {
      ask.accept(null, e);
      if (e instanceof Error) {
        // Recorded with the store breaker; the call fails with it, visibly.
        throw (Error) e;
      }
      return ask;
    }
    if (answer == null) {
      ask.accept(null, nullStage());
      return ask;
    }
    answer.whenComplete(ask);
    return ask;
  }

  private static NullPointerException nullStage() {
    return new NullPointerException("the store answered a null stage");
  }

  private static NullPointerException nullAnswer() {
    return new NullPointerException("the store answered null");
  }

  /**
   * Tells this limiter about a policy built with it: its mode changes are published to the
   * policy's event stream from now on.
   */
  @Override
  public void attach(
      String policy, Map<String, String> tags, EventStream events, TimeSource timeSource) {
    guard.attach(policy, tags, events, timeSource);
  }

  /**
   * One async store request: completed once, by the store's answer or by the timeout, whichever
   * comes first; the one that comes first also records the outcome with the store breaker, so
   * the breaker's permission is given back exactly once, even when the caller cancelled the stage.
   */
  private final class Ask extends CompletableFuture<Long>
      implements Runnable, BiConsumer<Boolean, Throwable> {
    private final long start;
    private final AtomicInteger settled = new AtomicInteger();
    volatile Cancellable timer;

    Ask(long start) {
      this.start = start;
    }

    /** The store timeout. */
    @Override
    public void run() {
      if (settled.compareAndSet(0, 1)) {
        complete(guard.failed(start, guard.timedOut()));
      }
    }

    /** The store's answer. */
    @Override
    public void accept(Boolean token, Throwable failure) {
      if (!settled.compareAndSet(0, 1)) {
        return;
      }
      Cancellable t = timer;
      if (t != null) {
        t.cancel();
      }
      if (failure != null || token == null) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause() : failure;
        complete(guard.failed(start, cause != null ? cause : nullAnswer()));
      } else {
        guard.answered(start);
        complete(token ? 0L : REFUSED);
      }
    }
  }

  // ---------------------------------------------------------------- accessors

  /**
   * Who decides the permits now: the shared store, or the fail mode while the store cannot answer.
   *
   * @return the mode in force
   */
  public Mode mode() {
    return guard.mode();
  }

  /**
   * The breaker around the store, a resilience4j breaker (bind it to metrics with
   * resilience4j-micrometer, or read its state).
   *
   * @return the store breaker
   */
  public CircuitBreaker storeBreaker() {
    return guard.breaker();
  }

  /**
   * The fail mode.
   *
   * @return what decides while the store cannot answer
   */
  public FailMode failMode() {
    return guard.failMode();
  }

  /**
   * The timeout of each store request.
   *
   * @return the store timeout
   */
  public Duration storeTimeout() {
    return storeTimeout;
  }

  @Override
  public String toString() {
    return description;
  }

  private static String describe(BucketConfiguration c) {
    StringBuilder s = new StringBuilder();
    for (Bandwidth b : c.getBandwidths()) {
      if (s.length() > 0) {
        s.append(", ");
      }
      s.append(b.getRefillTokens()).append(" per ")
          .append(Durations.format(Duration.ofNanos(b.getRefillPeriodNanos())))
          .append(", burst ").append(b.getCapacity());
    }
    return s.toString();
  }

  /** Bucket4j's clock on a Riprap time source, so that tests drive the local bucket too. */
  static TimeMeter meter(TimeSource time) {
    return new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        return time.nanoTime();
      }

      @Override
      public boolean isWallClockBased() {
        return false;
      }
    };
  }

  // ---------------------------------------------------------------- builder

  /**
   * Builds a {@link DistributedLimiter}. Each setter checks its argument at once and throws
   * {@link IllegalArgumentException} naming it, its value and what was expected; {@link #build()}
   * checks the settings together. Not thread-safe.
   *
   * @param <K> the store's key type
   */
  public static final class Builder<K> {
    private final ProxyManager<K> store;
    private final K key;
    private BucketConfiguration configuration;
    private long permits;
    private Duration period;
    private long localPermits;
    private Duration localPeriod;
    private int replicas = 1;
    private Duration storeTimeout = DEFAULT_STORE_TIMEOUT;
    private Duration storeRetryInterval = DEFAULT_STORE_RETRY_INTERVAL;
    private CircuitBreakerConfig storeBreaker;
    private FailMode failMode = FailMode.LOCAL;
    private Optimization optimization = Optimizations.batching();
    private TimeSource time = TimeSource.system();
    private Executor blockingExecutor = ForkJoinPool.commonPool();

    private Builder(ProxyManager<K> store, K key) {
      this.store = store;
      this.key = key;
    }

    /**
     * The fleet-wide quota: {@code permits} attempts per {@code period}, refilled smoothly
     * (Bucket4j's greedy refill), with a burst of up to {@code permits}. Required, unless {@link
     * #configuration} is given.
     *
     * @param permits attempts per period, at least 1 and at most one per nanosecond of the period
     *     (Bucket4j's fastest refill)
     * @param period the period, positive, at most 36,500 days
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     */
    public Builder<K> limit(long permits, Duration period) {
      Check.requireArgument(permits >= 1, "permits", ">= 1", permits);
      Check.between(period, Duration.ofNanos(1), Check.LONGEST, "period");
      requireRate(permits, period, "permits", "period");
      this.permits = permits;
      this.period = period;
      this.configuration = BucketConfiguration.builder()
          .addLimit(l -> l.capacity(permits).refillGreedy(permits, period)).build();
      return this;
    }

    /** Bucket4j refills at most one token a nanosecond; anything faster is refused here. */
    private static void requireRate(long permits, Duration period, String name, String periodName) {
      Check.requireArgument(permits <= period.toNanos(), name,
          "at most one per nanosecond of " + periodName + " (" + Durations.format(period)
              + ": at most " + period.toNanos() + ")", permits);
    }

    /**
     * A Bucket4j configuration of the shared bucket, for what {@link #limit} does not say
     * (several bandwidths, interval refill). The local fallback then needs {@link #localLimit}.
     *
     * @param configuration the shared bucket's configuration
     * @return this builder
     * @throws NullPointerException if {@code configuration} is null
     */
    public Builder<K> configuration(BucketConfiguration configuration) {
      this.configuration = Check.notNull(configuration, "configuration");
      this.permits = 0;
      this.period = null;
      return this;
    }

    /**
     * How many replicas share the quota, for the local fallback's share: each replica's local
     * limiter allows {@code ceil(permits / replicas)} per period while the store cannot answer,
     * spread over the period (a burst of a tenth of the share at most).
     * Default 1 (the whole quota per replica: set it, or {@link #localLimit}, to the size of the
     * fleet).
     *
     * @param replicas at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code replicas} is below 1
     */
    public Builder<K> replicas(int replicas) {
      this.replicas = Check.atLeast(replicas, 1, "replicas");
      return this;
    }

    /**
     * The local fallback's limit, instead of the share {@link #replicas} computes: {@code permits}
     * per {@code period}, spread over the period (a burst of a tenth of them at most).
     *
     * @param permits attempts per period, at least 1 and at most one per nanosecond of the period
     * @param period the period, positive, at most 36,500 days
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     */
    public Builder<K> localLimit(long permits, Duration period) {
      Check.requireArgument(permits >= 1, "localPermits", ">= 1", permits);
      Check.between(period, Duration.ofNanos(1), Check.LONGEST, "localPeriod");
      requireRate(permits, period, "localPermits", "localPeriod");
      this.localPermits = permits;
      this.localPeriod = period;
      return this;
    }

    /**
     * The timeout of each store request. Default {@link #DEFAULT_STORE_TIMEOUT} (50 ms).
     *
     * @param timeout positive, at most 1 minute
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder<K> storeTimeout(Duration timeout) {
      this.storeTimeout = Check.between(timeout, Duration.ofNanos(1), MAX_STORE_TIMEOUT,
          "storeTimeout");
      return this;
    }

    /**
     * How long the store breaker stays open before one request tries the store again. Default
     * {@link #DEFAULT_STORE_RETRY_INTERVAL} (1 s).
     *
     * @param interval between 1 ms and 1 hour
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder<K> storeRetryInterval(Duration interval) {
      this.storeRetryInterval = Check.between(interval, Duration.ofMillis(1), Duration.ofHours(1),
          "storeRetryInterval");
      return this;
    }

    /**
     * The store breaker's own configuration, replacing the default: open at the first failed or
     * timed-out request (a count-based window of one request), so that an outage costs one store
     * timeout; one probe after {@link #storeRetryInterval}, and closed again when it succeeds. Its
     * clock is set to the builder's time source.
     *
     * @param config the breaker configuration
     * @return this builder
     * @throws NullPointerException if {@code config} is null
     */
    public Builder<K> storeBreaker(CircuitBreakerConfig config) {
      this.storeBreaker = Check.notNull(config, "config");
      return this;
    }

    /**
     * What decides while the store cannot answer. Default {@link FailMode#LOCAL}.
     *
     * @param mode the fail mode
     * @return this builder
     * @throws NullPointerException if {@code mode} is null
     */
    public Builder<K> failMode(FailMode mode) {
      this.failMode = Check.notNull(mode, "mode");
      return this;
    }

    /**
     * The Bucket4j optimization of the store requests; {@code null} for none. Default {@link
     * Optimizations#batching()}: concurrent requests of this replica for the key share one round
     * trip. {@link Optimizations#delaying} trades a bounded error for fewer round trips.
     *
     * @param optimization the optimization, or null
     * @return this builder
     */
    public Builder<K> optimization(Optimization optimization) {
      this.optimization = optimization;
      return this;
    }

    /**
     * The time source of the store timeout, the store breaker and the local fallback. Default
     * {@link TimeSource#system()}.
     *
     * @param timeSource the time source
     * @return this builder
     * @throws NullPointerException if {@code timeSource} is null
     */
    public Builder<K> timeSource(TimeSource timeSource) {
      this.time = Check.notNull(timeSource, "timeSource");
      return this;
    }

    /**
     * Where async calls ask a store that has no async support (JDBC, say), blocking one of its
     * threads per request. Unused for Redis. Default the common fork-join pool.
     *
     * @param executor the executor
     * @return this builder
     * @throws NullPointerException if {@code executor} is null
     */
    public Builder<K> blockingExecutor(Executor executor) {
      this.blockingExecutor = Check.notNull(executor, "executor");
      return this;
    }

    /**
     * Builds the limiter.
     *
     * @return the limiter
     * @throws IllegalStateException if no limit was set, or a configuration was given without a
     *     local limit for the {@link FailMode#LOCAL} fallback
     */
    public DistributedLimiter build() {
      Check.requireState(configuration != null,
          "Distributed limiter '%s': no limit set (limit(permits, period) or configuration(..))",
          key);
      Check.requireState(failMode != FailMode.LOCAL || localPermits > 0 || permits > 0,
          "Distributed limiter '%s': a custom configuration needs localLimit(permits, period) for"
              + " the LOCAL fail mode",
          key);
      return new DistributedLimiter(this);
    }

    /**
     * The local fallback: its share per period, refilled smoothly, with a burst of a tenth of it.
     * The local bucket fills up while the store answers, so a full-size burst would come on top
     * of what the shared bucket already passed at the moment the store fails.
     */
    private Bandwidth localBandwidth() {
      long p = localPermits > 0 ? localPermits : (permits + replicas - 1) / replicas;
      Duration d = localPermits > 0 ? localPeriod : period;
      long burst = Math.max(1, (p + 9) / 10);
      return Bandwidth.builder().capacity(burst).refillGreedy(p, d).build();
    }

    private CircuitBreakerConfig breakerConfig() {
      CircuitBreakerConfig.Builder b = storeBreaker != null
          ? CircuitBreakerConfig.from(storeBreaker)
          : CircuitBreakerConfig.custom()
              .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
              .slidingWindowSize(1)
              .minimumNumberOfCalls(1)
              .failureRateThreshold(100)
              .permittedNumberOfCallsInHalfOpenState(1)
              .waitDurationInOpenState(storeRetryInterval);
      return b.clock(time.clock()).build();
    }
  }
}
