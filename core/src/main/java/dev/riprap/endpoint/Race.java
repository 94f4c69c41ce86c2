package dev.riprap.endpoint;

import dev.riprap.AttemptContext;
import dev.riprap.Cancellable;
import dev.riprap.RejectedException;
import dev.riprap.event.HedgeSent;
import dev.riprap.event.HedgeWon;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.BiFunction;

/**
 * One hedged attempt of a call: the first attempt (the primary) on the endpoint chosen for it, and
 * after each hedge delay, while none has answered acceptably, a hedge on another endpoint in
 * rotation that is not in flight for this race. The first acceptable outcome (no failure of its
 * endpoint, and no {@link RejectedException}) wins and the others are cancelled; a failure while another racer is in flight is kept,
 * and when none is left in flight the last failure ends the attempt (the earlier one suppressed in
 * it, a failing result before it let go of).
 *
 * <p>Every racer ends exactly once through {@link #ended}: after its work ended and its endpoint
 * was settled by {@link GroupCall#judge} (the count given back, the outcome recorded unless the
 * racer was cancelled), or, never started, with its count given back unrecorded. The race's state
 * is guarded by its monitor; user code (the work, the predicates, listeners, the discard handler,
 * the executor) never runs under it.
 */
// Size: one state machine (the racers, the timer, the kept failure and the decision, with the
// sync racer's own interrupt rules), kept in one file, like AsyncCall, so that "every racer ends
// once, every count goes back once" can be checked by reading it.
final class Race<E, T> {
  /** Starts one racer's work; it ends the racer through {@link #ended} whatever happens. */
  private interface Launcher<E> {
    void launch(Racer<E> racer);
  }

  private static final class Racer<E> {
    final Member<E> member;
    /** 0 for the primary, else which hedge. */
    final int hedge;
    final long start;
    // Under the race's monitor.
    boolean finished;
    boolean started;
    boolean cancelRequested;
    Runnable canceller;

    Racer(Member<E> member, int hedge, long start) {
      this.member = member;
      this.hedge = hedge;
      this.start = start;
    }
  }

  private final GroupCall<E> call;
  private final EndpointGroup<E> group;
  private final AttemptContext ctx;
  private final long start;
  private final long deadline;
  private final long delay;
  private final CompletableFuture<T> out = new CompletableFuture<>();
  /** Set before the first racer starts, read by the timer after it was scheduled. */
  private Launcher<E> launcher;

  // Under this object's monitor.
  private final List<Racer<E>> racers = new ArrayList<>(2);
  private int inFlight;
  private int hedges;
  private boolean done;
  private Cancellable timer;
  /** The outcome of the last racer that failed while others were in flight. */
  private boolean kept;
  private Object keptResult;
  private Throwable keptFailure;

  private Race(GroupCall<E> call, AttemptContext ctx, long start, long deadline, long delay) {
    this.call = call;
    this.group = call.group;
    this.ctx = ctx;
    this.start = start;
    this.deadline = deadline;
    this.delay = delay;
  }

  /**
   * A race for this attempt, or null when no hedge could ever be sent (then the attempt runs as an
   * unhedged one, on the caller's thread): no other endpoint in rotation, an empty budget, or a
   * deadline before the first hedge is due.
   */
  static <E, T> Race<E, T> open(GroupCall<E> call, AttemptContext ctx, long start, long deadline) {
    if (call.group.rotation.view.candidates().length < 2) {
      return null;
    }
    if (call.budget != null && !call.budget.hasRetryToken()) {
      return null;
    }
    long delay = call.hedging.delayNanos(call.group.latencies);
    if (deadline != GroupCall.NONE && delay >= deadline - start) {
      return null;
    }
    return new Race<>(call, ctx, start, deadline, delay);
  }

  // ---------------------------------------------------------------- sync

  /**
   * Runs the race on the executor, the caller waiting for its outcome. The caller's interrupt (the
   * policy's attempt timeout, or from outside) cancels every racer and comes back as the {@link
   * InterruptedException} the wait threw, as from any interruptible work.
   */
  <X extends Throwable> T sync(EndpointAttemptFunction<? super E, ? extends T, X> work) throws X {
    launcher = r -> {
      SyncRacer task = new SyncRacer(r, work);
      setCanceller(r, task::cancel);
      try {
        call.executor.execute(task);
      } catch (Throwable refused) {
        task.cancel(); // it never ran: its count goes back unrecorded
        throw refused;
      }
    };
    Racer<E> primary = register(call.choose(group.rotation.view.candidates(), start), 0, start);
    // The timer first: the delay counts from the attempt's start, however soon the work runs.
    schedule();
    try {
      launcher.launch(primary);
    } catch (Throwable refused) {
      // The executor refused the first attempt: it never ran, and the attempt fails with that.
      throw EndpointGroup.<RuntimeException>sneaky(refused);
    }
    try {
      return out.get();
    } catch (ExecutionException e) {
      throw EndpointGroup.<RuntimeException>sneaky(e.getCause());
    } catch (InterruptedException e) {
      cancelAll();
      throw EndpointGroup.<RuntimeException>sneaky(e);
    }
  }

