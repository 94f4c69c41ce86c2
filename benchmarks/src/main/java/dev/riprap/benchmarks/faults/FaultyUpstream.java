package dev.riprap.benchmarks.faults;

import com.sun.net.httpserver.HttpExchange;
import dev.riprap.benchmarks.http.Upstream;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local upstream (127.0.0.1 only) that misbehaves as one {@link Fault} says, and counts what it
 * received. Time is measured from {@link #start(long)}, on the same {@link System#nanoTime()}
 * clock as the load generator, so its phases and the generator's line up exactly.
 */
final class FaultyUpstream implements AutoCloseable {
  /** How the upstream misbehaves. */
  enum Fault {
    /** Healthy, then every request answered 503 at once for a while, then healthy again. */
    OUTAGE,
    /** Each request answered 503 with a fixed probability, independently. */
    TRANSIENT,
    /**
     * The first arrival of a fraction of calls (by their {@code X-Call-Id}) answered 429 with
     * {@code Retry-After: 1}; a later arrival of the same call before that second has passed is
     * counted as early and refused again.
     */
    THROTTLE,
    /** A fraction of requests answered only after a long pause. */
    SLOW_TAIL
  }

  static final String CALL_ID = "X-Call-Id";
  static final double TRANSIENT_RATE = 0.20;
  static final double THROTTLE_RATE = 0.20;
  static final long RETRY_AFTER_SECONDS = 1;
  static final double SLOW_RATE = 0.02;
  static final long SLOW_MILLIS = 1_000;
  private static final byte[] OK = "{\"ok\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
  private static final byte[] NONE = new byte[0];

  private final Upstream server;
  private volatile Fault fault = Fault.OUTAGE;
  private volatile long startNanos;
  private volatile long outageFromNanos = Long.MAX_VALUE;
  private volatile long outageToNanos = Long.MAX_VALUE;
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong receivedInOutage = new AtomicLong();
  private final AtomicLong earlyRetries = new AtomicLong();
  private final ConcurrentHashMap<String, Long> notBefore = new ConcurrentHashMap<>();

  FaultyUpstream() throws IOException {
    // Slow answers hold a handler thread for their pause; 512 threads hold every one of them.
    server = new Upstream(512, this::handle);
  }

  URI uri() {
    return server.uri("/resource");
  }

  /**
   * Resets the counters and sets the fault for the next run.
   *
   * @param fault the fault
   * @param outageFromNanos for {@link Fault#OUTAGE}: when the outage starts, from the start
   * @param outageToNanos for {@link Fault#OUTAGE}: when the upstream heals, from the start
   */
  void prepare(Fault fault, long outageFromNanos, long outageToNanos) {
    this.fault = fault;
    this.outageFromNanos = outageFromNanos;
    this.outageToNanos = outageToNanos;
    received.set(0);
    receivedInOutage.set(0);
    earlyRetries.set(0);
    notBefore.clear();
  }

  /**
   * Sets time zero of the run.
   *
   * @param nanos a {@link System#nanoTime()} reading
   */
  void start(long nanos) {
    this.startNanos = nanos;
  }

  long received() {
    return received.get();
  }

  long receivedInOutage() {
    return receivedInOutage.get();
  }

  long earlyRetries() {
    return earlyRetries.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    long now = System.nanoTime();
    received.incrementAndGet();
    switch (fault) {
      case OUTAGE:
        long t = now - startNanos;
        if (t >= outageFromNanos && t < outageToNanos) {
          receivedInOutage.incrementAndGet();
          Upstream.answer(exchange, 503, NONE);
          return;
        }
        break;
      case TRANSIENT:
        if (ThreadLocalRandom.current().nextDouble() < TRANSIENT_RATE) {
          Upstream.answer(exchange, 503, NONE);
          return;
        }
        break;
      case THROTTLE:
        String id = exchange.getRequestHeaders().getFirst(CALL_ID);
        Long until = id == null ? null : notBefore.get(id);
        if (until != null) {
          if (now < until) {
            earlyRetries.incrementAndGet();
            throttle(exchange);
            return;
          }
        } else if (id != null && ThreadLocalRandom.current().nextDouble() < THROTTLE_RATE) {
          notBefore.put(id, now + TimeUnit.SECONDS.toNanos(RETRY_AFTER_SECONDS));
          throttle(exchange);
          return;
        }
        break;
      case SLOW_TAIL:
        if (ThreadLocalRandom.current().nextDouble() < SLOW_RATE) {
          try {
            Thread.sleep(SLOW_MILLIS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
        break;
      default:
        throw new IllegalStateException("unknown fault " + fault);
    }
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    Upstream.answer(exchange, 200, OK);
  }

  private static void throttle(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().set("Retry-After", Long.toString(RETRY_AFTER_SECONDS));
    Upstream.answer(exchange, 429, NONE);
  }

  @Override
  public void close() {
    server.close();
  }
}
