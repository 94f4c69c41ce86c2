package dev.riprap;

import dev.riprap.event.CallCompleted;
import dev.riprap.event.FallbackApplied;
import dev.riprap.event.RetryAbandoned;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One async call through a {@link Policy}: the same decisions as the sync loop, driven by stage
 * completions and timer tasks instead of a blocked thread.
 *
 * <p>State changes happen under this object's monitor; permits are released and the caller's
 * future is completed outside it. Each attempt is settled exactly once (by its stage, its timeout,
 * the total timeout or a cancel), and the call ends exactly once ({@link #done}).
 */
final class AsyncExecution<T> implements AttemptContext {
  private static final long NONE = Long.MAX_VALUE;

  private final Policy p;
  private final Function<AttemptContext, ? extends CompletionStage<? extends T>> work;
  private final Fallback<T> fallback;
  private final CompletableFuture<T> result = new CompletableFuture<>();
  private long start;
  private long deadline = NONE;
  private boolean entered;

  // Guarded by this.
  private int attempt;
  private boolean done;
  private boolean breakerPending;
  private boolean attemptOpen;
  private long attemptStart;
  private long attemptDeadline = NONE;
  private CompletableFuture<?> inFlight;
  private Cancellable attemptTimer;
  private Cancellable totalTimer;
  private Cancellable waitTimer;
  private int waitingAfter;
  private Runnable drainWake;

  AsyncExecution(
      Policy policy,
      Function<AttemptContext, ? extends CompletionStage<? extends T>> work,
      Fallback<T> fallback) {
    this.p = policy;
    this.work = work;
    this.fallback = fallback;
  }

  CompletableFuture<T> start() {
    start = p.time.nanoTime();
    if (p.gate != null && !p.gate.tryEnter()) {
      finish(null, p.rejection(RejectionReason.SHUTTING_DOWN, null, null));
      return result;
    }
    entered = p.gate != null;
    if (p.totalTimeoutNanos != NONE) {
      deadline = start + p.totalTimeoutNanos;
    }
    if (p.budget != null) {
      p.budget.recordCall();
    }
    result.whenComplete(
        (v, t) -> {
          if (t instanceof CancellationException) {
            onCancelled();
          }
        });
    if (deadline != NONE) {
      Cancellable timer = p.time.schedule(this::onTotalTimeout, p.totalTimeoutNanos);
      synchronized (this) {
        if (done) {
          timer.cancel();
        } else {
          totalTimer = timer;
        }
      }
    }
    nextAttempt();
    return result;
  }

  // ---------------------------------------------------------------- AttemptContext

  @Override
  public synchronized int attempt() {
    return attempt;
  }

  @Override
  public long remainingNanos() {
    long d;
    synchronized (this) {
      d = attemptDeadline;
    }
    return d == NONE ? NONE : Math.max(0, d - p.time.nanoTime());
  }

  @Override
  public boolean retryPossible() {
    return p.retryPossible(attempt(), deadline);
  }

  // ---------------------------------------------------------------- one attempt

  private void nextAttempt() {
    int n;
    synchronized (this) {
      if (done) {
        return;
      }
      n = ++attempt;
      waitTimer = null;
      waitingAfter = 0;
    }
    if (p.breaker != null && !acquireBreaker()) {
      if (p.probeWaitNanos > 0) {
        awaitProbe(n, p.openings(), p.time.nanoTime() + p.probeWaitNanos);
      } else {
        onOutcome(n, null, p.circuitOpen());
      }
      return;
    }
    afterBreaker(n);
  }

  /**
   * The breaker refused attempt {@code n} and the policy lets it wait for a probe: asks the breaker
   * again after the wait {@link Policy#probeWait} gives, on the timer, until it lets the attempt
   * through or the wait ends.
   */
  private void awaitProbe(int n, long opening, long until) {
    long wait = p.probeWait(opening, until, deadline);
    if (wait < 0) {
      onOutcome(n, null, p.circuitOpen());
      return;
    }
    Cancellable timer =
        p.time.schedule(() -> p.asyncExecutor.execute(() -> afterProbeWait(n, opening, until)),
            wait);
    synchronized (this) {
      if (!done && attempt == n) {
        waitTimer = timer;
        return;
      }
    }
    timer.cancel();
  }

  private void afterProbeWait(int n, long opening, long until) {
    synchronized (this) {
      if (done || attempt != n) {
        return;
      }
      waitTimer = null;
    }
    if (acquireBreaker()) {
      afterBreaker(n);
    } else {
      awaitProbe(n, opening, until);
    }
  }

  /** Attempt {@code n} holds the breaker's permission (if any): limiter, bulkhead, then the work. */
  private void afterBreaker(int n) {
    synchronized (this) {
      if (done || attempt != n) {
        // Ended (timed out, cancelled) since the permission was taken: nobody else releases it.
        p.releaseBreaker();
        return;
      }
      breakerPending = true;
    }
    if (p.limiter != null) {
      long wait = p.limiter.reservePermission();
      if (wait < 0) {
        synchronized (this) {
          breakerPending = false;
        }
        p.releaseBreaker();
        onOutcome(
            n,
            null,
            p.rejection(
                RejectionReason.RATE_LIMITED,
                null,
                RequestNotPermitted.createRequestNotPermitted(p.limiter)));
        return;
      }
      if (wait > 0) {
        Cancellable timer =
            p.time.schedule(() -> p.asyncExecutor.execute(() -> runAttempt(n)), wait);
        synchronized (this) {
          if (!done) {
            waitTimer = timer;
            return;
          }
        }
        timer.cancel();
        return;
      }
    }
    runAttempt(n);
  }

  private boolean acquireBreaker() {
    boolean permitted = p.breaker.tryAcquirePermission();
    p.observeBreaker();
    return permitted;
  }

  private void runAttempt(int n) {
    synchronized (this) {
      if (done || n != attempt || !breakerPending) {
        // Ended while waiting for the limiter; whoever ended it released the breaker permit.
        return;
      }
    }
    if (p.bulkhead != null && !p.bulkhead.tryAcquirePermission()) {
      synchronized (this) {
        breakerPending = false;
      }
      p.releaseBreaker();
      onOutcome(
          n,
          null,
          p.rejection(
              RejectionReason.BULKHEAD_FULL,
              null,
              BulkheadFullException.createBulkheadFullException(p.bulkhead)));
      return;
    }
    long now = p.time.nanoTime();
    long timeout = Math.min(p.attemptTimeoutNanos, deadline == NONE ? NONE : deadline - now);
    synchronized (this) {
      breakerPending = false;
      if (done) {
        releaseAttemptPermits();
        p.releaseBreaker();
        return;
      }
      attemptOpen = true;
      attemptStart = now;
      attemptDeadline = timeout == NONE ? NONE : now + timeout;
    }
    if (timeout <= 0) {
      settleByTimeout(n, 0, true);
      return;
    }
    CompletionStage<? extends T> stage;
    try {
      stage = work.apply(this);
      if (stage == null) {
        stage = CompletableFuture.failedFuture(
            new NullPointerException("the work returned a null stage"));
      }
    } catch (Throwable t) {
      stage = CompletableFuture.failedFuture(t);
    }
    // Cancelled on timeout. The outcome is read from the stage itself, so a value that arrives
    // after a timeout still reaches the discarded-result handler.
    CompletableFuture<?> cancelHandle = cancelHandle(stage);
    if (timeout != NONE) {
      boolean total = deadline != NONE && now + timeout >= deadline;
      Cancellable timer = p.time.schedule(() -> settleByTimeout(n, timeout, total), timeout);
      synchronized (this) {
        if (attemptOpen && attempt == n) {
          attemptTimer = timer;
          inFlight = cancelHandle;
        } else {
          timer.cancel();
        }
      }
    } else {
      synchronized (this) {
        inFlight = cancelHandle;
      }
    }
    stage.whenComplete((v, t) -> settleByStage(n, v, t));
  }

  private static CompletableFuture<?> cancelHandle(CompletionStage<?> stage) {
    try {
      return stage.toCompletableFuture();
    } catch (UnsupportedOperationException e) {
      return null;
    }
  }

  /** Under the monitor: claims attempt n's settlement. */
  private boolean claim(int n) {
    if (n != attempt || !attemptOpen) {
      return false;
    }
    attemptOpen = false;
    if (attemptTimer != null) {
      attemptTimer.cancel();
      attemptTimer = null;
    }
    return true;
  }

  private void releaseAttemptPermits() {
    if (p.bulkhead != null) {
      p.bulkhead.onComplete();
    }
  }

  private void settleByStage(int n, Object v, Throwable t) {
    long began;
    synchronized (this) {
      if (!claim(n)) {
        // Too late: the attempt already timed out or the call was cancelled.
        if (t == null) {
          p.discard(v);
        }
        return;
      }
      began = attemptStart;
      inFlight = null;
    }
    releaseAttemptPermits();
    Throwable failure = unwrap(t);
    if (p.breaker != null) {
      long took = p.time.nanoTime() - began;
      if (failure == null) {
        p.recordResult(took, v);
      } else {
        p.breaker.onError(took, TimeUnit.NANOSECONDS, failure);
      }
      p.observeBreaker();
    }
    onOutcome(n, v, failure);
  }

  private void settleByTimeout(int n, long timeout, boolean total) {
    long began;
    CompletableFuture<?> f;
    synchronized (this) {
      if (!claim(n)) {
        return;
      }
      began = attemptStart;
      f = inFlight;
      inFlight = null;
    }
    releaseAttemptPermits();
    RejectedException e = p.timedOut(n, timeout, total);
    if (p.breaker != null) {
      if (timeout == 0) {
        p.releaseBreaker();
      } else {
        p.breaker.onError(p.time.nanoTime() - began, TimeUnit.NANOSECONDS, e.getCause());
        p.observeBreaker();
      }
    }
    if (f != null) {
      f.cancel(true);
    }
    onOutcome(n, null, e);
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  // ---------------------------------------------------------------- between attempts

  private void onOutcome(int n, Object v, Throwable t) {
    long delay = p.retryDelay(n, v, t, deadline, false);
    if (delay < 0) {
      finish(v, t);
      return;
    }
    Runnable wake = null;
    if (p.gate != null) {
      wake =
          () -> {
            if (claimWait(n)) {
              p.gate.recordCutShort();
              p.abandoned(n, RetryAbandoned.Reason.DRAINING, v, t);
              finish(v, t);
            }
          };
    }
    // Mark the wait before its timer exists: a zero delay may fire before schedule() returns.
    synchronized (this) {
      if (done) {
        return;
      }
      waitingAfter = n;
      drainWake = wake;
    }
    // Register for a drain before the timer exists, so whichever claims the wait first can
    // unregister the other: a wake-up registered after the timer fired would never be removed.
    if (wake != null) {
      p.gate.registerWait(wake);
    }
    synchronized (this) {
      if (done || waitingAfter != n) {
        return;
      }
    }
    Cancellable timer =
        p.time.schedule(
            () -> {
              if (claimWait(n)) {
                p.asyncExecutor.execute(this::nextAttempt);
              }
            },
            delay);
    synchronized (this) {
      if (waitingAfter == n && !done) {
        waitTimer = timer;
      } else {
        timer.cancel();
      }
    }
  }

  /** Claims the wait after attempt n for whichever ends it first: its timer or a drain. */
  private boolean claimWait(int n) {
    Runnable wake;
    synchronized (this) {
      if (done || waitingAfter != n) {
        return false;
      }
      waitingAfter = 0;
      if (waitTimer != null) {
        waitTimer.cancel();
        waitTimer = null;
      }
      wake = drainWake;
      drainWake = null;
    }
    if (wake != null) {
      p.gate.unregisterWait(wake);
    }
    return true;
  }

  // ---------------------------------------------------------------- the end

  private void onTotalTimeout() {
    int n;
    boolean open;
    boolean pending;
    long began;
    CompletableFuture<?> f;
    synchronized (this) {
      if (done) {
        return;
      }
      n = attempt;
      open = attemptOpen;
      pending = breakerPending;
      began = attemptStart;
      f = inFlight;
      if (open) {
        claim(n);
        inFlight = null;
      }
      breakerPending = false;
    }
    if (open) {
      settleByTimeoutAfterClaim(n, began, f);
      return;
    }
    if (pending) {
      p.releaseBreaker();
    }
    finish(null, p.timedOut(n, p.totalTimeoutNanos, true));
  }

  private void settleByTimeoutAfterClaim(int n, long began, CompletableFuture<?> f) {
    releaseAttemptPermits();
    RejectedException e = p.timedOut(n, p.totalTimeoutNanos, true);
    if (p.breaker != null) {
      p.breaker.onError(p.time.nanoTime() - began, TimeUnit.NANOSECONDS, e.getCause());
      p.observeBreaker();
    }
    if (f != null) {
      f.cancel(true);
    }
    finish(null, e);
  }

  private void onCancelled() {
    boolean open;
    boolean pending;
    CompletableFuture<?> f;
    synchronized (this) {
      if (done) {
        return;
      }
      done = true;
      open = attemptOpen;
      attemptOpen = false;
      pending = breakerPending;
      breakerPending = false;
      f = inFlight;
      inFlight = null;
      cancelTimers();
    }
    if (open) {
      // The caller gave up: the attempt says nothing about the downstream, so it is not recorded.
      releaseAttemptPermits();
      p.releaseBreaker();
      if (f != null) {
        f.cancel(true);
      }
    } else if (pending) {
      p.releaseBreaker();
    }
    exitGate();
    p.completed(CallCompleted.Outcome.FAILURE, null, attemptCount(), start);
  }

  private synchronized int attemptCount() {
    return attempt;
  }

  /** Under the monitor. */
  private void cancelTimers() {
    if (totalTimer != null) {
      totalTimer.cancel();
      totalTimer = null;
    }
    if (waitTimer != null) {
      waitTimer.cancel();
      waitTimer = null;
    }
    if (attemptTimer != null) {
      attemptTimer.cancel();
      attemptTimer = null;
    }
    if (drainWake != null) {
      p.gate.unregisterWait(drainWake);
      drainWake = null;
    }
    waitingAfter = 0;
  }

  private void exitGate() {
    if (entered) {
      p.gate.exit();
    }
  }

  @SuppressWarnings("unchecked")
  private void finish(Object v, Throwable t) {
    int attempts;
    synchronized (this) {
      if (done) {
        return;
      }
      done = true;
      cancelTimers();
      attempts = attempt;
    }
    exitGate();
    if (t == null) {
      p.completed(CallCompleted.Outcome.SUCCESS, null, attempts, start);
      result.complete((T) v);
      return;
    }
    if (fallback != null && fallback.handles(t)) {
      T value;
      try {
        value = fallback.apply(t);
      } catch (Throwable e) {
        p.completed(CallCompleted.Outcome.FAILURE, null, attempts, start);
        result.completeExceptionally(e);
        return;
      }
      if (p.events.hasListeners()) {
        p.events.publish(new FallbackApplied(p.name, p.tags, p.time.instant(), t));
      }
      p.completed(CallCompleted.Outcome.FALLBACK, null, attempts, start);
      result.complete(value);
      return;
    }
    p.completedWithFailure(t, attempts, start);
    result.completeExceptionally(t);
  }
}
