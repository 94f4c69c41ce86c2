package dev.riprap.endpoint;

import dev.riprap.AttemptContext;
import dev.riprap.internal.EndpointAccess;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/**
 * One call through an endpoint group: the endpoints its attempts tried, so that each attempt goes
 * to one not tried yet when there is one, and the life of each attempt on its endpoint (the
 * outstanding count held from the choice until the attempt ends, given back exactly once, and the
 * outcome recorded for ejection and latency).
 *
 * <p>The attempts of one call follow one another (the policy starts the next only when the last
 * one ended), but may run on different threads: the tried list is guarded by this object's own
 * monitor, which no other call takes.
 */
final class GroupCall<E> implements EndpointAccess.Attempts<E> {
  private static final long NONE = Long.MAX_VALUE;

  private final EndpointGroup<E> group;
  private Member<?>[] tried = new Member<?>[2];
  private int triedCount;

  GroupCall(EndpointGroup<E> group) {
    this.group = group;
  }

  /** Chooses this attempt's endpoint and counts the attempt on it. */
  private synchronized Member<E> choose(long now) {
    Member<E> m = group.chooser.choose(group.rotation.view.candidates(), tried, triedCount, now);
    m.outstanding.incrementAndGet();
    if (triedCount == tried.length) {
      tried = Arrays.copyOf(tried, triedCount * 2);
    }
    tried[triedCount++] = m;
    return m;
  }

  private long now() {
    return group.time.nanoTime();
  }

  /** The deadline this attempt has by the policy, read after its start so it is never later. */
  private static long deadline(long start, AttemptContext ctx) {
    long remaining = ctx.remainingNanos();
    if (remaining == NONE) {
      return NONE;
    }
    long d = start + remaining;
    return ((start ^ d) & (remaining ^ d)) < 0 ? NONE : d;
  }

  // ---------------------------------------------------------------- sync

  @Override
  public <T, X extends Throwable> T attempt(
      AttemptContext ctx, EndpointAttemptFunction<? super E, ? extends T, X> work) throws X {
    long start = now();
    long deadline = deadline(start, ctx);
    Member<E> m = choose(start);
    T result;
    try {
      result = work.apply(m.endpoint, ctx);
    } catch (Throwable t) {
      boolean interrupted = t instanceof InterruptedException || Thread.currentThread().isInterrupted();
      Throwable p = settle(m, start, deadline, null, t, interrupted);
      if (p != null) {
        throw EndpointGroup.<RuntimeException>sneaky(suppressing(p, t));
      }
      throw t;
    }
    // A result is the endpoint's answer even when the caller was interrupted meanwhile.
    Throwable p = settle(m, start, deadline, result, null, false);
    if (p != null) {
      throw EndpointGroup.<RuntimeException>sneaky(p);
    }
    return result;
  }

  // ---------------------------------------------------------------- async

  @Override
  public <T> CompletionStage<T> attemptAsync(
      AttemptContext ctx,
      BiFunction<? super E, AttemptContext, ? extends CompletionStage<? extends T>> work) {
    long start = now();
    long deadline = deadline(start, ctx);
    Member<E> m = choose(start);
    CompletableFuture<T> out = new CompletableFuture<>();
    CompletionStage<? extends T> stage;
    try {
      stage = work.apply(m.endpoint, ctx);
      if (stage == null) {
        stage = CompletableFuture.failedFuture(
            new NullPointerException("the work returned a null stage"));
      }
    } catch (Throwable t) {
      stage = CompletableFuture.failedFuture(t);
    }
    CompletableFuture<?> source = handle(stage);
    // The policy cancels the stage it got (this one) on a timeout or when the caller gives up:
    // the work's own stage is cancelled with it, which ends the attempt below.
    out.whenComplete((v, t) -> {
      if (source != null && out.isCancelled()) {
        source.cancel(true);
      }
    });
    try {
      stage.whenComplete((v, t) -> end(out, m, start, deadline, v, t));
    } catch (Throwable t) {
      // A stage that refuses callbacks: the attempt fails with what it threw.
      end(out, m, start, deadline, null, t);
    }
    return out;
  }

  private <T> void end(CompletableFuture<T> out, Member<E> m, long start, long deadline, T v,
      Throwable t) {
    Throwable failure = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    Throwable p = settle(m, start, deadline, v, failure, failure instanceof CancellationException);
    if (p != null) {
      out.completeExceptionally(suppressing(p, failure));
    } else if (failure != null) {
      out.completeExceptionally(failure);
    } else {
      out.complete(v);
    }
  }

  private static CompletableFuture<?> handle(CompletionStage<?> stage) {
    try {
      return stage.toCompletableFuture();
    } catch (Throwable e) {
      return null; // a stage that cannot be cancelled: its attempt ends when it completes
    }
  }

  // ---------------------------------------------------------------- the end of an attempt

  /**
   * Ends one attempt on {@code m}: gives its outstanding count back, then records the outcome.
   * An attempt that ran out of time counts as a {@link TimeoutException}, whatever the work did
   * at the deadline; one the caller gave up on before its deadline ({@code abandoned}: cancelled,
   * interrupted) is not recorded.
   *
   * @return what the group's own user code (a predicate, the time source) threw, else null
   */
  private Throwable settle(Member<E> m, long start, long deadline, Object result, Throwable failure,
      boolean abandoned) {
    m.outstanding.decrementAndGet();
    try {
      boolean timed = deadline != NONE || group.chooser.readsTime();
      long now = timed ? now() : 0;
      boolean timedOut = deadline != NONE && now >= deadline;
      if (abandoned && !timedOut) {
        return null;
      }
      Throwable judged = timedOut
          ? new TimeoutException("attempt on endpoint '" + m.name + "' ran out of time")
          : failure;
      boolean bad = judged != null ? test(group.failureOn, judged) : test(group.failureOnResult, result);
      if (group.chooser.readsTime()) {
        m.observe(now - start, bad, group.chooser.balancer().decayNanos, now);
      }
      if (bad) {
        group.rotation.failed(m, judged);
      } else {
        group.rotation.succeeded(m);
      }
      return null;
    } catch (Throwable p) {
      return p;
    }
  }

  private static <V> boolean test(Predicate<? super V> predicate, V value) {
    return predicate.test(value);
  }

  private static Throwable suppressing(Throwable p, Throwable failure) {
    if (failure != null && failure != p) {
      p.addSuppressed(failure);
    }
    return p;
  }

}
