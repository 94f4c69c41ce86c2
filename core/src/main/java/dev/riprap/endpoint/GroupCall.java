package dev.riprap.endpoint;

import dev.riprap.AttemptContext;
import dev.riprap.RetryBudget;
import dev.riprap.internal.EndpointAccess;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * One call through an endpoint group: the endpoints its attempts tried, so that each attempt goes
 * to one not tried yet when there is one, and the life of each attempt on its endpoint (the
 * outstanding count held from the choice until the attempt ends, given back exactly once, and the
 * outcome recorded for ejection and latency).
 *
 * <p>The attempts of one call follow one another (the policy starts the next only when the last
 * one ended), but may run on different threads, and a hedged attempt ({@link Race}) runs several
 * at once: the tried list is guarded by this object's own monitor, which no other call takes.
 */
final class GroupCall<E> implements EndpointAccess.Attempts<E> {
  static final long NONE = Long.MAX_VALUE;
  /** {@link #judge}'s verdicts besides null (a success) and what user code threw. */
  static final Object BAD = new Object();
  static final Object UNJUDGED = new Object();

  final EndpointGroup<E> group;
  /** The call's hedging, or null; then the budget, executor and discard are unused. */
  final Hedging hedging;
  final RetryBudget budget;
  final Executor executor;
  final Consumer<Object> discard;
  private Member<?>[] tried = new Member<?>[2];
  private int triedCount;

  GroupCall(EndpointGroup<E> group) {
    this(group, null, null, null, null);
  }

  /**
   * A call that hedges with {@code hedging} (null: never), paying each hedge from {@code budget}
   * (null: free), running hedged attempts on {@code executor} and handing a loser's late result to
   * {@code discard}.
   */
  GroupCall(EndpointGroup<E> group, Hedging hedging, RetryBudget budget, Executor executor,
      Consumer<Object> discard) {
    this.group = group;
    this.hedging = hedging;
    this.budget = budget;
    this.executor = executor;
    this.discard = discard;
  }

  /** Chooses this attempt's endpoint and counts the attempt on it. */
  private Member<E> choose(long now) {
    return choose(group.rotation.view.candidates(), now);
  }

  /** Chooses among {@code candidates}, one not tried yet if there is one, and counts it. */
  synchronized Member<E> choose(Member<E>[] candidates, long now) {
    Member<E> m = group.chooser.choose(candidates, tried, triedCount, now);
    m.outstanding.incrementAndGet();
    if (triedCount == tried.length) {
      tried = Arrays.copyOf(tried, triedCount * 2);
    }
    tried[triedCount++] = m;
    return m;
  }

  long now() {
    return group.time.nanoTime();
  }

  /** The deadline this attempt has by the policy, read after its start so it is never later. */
  static long deadline(long start, AttemptContext ctx) {
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
    if (hedging != null) {
      Race<E, T> race = Race.open(this, ctx, start, deadline);
      if (race != null) {
        return race.sync(work);
      }
    }
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
    if (hedging != null) {
      Race<E, T> race = Race.open(this, ctx, start, deadline);
      if (race != null) {
        return race.async(work);
      }
    }
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

  static CompletableFuture<?> handle(CompletionStage<?> stage) {
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
    Object verdict = judge(m, start, deadline, result, failure, abandoned);
    return verdict instanceof Throwable ? (Throwable) verdict : null;
  }

  /**
   * {@link #settle}, with its verdict: null when the endpoint did well (a result or exception that
   * is no failure of its), {@link #BAD} when it failed, {@link #UNJUDGED} when it was given up on
   * before its deadline, else what the group's user code threw.
   */
  Object judge(Member<E> m, long start, long deadline, Object result, Throwable failure,
      boolean abandoned) {
    m.outstanding.decrementAndGet();
    try {
      LatencyWindow window = group.latencies;
      boolean timed = deadline != NONE || group.chooser.readsTime() || window != null;
      long now = timed ? now() : 0;
      boolean timedOut = deadline != NONE && now >= deadline;
      if (abandoned && !timedOut) {
        return UNJUDGED;
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
        return BAD;
      }
      group.rotation.succeeded(m);
      if (window != null) {
        window.record(now - start);
      }
      return null;
    } catch (Throwable p) {
      return p;
    }
  }

  /** Gives back the count of an attempt chosen but never started (nothing is recorded). */
  static void release(Member<?> m) {
    m.outstanding.decrementAndGet();
  }

  private static <V> boolean test(Predicate<? super V> predicate, V value) {
    return predicate.test(value);
  }

  static Throwable suppressing(Throwable p, Throwable failure) {
    if (failure != null && failure != p) {
      p.addSuppressed(failure);
    }
    return p;
  }

}
