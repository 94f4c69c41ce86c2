package dev.riprap.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a few parties at the same moment, each on its own thread, started by a barrier (the habit of
 * Caffeine's {@code ConcurrentTestHarness}). A race is one round; a test repeats rounds a bounded
 * number of times. Each round is bounded in time only to turn a hang into a failure; nothing here
 * measures time.
 */
public final class Race implements AutoCloseable {
  private static final long ROUND_LIMIT_SECONDS = 30;

  /** One party of a round. */
  @FunctionalInterface
  public interface Party {
    /**
     * Runs the party's side of the race.
     *
     * @throws Exception anything; the round fails with it
     */
    void run() throws Exception;
  }

  private final ExecutorService pool;

  /**
   * A race of up to {@code parties} parties a round.
   *
   * @param parties the most parties a round has
   */
  public Race(int parties) {
    this.pool = Executors.newFixedThreadPool(parties, r -> {
      Thread t = new Thread(r, "race");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Runs one round: every party starts when all are ready; returns when all have ended.
   *
   * @param parties the parties
   * @throws AssertionError if a party failed (with its failure as the cause) or the round did not
   *     end within its limit
   */
  public void round(Party... parties) {
    CyclicBarrier start = new CyclicBarrier(parties.length);
    List<Future<?>> running = new ArrayList<>();
    for (Party p : parties) {
      running.add(pool.submit(() -> {
        start.await();
        p.run();
        return null;
      }));
    }
    for (Future<?> f : running) {
      try {
        f.get(ROUND_LIMIT_SECONDS, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw new AssertionError("a party of the race failed: " + e.getCause(), e.getCause());
      } catch (TimeoutException e) {
        throw new AssertionError("a party of the race did not end in " + ROUND_LIMIT_SECONDS + " s");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for the race", e);
      }
    }
  }

  /** Spins for a short random while, so that the parties of a round meet at varying points. */
  public static void jitter() {
    int spins = ThreadLocalRandom.current().nextInt(2_000);
    for (int i = 0; i < spins; i++) {
      Thread.onSpinWait();
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