  /** One sync racer on the executor: interrupted when cancelled, its interrupt cleared after. */
  private final class SyncRacer implements Runnable {
    private static final int PENDING = 0;
    private static final int RUNNING = 1;
    private static final int DONE = 2;

    private final Racer<E> racer;
    private final EndpointAttemptFunction<? super E, ? extends T, ?> work;
    // Under this object's monitor.
    private int state;
    private Thread runner;
    private boolean interruptedByRace;

    SyncRacer(Racer<E> racer, EndpointAttemptFunction<? super E, ? extends T, ?> work) {
      this.racer = racer;
      this.work = work;
    }

    @Override
    public void run() {
      synchronized (this) {
        if (state != PENDING) {
          return;
        }
        state = RUNNING;
        runner = Thread.currentThread();
      }
      Object v = null;
      Throwable f = null;
      try {
        v = work.apply(racer.member.endpoint, ctx);
      } catch (Throwable t) {
        f = t;
      }
      boolean cancelled;
      synchronized (this) {
        state = DONE;
        runner = null;
        cancelled = interruptedByRace;
      }
      if (cancelled) {
        Thread.interrupted(); // the race's interrupt must not reach the executor's next task
      }
      // A result is the endpoint's answer even when the race gave up on it meanwhile.
      boolean abandoned = f != null && (cancelled || f instanceof InterruptedException);
      ended(racer, v, f, call.judge(racer.member, racer.start, deadline, v, f, abandoned), true);
    }

    void cancel() {
      boolean neverRan;
      synchronized (this) {
        neverRan = state == PENDING;
        if (neverRan) {
          state = DONE;
        } else if (state == RUNNING && !interruptedByRace) {
          interruptedByRace = true;
          runner.interrupt();
        }
      }
      if (neverRan) {
        GroupCall.release(racer.member);
        ended(racer, null, null, GroupCall.UNJUDGED, false);
      }
    }
  }

  // ---------------------------------------------------------------- async

  /**
   * Starts the race: the primary on the caller's thread (as an unhedged attempt), the hedges on
   * the executor. Cancelling the returned stage (the policy's timeout, the caller) cancels every
   * racer.
   */
  CompletionStage<T> async(
      BiFunction<? super E, AttemptContext, ? extends CompletionStage<? extends T>> work) {
    launcher = r -> {
      try {
        call.executor.execute(() -> startAsync(r, work));
      } catch (Throwable refused) {
        if (claim(r)) { // it never ran: its count goes back unrecorded
          GroupCall.release(r.member);
          ended(r, null, null, GroupCall.UNJUDGED, false);
        }
        throw refused;
      }
    };
    out.whenComplete((v, t) -> {
      if (out.isCancelled()) {
        cancelAll();
      }
    });
    Racer<E> primary = register(call.choose(group.rotation.view.candidates(), start), 0, start);
    schedule();
    startAsync(primary, work);
    return out;
  }

  private void startAsync(Racer<E> r,
      BiFunction<? super E, AttemptContext, ? extends CompletionStage<? extends T>> work) {
    if (!claim(r)) {
      return;
    }
    boolean cancelled;
    synchronized (this) {
      cancelled = r.cancelRequested;
    }
    if (cancelled) {
      GroupCall.release(r.member);
      ended(r, null, null, GroupCall.UNJUDGED, false);
      return;
    }
    CompletionStage<? extends T> stage;
    try {
      stage = work.apply(r.member.endpoint, ctx);
      if (stage == null) {
        stage = CompletableFuture.failedFuture(
            new NullPointerException("the work returned a null stage"));
      }
    } catch (Throwable t) {
      stage = CompletableFuture.failedFuture(t);
    }
    CompletableFuture<?> handle = GroupCall.handle(stage);
    if (handle != null) {
      setCanceller(r, () -> handle.cancel(true));
    }
    try {
      stage.whenComplete((v, t) -> asyncEnded(r, v, t));
    } catch (Throwable t) {
      asyncEnded(r, null, t);
    }
  }

  private void asyncEnded(Racer<E> r, Object v, Throwable t) {
    Throwable f = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    ended(r, v, f, call.judge(r.member, r.start, deadline, v, f, f instanceof CancellationException),
        true);
  }

