package dev.riprap.testing;

import dev.riprap.Fallback;
import dev.riprap.Policy;
import dev.riprap.ThrowingSupplier;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one scenario through the sync and the async API alike (the habit of Failsafe's
 * {@code Testing#testGetInternal}). Async calls are driven by the fake clock until they finish;
 * {@link #callInRealTime} runs a call on real time and threads instead.
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

    @Override
    public <T> Outcome<T> callUnanswered(Policy policy, FakeTimeSource time) {
      return call(policy, time, () -> {
        // Ends only when a timeout interrupts it, or after a fake year.
        time.sleep(Duration.ofDays(365));
        return null;
      });
    }

    @Override
    public <T> Outcome<T> callInRealTime(Policy policy, ThrowingSupplier<T, Exception> work) {
      try {
        return Outcome.ofResult(policy.call(work));
      } catch (Throwable t) {
        return Outcome.ofFailure(t);
      }
    }
  },
  ASYNC {
    @Override
    public <T> Outcome<T> call(
        Policy policy, FakeTimeSource time, ThrowingSupplier<T, Exception> work, Fallback<T> fb) {
      CompletableFuture<T> future;
      try {
        future = fb == null
            ? policy.callAsync(() -> stage(work))
            : policy.callAsync(() -> stage(work), fb);
      } catch (Throwable t) {
        throw new AssertionError("callAsync threw instead of returning a future: " + t, t);
      }
      return await(future, time);
    }

    @Override
    public <T> Outcome<T> callUnanswered(Policy policy, FakeTimeSource time) {
      return await(policy.callAsync(CompletableFuture<T>::new), time);
    }

    @Override
    public <T> Outcome<T> callInRealTime(Policy policy, ThrowingSupplier<T, Exception> work) {
      CompletableFuture<T> future = policy.callAsync(() -> stage(work));
      try {
        return outcome(future, REAL_TIME_LIMIT_SECONDS, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError(
            "async call did not finish in " + REAL_TIME_LIMIT_SECONDS + " s: " + future);
      }
    }
  };

  /** Only turns a hung real-time call into a failure; nothing measures it. */
  private static final long REAL_TIME_LIMIT_SECONDS = 60;

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

  /**
   * Calls work that never answers: a sync attempt sleeps on the fake clock until a timeout
   * interrupts it; an async attempt's stage never completes.
   *
   * @param policy the policy
   * @param time the policy's fake clock
   * @param <T> result type
   * @return the outcome
   */
  public abstract <T> Outcome<T> callUnanswered(Policy policy, FakeTimeSource time);

  /**
   * Calls {@code work} through a policy on real time (the system time source or real threads):
   * the async call is awaited, at most a minute, which only turns a hang into a failure.
   *
   * @param policy the policy
   * @param work the work
   * @param <T> result type
   * @return the outcome
   */
  public abstract <T> Outcome<T> callInRealTime(Policy policy, ThrowingSupplier<T, Exception> work);

  /**
   * Drives the fake clock, task by task, until {@code future} is done, and returns how it ended.
   *
   * @param future an async call's future
   * @param time the policy's fake clock
   * @param <T> result type
   * @return the outcome
   * @throws AssertionError if the future is not done and no timer task is left to run
   */
  public static <T> Outcome<T> await(CompletableFuture<T> future, FakeTimeSource time) {
    int steps = 0;
    while (!future.isDone()) {
      boolean ran;
      try {
        ran = time.advanceToNextTask();
      } catch (Throwable t) {
        throw new AssertionError("a timer task of the call threw: " + t, t);
      }
      if (!ran || ++steps > 100_000) {
        throw new AssertionError("async call did not finish and no timer is pending: " + future);
      }
    }
    try {
      return outcome(future, 0, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("unreachable: the future is done", e);
    }
  }

  /**
   * How a future ended: its value, or its failure unwrapped from {@code ExecutionException}.
   *
   * @param future a future that is done, or will be within the limit
   * @param limit how long to wait for it
   * @param unit the unit of {@code limit}
   * @param <T> result type
   * @return the outcome
   * @throws TimeoutException if it did not end within the limit
   */
  public static <T> Outcome<T> outcome(CompletableFuture<T> future, long limit, TimeUnit unit)
      throws TimeoutException {
    try {
      return Outcome.ofResult(future.get(limit, unit));
    } catch (ExecutionException | CompletionException e) {
      return Outcome.ofFailure(e.getCause());
    } catch (InterruptedException | CancellationException e) {
      return Outcome.ofFailure(e);
    }
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
