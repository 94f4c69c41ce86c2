package dev.riprap.testing;

import dev.riprap.Fallback;
import dev.riprap.Policy;
import dev.riprap.ThrowingSupplier;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Runs one scenario through the sync and the async API alike (the habit of Failsafe's
 * {@code Testing#testGetInternal}). Async calls are driven by the fake clock until they finish.
 */
public enum Mode {
  SYNC {
    @Override
    public <T> Outcome<T> call(
        Policy policy, FakeTimeSource time, ThrowingSupplier<T, Exception> work, Fallback<T> fb) {
      try {
        return Outcome.ofResult(fb == null ? policy.call(work) : policy.call(work, fb));
      } catch (Throwable t) {
        return Outcome.ofFailure(t);
      }
    }
  },
  ASYNC {
    @Override
    public <T> Outcome<T> call(
        Policy policy, FakeTimeSource time, ThrowingSupplier<T, Exception> work, Fallback<T> fb) {
      CompletableFuture<T> future =
          fb == null ? policy.callAsync(() -> stage(work)) : policy.callAsync(() -> stage(work), fb);
      int steps = 0;
      while (!future.isDone()) {
        if (!time.advanceToNextTask() || ++steps > 100_000) {
          throw new AssertionError("async call did not finish and no timer is pending: " + future);
        }
      }
      try {
        return Outcome.ofResult(future.get());
      } catch (ExecutionException | CompletionException e) {
        return Outcome.ofFailure(e.getCause());
      } catch (InterruptedException | CancellationException e) {
        return Outcome.ofFailure(e);
      }
    }
  };

  /**
   * Calls {@code work} through {@code policy} and returns how it ended.
   *
   * @param policy the policy
   * @param time the policy's fake clock
   * @param work the work
   * @param fallback a per-call fallback, or null
   * @param <T> result type
   * @return the outcome
   */
  public abstract <T> Outcome<T> call(
      Policy policy, FakeTimeSource time, ThrowingSupplier<T, Exception> work, Fallback<T> fallback);

  public <T> Outcome<T> call(Policy policy, FakeTimeSource time, ThrowingSupplier<T, Exception> work) {
    return call(policy, time, work, null);
  }

  /** Runs sync work as one async attempt: a completed or failed stage. */
  public static <T> CompletableFuture<T> stage(ThrowingSupplier<T, Exception> work) {
    try {
      return CompletableFuture.completedFuture(work.get());
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** A call's result or failure. */
  public static final class Outcome<T> {
    public final T result;
    public final Throwable failure;

    private Outcome(T result, Throwable failure) {
      this.result = result;
      this.failure = failure;
    }

    static <T> Outcome<T> ofResult(T result) {
      return new Outcome<>(result, null);
    }

    static <T> Outcome<T> ofFailure(Throwable failure) {
      return new Outcome<>(null, failure);
    }

    @Override
    public String toString() {
      return failure != null ? "failure " + failure : "result " + result;
    }
  }
}
