package dev.riprap.testing;

import dev.riprap.Policy;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.EndpointStatus;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Hedged calls through an endpoint group whose answers the test gives, in either mode: each
 * endpoint's attempt answers when the test completes that endpoint's future ({@link #answer},
 * {@link #fail}). A sync call runs on a caller thread of its own, its attempts on {@link #pool}
 * (the hedging's executor) blocking on their futures; an async attempt returns the future itself,
 * so a cancelled attempt shows as a cancelled future. {@link #started} hears of each attempt as it
 * starts. Every wait is bounded only to turn a hang into a failure.
 */
public final class Hedged implements AutoCloseable {
  private static final long LIMIT_SECONDS = 30;

  /** Runs hedged attempts (the hedging's executor) and sync callers. */
  public final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "hedged");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, CompletableFuture<String>> answers = new ConcurrentHashMap<>();
  private final BlockingQueue<String> started = new LinkedBlockingQueue<>();
  /** The thread of the last sync call. */
  private final AtomicReference<Thread> caller = new AtomicReference<>();

  /** The future the attempt on {@code endpoint} answers with, made on first use. */
  public CompletableFuture<String> future(String endpoint) {
    return answers.computeIfAbsent(endpoint, e -> new CompletableFuture<>());
  }

  /** Forgets the future of {@code endpoint}: its next attempt waits on a new one. */
  public void forget(String endpoint) {
    answers.remove(endpoint);
  }

  /** The attempt on {@code endpoint} answers {@code value}. */
  public void answer(String endpoint, String value) {
    future(endpoint).complete(value);
  }

  /** The attempt on {@code endpoint} fails with {@code failure}. */
  public void fail(String endpoint, Throwable failure) {
    future(endpoint).completeExceptionally(failure);
  }

  /**
   * The next endpoint an attempt started on.
   *
   * @throws AssertionError if none starts within the limit
   */
  public String started() throws InterruptedException {
    String e = started.poll(LIMIT_SECONDS, TimeUnit.SECONDS);
    if (e == null) {
      throw new AssertionError("no attempt started within " + LIMIT_SECONDS + " s");
    }
    return e;
  }

  /** Whether another attempt has started that {@link #started()} has not returned yet. */
  public boolean moreStarted() {
    return !started.isEmpty();
  }

  /** Starts a call through {@code group} on {@code policy}; its future holds how it ended. */
  public CompletableFuture<String> call(Mode mode, EndpointGroup<String> group, Policy policy) {
    if (mode == Mode.ASYNC) {
      return group.callAsync(policy, e -> {
        started.add(e);
        return future(e);
      });
    }
    CompletableFuture<String> done = new CompletableFuture<>();
    pool.execute(() -> {
      caller.set(Thread.currentThread());
      try {
        done.complete(group.call(policy, e -> {
          started.add(e);
          try {
            return future(e).get();
          } catch (ExecutionException x) {
            throw (Exception) x.getCause();
          }
        }));
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    return done;
  }

  /** Gives up on the last call: cancels an async call's future, interrupts a sync caller. */
  public void giveUp(Mode mode, CompletableFuture<String> call) throws InterruptedException {
    if (mode == Mode.ASYNC) {
      call.cancel(true);
      return;
    }
    Thread t;
    while ((t = caller.get()) == null) {
      Thread.onSpinWait();
    }
    t.interrupt();
  }

  /** How a call ended, awaited within the limit. */
  public static Mode.Outcome<String> outcome(CompletableFuture<String> call) {
    try {
      return Mode.outcome(call, LIMIT_SECONDS, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the call did not end within " + LIMIT_SECONDS + " s", e);
    }
  }

  /** The outstanding attempts of {@code group}, summed over its endpoints. */
  public static int outstanding(EndpointGroup<?> group) {
    return group.status().stream().mapToInt(EndpointStatus::outstanding).sum();
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
