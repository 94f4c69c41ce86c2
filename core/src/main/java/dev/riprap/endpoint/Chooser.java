package dev.riprap.endpoint;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The choice of one attempt's endpoint: among the candidates of the group's view, those this call
 * has not tried yet when there are any, by the group's balancer. Lock-free: it reads the view,
 * the members' counters and (round robin) one atomic counter.
 */
final class Chooser {
  /**
   * A penalty cost for an endpoint with attempts in flight and no latency observed yet (Finagle's
   * peak EWMA does the same): it is avoided until its first attempt tells how fast it is.
   */
  private static final double UNKNOWN_BUSY = 1e18;

  private final Balancer balancer;
  private final AtomicInteger turn = new AtomicInteger();

  Chooser(Balancer balancer) {
    this.balancer = balancer;
  }

  /**
   * Chooses among {@code candidates}, skipping the members in {@code tried[0..triedCount)} unless
   * all were tried. Does not count the attempt: the caller does.
   *
   * @param now the time, read only for the peak EWMA
   */
  <E> Member<E> choose(Member<E>[] candidates, Member<?>[] tried, int triedCount, long now) {
    int untried = candidates.length;
    if (triedCount > 0) {
      untried = 0;
      for (Member<E> m : candidates) {
        untried += isTried(m, tried, triedCount) ? 0 : 1;
      }
      if (untried == 0) {
        triedCount = 0; // every candidate was tried: any may be tried again
        untried = candidates.length;
      }
    }
    if (untried == 1) {
      return nth(candidates, 0, tried, triedCount);
    }
    if (balancer.kind == Balancer.Kind.ROUND_ROBIN) {
      int k = (turn.getAndIncrement() & Integer.MAX_VALUE) % untried;
      return nth(candidates, k, tried, triedCount);
    }
    // Power of two choices: two distinct picks at random, the cheaper wins.
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int i = random.nextInt(untried);
    int j = random.nextInt(untried - 1);
    if (j >= i) {
      j++;
    }
    Member<E> a = nth(candidates, i, tried, triedCount);
    Member<E> b = nth(candidates, j, tried, triedCount);
    return cost(b, now) < cost(a, now) ? b : a;
  }

  private double cost(Member<?> m, long now) {
    int outstanding = m.outstanding.get();
    if (balancer.kind == Balancer.Kind.LEAST_OUTSTANDING) {
      return outstanding;
    }
    double estimate = m.estimate(balancer.decayNanos, now);
    if (estimate == 0) {
      return outstanding == 0 ? 0 : UNKNOWN_BUSY + outstanding;
    }
    return estimate * (outstanding + 1);
  }

  boolean readsTime() {
    return balancer.kind == Balancer.Kind.PEAK_EWMA;
  }

  Balancer balancer() {
    return balancer;
  }

  private static <E> Member<E> nth(Member<E>[] candidates, int k, Member<?>[] tried, int count) {
    if (count == 0) {
      return candidates[k];
    }
    for (Member<E> m : candidates) {
      if (!isTried(m, tried, count) && k-- == 0) {
        return m;
      }
    }
    throw new AssertionError("fewer untried candidates than counted");
  }

  private static boolean isTried(Member<?> m, Member<?>[] tried, int count) {
    for (int i = 0; i < count; i++) {
      if (tried[i] == m) {
        return true;
      }
    }
    return false;
  }
}