  // ---------------------------------------------------------------- the race

  private synchronized Racer<E> register(Member<E> m, int hedge, long at) {
    Racer<E> r = new Racer<>(m, hedge, at);
    racers.add(r);
    inFlight++;
    return r;
  }

  /** Whether this caller is the one that starts (or gives up on starting) {@code r}: once only. */
  private synchronized boolean claim(Racer<E> r) {
    if (r.started) {
      return false;
    }
    r.started = true;
    return true;
  }

  private void setCanceller(Racer<E> r, Runnable canceller) {
    boolean now;
    synchronized (this) {
      r.canceller = canceller;
      now = r.cancelRequested;
    }
    if (now) {
      canceller.run();
    }
  }

  private void cancel(Racer<E> r) {
    Runnable c;
    synchronized (this) {
      r.cancelRequested = true;
      c = r.canceller;
    }
    if (c != null) {
      c.run();
    }
  }

  /** The caller gave up (a cancel, an interrupt, the policy's timeout): every racer is cancelled. */
  private void cancelAll() {
    List<Racer<E>> targets;
    Cancellable t;
    Object dropped;
    synchronized (this) {
      if (done) {
        return; // decided already: the losers were cancelled by the decision
      }
      done = true;
      t = timer;
      timer = null;
      targets = unfinished(null);
      dropped = keptResult;
    }
    drop(dropped);
    if (t != null) {
      t.cancel();
    }
    for (Racer<E> r : targets) {
      cancel(r);
    }
  }

  /**
   * One racer ended with {@code v} or {@code f} and {@code verdict} ({@link GroupCall#judge}); it
   * never ran when not {@code ran}. Decides the race: the first acceptable outcome wins, the last
   * failure ends it when nothing else is in flight.
   */
  private void ended(Racer<E> r, Object v, Throwable f, Object verdict, boolean ran) {
    if (verdict instanceof Throwable) {
      // The group's user code threw on this outcome: the racer failed with what it threw.
      f = GroupCall.suppressing((Throwable) verdict, f);
      if (v != null) {
        drop(v);
        v = null;
      }
    }
    // A rejection (a policy inside the work refused it, as an HTTP endpoint's open breaker does)
    // sent nothing: whatever failureOn makes of it, it never wins.
    boolean acceptable = ran && verdict == null && !(f instanceof RejectedException);
    List<Racer<E>> losers = null;
    Cancellable t = null;
    boolean decide = false;
    Object dropped = null;
    synchronized (this) {
      r.finished = true;
      inFlight--;
      if (done) {
        dropped = v; // a loser that answered after the race was decided
      } else if (acceptable) {
        done = true;
        decide = true;
        losers = unfinished(r);
        t = timer;
        timer = null;
        if (kept) {
          dropped = keptResult;
        }
      } else if (inFlight > 0) {
        // Another racer may still win: keep this outcome for the case where none does.
        if (ran) {
          if (kept) {
            dropped = keptResult;
            f = attach(f, keptFailure);
          }
          kept = true;
          keptResult = v;
          keptFailure = f;
        }
      } else {
        done = true;
        decide = true;
        t = timer;
        timer = null;
        if (!ran) {
          // A hedge that was never started ends nothing: the failure kept before it does.
          v = keptResult;
          f = keptFailure;
        } else if (kept) {
          dropped = keptResult;
          f = attach(f, keptFailure);
        }
      }
    }
    drop(dropped);
    if (!decide) {
      return;
    }
    if (t != null) {
      t.cancel();
    }
    if (losers != null) {
      cancelLosers(r, losers);
    }
    if (f != null) {
      out.completeExceptionally(f);
    } else {
      @SuppressWarnings("unchecked")
      T value = (T) v;
      if (!out.complete(value)) {
        drop(v); // the caller gave up meanwhile
      }
    }
  }

  /**
   * {@code f} with {@code earlier} suppressed in it, when both are there and {@code f} has room:
   * a work that throws one exception instance again and again must not grow it without end.
   */
  private static Throwable attach(Throwable f, Throwable earlier) {
    if (f != null && earlier != null && f != earlier
        && f.getSuppressed().length <= Hedging.MAX_HEDGES) {
      f.addSuppressed(earlier);
    }
    return f;
  }

