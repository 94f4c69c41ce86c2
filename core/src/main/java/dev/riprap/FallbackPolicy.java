package dev.riprap;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A {@link Policy} with a typed {@link Fallback} as its outermost layer, made by {@link
 * Policy#withFallback(Fallback)}. Reusable for every call that returns a {@code T}; the fallback
 * sees every failure the policy produces, rejections and timeouts included.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <T> the result type
 */
public final class FallbackPolicy<T> {
  private final Policy policy;
  private final Fallback<T> fallback;

  FallbackPolicy(Policy policy, Fallback<T> fallback) {
    this.policy = policy;
    this.fallback = fallback;
  }

  /**
   * The policy inside the fallback.
   *
   * @return the policy
   */
  public Policy policy() {
    return policy;
  }

  /**
   * The fallback.
   *
   * @return the fallback
   */
  public Fallback<T> fallback() {
    return fallback;
  }

  /**
   * Calls {@code work} through the policy; failures the fallback handles produce its result.
   *
   * @param work the work
   * @param <E> the work's checked exception
   * @return the work's or the fallback's result
   * @throws E the work's own exception when the fallback does not handle it
   * @throws RejectedException a rejection the fallback does not handle
   */
  public <E extends Throwable> T call(ThrowingSupplier<? extends T, E> work) throws E {
    return policy.call(work, fallback);
  }

  /**
   * Attempt-aware form of {@link #call(ThrowingSupplier)}.
   *
   * @param work the work
   * @param <E> the work's checked exception
   * @return the work's or the fallback's result
   * @throws E the work's own exception when the fallback does not handle it
   */
  public <E extends Throwable> T execute(AttemptFunction<? extends T, E> work) throws E {
    return policy.execute(work, fallback);
  }

  /**
   * Async form of {@link #call(ThrowingSupplier)}; see {@link Policy#callAsync(Supplier)}.
   *
   * @param work supplies one attempt's stage
   * @return a future of the work's or the fallback's result
   */
  public CompletableFuture<T> callAsync(Supplier<? extends CompletionStage<? extends T>> work) {
    return policy.callAsync(work, fallback);
  }

  /**
   * A supplier that calls {@code supplier} through this policy.
   *
   * @param supplier the supplier
   * @return the resilient supplier
   */
  public Supplier<T> decorateSupplier(Supplier<? extends T> supplier) {
    Objects.requireNonNull(supplier, "supplier");
    return () -> call(supplier::get);
  }

  /**
   * A callable that calls {@code callable} through this policy.
   *
   * @param callable the callable
   * @return the resilient callable
   */
  public Callable<T> decorateCallable(Callable<? extends T> callable) {
    Objects.requireNonNull(callable, "callable");
    return () -> call(callable::call);
  }

  /**
   * A function that applies {@code function} through this policy.
   *
   * @param function the function
   * @param <A> the argument type
   * @return the resilient function
   */
  public <A> Function<A, T> decorateFunction(Function<? super A, ? extends T> function) {
    Objects.requireNonNull(function, "function");
    return a -> call(() -> function.apply(a));
  }
}
