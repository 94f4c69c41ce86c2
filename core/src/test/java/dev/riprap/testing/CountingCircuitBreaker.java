package dev.riprap.testing;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A resilience4j {@link CircuitBreaker} that counts the permissions a policy takes and gives back,
 * by delegation to a real breaker. A permission is taken by a {@code tryAcquirePermission()} that
 * returned {@code true} (or an {@code acquirePermission()} that returned); it is given back by a
 * {@code releasePermission()}, {@code onSuccess}, {@code onError} or {@code onResult} that returned.
 * A recording call that threw (a record predicate that throws) gave nothing back: the breaker
 * recorded nothing and, while half-open, still counts the permission as out. So after every call
 * has ended, {@link #taken()} equals {@link #givenBack()} exactly when each permission was given
 * back once.
 */
public final class CountingCircuitBreaker implements CircuitBreaker {
  private final CircuitBreaker delegate;
  private final LongAdder taken = new LongAdder();
  private final LongAdder givenBack = new LongAdder();

  /**
   * Counts the permissions taken from and given back to {@code delegate}.
   *
   * @param delegate the real breaker
   */
  public CountingCircuitBreaker(CircuitBreaker delegate) {
    this.delegate = delegate;
  }

  /**
   * A counting breaker over a new breaker made from {@code config}, reading {@code time}.
   *
   * @param name the breaker's name
   * @param config its config
   * @param time the fake clock its open-state wait follows
   * @return the counting breaker
   */
  public static CountingCircuitBreaker of(
      String name, CircuitBreakerConfig config, FakeTimeSource time) {
    return new CountingCircuitBreaker(
        CircuitBreaker.of(name, CircuitBreakerConfig.from(config).clock(time.clock()).build()));
  }

  /**
   * The breaker this one counts for; a test may drive its state without being counted.
   *
   * @return the real breaker
   */
  public CircuitBreaker delegate() {
    return delegate;
  }

  /**
   * Permissions taken so far.
   *
   * @return the count
   */
  public long taken() {
    return taken.sum();
  }

  /**
   * Permissions given back so far.
   *
   * @return the count
   */
  public long givenBack() {
    return givenBack.sum();
  }

  /** "taken 3, given back 4", for assertion messages. */
  @Override
  public String toString() {
    return "breaker " + delegate.getName() + " (" + delegate.getState() + "): taken " + taken()
        + ", given back " + givenBack();
  }

  @Override
  public boolean tryAcquirePermission() {
    boolean permitted = delegate.tryAcquirePermission();
    if (permitted) {
      taken.increment();
    }
    return permitted;
  }

  @Override
  public void acquirePermission() {
    delegate.acquirePermission();
    taken.increment();
  }

  @Override
  public void releasePermission() {
    delegate.releasePermission();
    givenBack.increment();
  }

  @Override
  public void onError(long duration, TimeUnit durationUnit, Throwable throwable) {
    delegate.onError(duration, durationUnit, throwable);
    givenBack.increment();
  }

  @Override
  public void onSuccess(long duration, TimeUnit durationUnit) {
    delegate.onSuccess(duration, durationUnit);
    givenBack.increment();
  }

  @Override
  public void onResult(long duration, TimeUnit durationUnit, Object result) {
    delegate.onResult(duration, durationUnit, result);
    givenBack.increment();
  }

  @Override
  public void reset() {
    delegate.reset();
  }

  @Override
  public void transitionToClosedState() {
    delegate.transitionToClosedState();
  }

  @Override
  public void transitionToOpenState() {
    delegate.transitionToOpenState();
  }

  @Override
  public void transitionToOpenStateFor(Duration waitDuration) {
    delegate.transitionToOpenStateFor(waitDuration);
  }

  @Override
  public void transitionToOpenStateUntil(Instant waitUntil) {
    delegate.transitionToOpenStateUntil(waitUntil);
  }

  @Override
  public void transitionToHalfOpenState() {
    delegate.transitionToHalfOpenState();
  }

  @Override
  public void transitionToDisabledState() {
    delegate.transitionToDisabledState();
  }

  @Override
  public void transitionToMetricsOnlyState() {
    delegate.transitionToMetricsOnlyState();
  }

  @Override
  public void transitionToForcedOpenState() {
    delegate.transitionToForcedOpenState();
  }

  @Override
  public String getName() {
    return delegate.getName();
  }

  @Override
  public State getState() {
    return delegate.getState();
  }

  @Override
  public CircuitBreakerConfig getCircuitBreakerConfig() {
    return delegate.getCircuitBreakerConfig();
  }

  @Override
  public Metrics getMetrics() {
    return delegate.getMetrics();
  }

  @Override
  public Map<String, String> getTags() {
    return delegate.getTags();
  }

  @Override
  public EventPublisher getEventPublisher() {
    return delegate.getEventPublisher();
  }

  @Override
  public long getCurrentTimestamp() {
    return delegate.getCurrentTimestamp();
  }

  @Override
  public TimeUnit getTimestampUnit() {
    return delegate.getTimestampUnit();
  }
}