  /** The winner {@code w} is in: the others are cancelled, and say so if a hedge won. */
  private void cancelLosers(Racer<E> w, List<Racer<E>> losers) {
    LatencyWindow window = group.latencies;
    long now = window != null || w.hedge > 0 ? call.now() : 0;
    for (Racer<E> l : losers) {
      cancel(l);
      if (window != null) {
        // A cancelled loser ran at least this long: a lower bound that keeps slow endpoints in
        // the percentile, which would otherwise see only the winners.
        window.record(now - l.start);
      }
    }
    if (w.hedge > 0 && group.events.hasListeners()) {
      List<String> names = new ArrayList<>(losers.size());
      for (Racer<E> l : losers) {
        names.add(l.member.name);
      }
      group.events.publish(new HedgeWon(group.name, group.rotation.tags(), group.time.instant(),
          w.member.name, List.copyOf(names), w.hedge, ctx.attempt(), Duration.ofNanos(delay)));
    }
  }

  private List<Racer<E>> unfinished(Racer<E> except) {
    List<Racer<E>> out = new ArrayList<>(racers.size());
    for (Racer<E> r : racers) {
      if (!r.finished && r != except) {
        out.add(r);
      }
    }
    return out;
  }

  private void drop(Object v) {
    if (v != null && call.discard != null) {
      try {
        call.discard.accept(v);
      } catch (Throwable ignored) {
        // Letting go is best effort: the value is not the call's outcome.
      }
    }
  }

  // ---------------------------------------------------------------- hedges

  /** Schedules the next hedge one delay from now, unless the race is decided. */
  private void schedule() {
    synchronized (this) {
      if (done) {
        return;
      }
    }
    Cancellable c;
    try {
      c = group.time.schedule(this::hedge, delay);
    } catch (RuntimeException refused) {
      return; // the time source refuses (shut down): the racers in flight carry on alone
    }
    boolean late;
    synchronized (this) {
      late = done;
      if (!late) {
        timer = c;
      }
    }
    if (late) {
      c.cancel();
    }
  }

  /**
   * The delay is up and nothing won: a hedge to an endpoint in rotation that is not in flight for
   * this race, paid with a budget token, unless the deadline has passed. Runs on the timer.
   */
  private void hedge() {
    Member<?>[] busy;
    synchronized (this) {
      if (done) {
        return;
      }
      timer = null;
      List<Racer<E>> running = unfinished(null);
      busy = new Member<?>[running.size()];
      for (int i = 0; i < busy.length; i++) {
        busy[i] = running.get(i).member;
      }
    }
    long now = call.now();
    if (deadline != GroupCall.NONE && now >= deadline) {
      return;
    }
    Member<E>[] pool = free(group.rotation.view.candidates(), busy);
    if (pool.length == 0) {
      return; // no other endpoint in rotation
    }
    if (call.budget != null && !call.budget.tryAcquireRetry()) {
      return;
    }
    Member<E> m = call.choose(pool, now);
    Racer<E> r = null;
    List<String> inFlightNames = null;
    synchronized (this) {
      if (!done) {
        if (group.events.hasListeners()) {
          inFlightNames = new ArrayList<>(racers.size());
          for (Racer<E> x : unfinished(null)) {
            inFlightNames.add(x.member.name);
          }
        }
        hedges++;
        r = register(m, hedges, now);
      }
    }
    if (r == null) {
      GroupCall.release(m); // decided meanwhile: no hedge, so its token goes back
      if (call.budget != null) {
        call.budget.refundRetry();
      }
      return;
    }
    if (inFlightNames != null) {
      group.events.publish(new HedgeSent(group.name, group.rotation.tags(), group.time.instant(),
          m.name, List.copyOf(inFlightNames), r.hedge, ctx.attempt(), Duration.ofNanos(delay)));
    }
    // The next hedge, unless this is the last or it would be due past the deadline.
    if (r.hedge < call.hedging.maxHedges() && (deadline == GroupCall.NONE || delay < deadline - now)) {
      schedule();
    }
    try {
      launcher.launch(r);
    } catch (Throwable refused) {
      // The executor refused the hedge: the launcher gave its count back, and the budget gets its
      // token back (nothing was sent); the next may be taken. The call goes on with the attempts
      // in flight, so the refusal is only logged: an executor's Error is seen, not swallowed.
      if (call.budget != null) {
        call.budget.refundRetry();
      }
      System.getLogger(Race.class.getName()).log(System.Logger.Level.WARNING,
          "EndpointGroup '" + group.name + "': the executor refused a hedge to '" + m.name
              + "'; the call goes on without it", refused);
    }
  }

  /** The candidates that are not in {@code busy}. */
  private static <E> Member<E>[] free(Member<E>[] candidates, Member<?>[] busy) {
    @SuppressWarnings("unchecked")
    Member<E>[] out = new Member[candidates.length];
    int n = 0;
    for (Member<E> c : candidates) {
      boolean in = false;
      for (Member<?> b : busy) {
        in |= b == c;
      }
      if (!in) {
        out[n++] = c;
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }
}
