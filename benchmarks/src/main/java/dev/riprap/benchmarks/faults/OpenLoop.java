package dev.riprap.benchmarks.faults;

import dev.riprap.RejectedException;
import dev.riprap.benchmarks.http.Latencies;
import dev.riprap.http.HttpRejectedException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * Calls at a fixed arrival rate (open loop), as user traffic reaches a service, on at most {@value
 * #MAX_IN_FLIGHT} caller threads: an arrival that finds every caller busy is shed and counts as a
 * failure (a closed loop would slow down with the upstream and hide the overload). Each call's
 * latency is measured from when it was due, not from when a thread got to it, so a stall of the
 * generator is charged to the calls it delayed (no coordinated omission). The run waits at most
 * {@value #DRAIN_SECONDS} s for its last calls.
 */
final class OpenLoop {
  static final int MAX_IN_FLIGHT = 256;
  static final int DRAIN_SECONDS = 40;
  /** A call shed because every caller was busy. */
  static final int SHED = -2;
  /** A call that ended with an exception. */
  static final int FAILED = -1;
  /** A call still running when the drain ended. */
  static final int UNFINISHED = 0;

  /** One call. */
  @FunctionalInterface
  interface Call {
    /**
     * Makes call number {@code index}.
     *
     * @param index from 0
     * @return the final HTTP status
     * @throws Exception the call's failure, recorded as {@link #FAILED}
     */
    int send(int index) throws Exception;
  }

  /** When each call was due and ended (from {@link #start}), and its status. */
  static final class Result {
    final long start;
    final long[] issued;
    final long[] ended;
    final int[] status;
    /** What the failed calls ended with, and how many of them. */
    final Map<String, Integer> failures = new ConcurrentHashMap<>();

    Result(long start, int calls) {
      this.start = start;
      this.issued = new long[calls];
      this.ended = new long[calls];
      this.status = new int[calls];
    }

    static boolean success(int status) {
      return status >= 200 && status < 300;
    }

    /**
     * What every scenario reports of a run: the calls, the success rate callers saw, the shed and
     * unfinished calls, and p50/p99 of the calls that ended (shed ones excluded) from when they
     * were due.
     */
    Map<String, Object> row(String scenario, String client, int perSecond, long lengthNanos) {
      int calls = status.length;
      int ok = 0;
      int shed = 0;
      int unfinished = 0;
      Latencies latency = new Latencies();
      for (int i = 0; i < calls; i++) {
        if (success(status[i])) {
          ok++;
        }
        if (status[i] == SHED) {
          shed++;
        } else if (status[i] == UNFINISHED) {
          unfinished++;
        } else {
          latency.add(ended[i] - issued[i]);
        }
      }
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("scenario", scenario);
      row.put("client", client);
      row.put("callsPerSecond", perSecond);
      row.put("seconds", lengthNanos / 1e9);
      row.put("calls", calls);
      row.put("succeeded", ok);
      row.put("successRate", ok / (double) calls);
      row.put("shed", shed);
      row.put("unfinished", unfinished);
      row.put("p50Millis", latency.quantileMicros(0.50) / 1000);
      row.put("p99Millis", latency.quantileMicros(0.99) / 1000);
      row.put("failures", new TreeMap<>(failures));
      return row;
    }
  }

  private OpenLoop() {}

  /** A failure's kind for the report: the exception's class, and a rejection's reason. */
  static String kind(Exception e) {
    if (e instanceof HttpRejectedException r) {
      return "rejected: " + r.reason().text();
    }
    if (e instanceof RejectedException r) {
      return "rejected: " + r.reason().text();
    }
    return e.getClass().getSimpleName();
  }

  /**
   * Makes {@code calls} calls, one every {@code intervalNanos}, the first at once.
   *
   * @param calls how many
   * @param intervalNanos the time between two arrivals
   * @param onStart told time zero (a {@link System#nanoTime()} reading) before the first call
   * @param call the call
   * @return the timings and statuses
   * @throws InterruptedException if interrupted while pacing or draining
   */
  static Result run(int calls, long intervalNanos, LongConsumer onStart,
      Call call) throws InterruptedException {
    ThreadPoolExecutor workers =
        new ThreadPoolExecutor(MAX_IN_FLIGHT, MAX_IN_FLIGHT, 1, TimeUnit.MINUTES,
            new SynchronousQueue<>(), r -> {
              Thread t = new Thread(r, "caller");
              t.setDaemon(true);
              return t;
            });
    workers.prestartAllCoreThreads();
    try {
      long start = System.nanoTime();
      onStart.accept(start);
      Result result = new Result(start, calls);
      for (int i = 0; i < calls; i++) {
        long due = start + i * intervalNanos;
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        int index = i;
        result.issued[i] = due - start;
        try {
          workers.execute(() -> {
            int code;
            try {
              code = call.send(index);
              if (!Result.success(code)) {
                result.failures.merge("status " + code, 1, Integer::sum);
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              code = FAILED;
            } catch (Exception e) {
              result.failures.merge(kind(e), 1, Integer::sum);
              code = FAILED;
            }
            result.ended[index] = System.nanoTime() - start;
            result.status[index] = code;
          });
        } catch (RejectedExecutionException e) {
          result.status[i] = SHED;
          result.ended[i] = result.issued[i];
        }
      }
      workers.shutdown();
      workers.awaitTermination(DRAIN_SECONDS, TimeUnit.SECONDS);
      return result;
    } finally {
      workers.shutdownNow();
    }
  }
}
