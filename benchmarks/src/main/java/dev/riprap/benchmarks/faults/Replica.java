package dev.riprap.benchmarks.faults;

import dev.riprap.benchmarks.http.Upstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One replica of an upstream service on 127.0.0.1 (a JDK {@code HttpServer}), misbehaving as set:
 * answering 503 with a probability or to every other request, answering 503 to everything between
 * two instants, and answering after a random pause. {@link #dead()} gives the address of a replica that is not there at
 * all.
 */
final class Replica implements AutoCloseable {
  private static final byte[] OK = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
  private static final byte[] NONE = new byte[0];

  private final Upstream server;
  private volatile double failRate;
  private volatile long failFromNanos = Long.MAX_VALUE;
  private volatile long failToNanos = Long.MAX_VALUE;
  private volatile long delayMillis;
  private volatile boolean alternate;
  private final AtomicLong answered = new AtomicLong();

  Replica() throws IOException {
    // A slow answer holds a handler thread for its pause; 64 hold what 200 calls/s keep busy.
    server = new Upstream(64, exchange -> {
      long mean = delayMillis;
      if (mean > 0) {
        // Exponentially distributed, as service times with a tail are (p95 = 3x the mean, p99 =
        // 4.6x), cut at 20x the mean.
        double draw = -Math.log(1 - ThreadLocalRandom.current().nextDouble());
        long micros = (long) (Math.min(draw, 20) * mean * 1000);
        try {
          Thread.sleep(micros / 1000, (int) (micros % 1000) * 1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      long now = System.nanoTime();
      boolean failing = now - failFromNanos >= 0 && now - failToNanos < 0;
      boolean flaky = alternate
          ? answered.getAndIncrement() % 2 == 0
          : failRate > 0 && ThreadLocalRandom.current().nextDouble() < failRate;
      if (failing || flaky) {
        Upstream.answer(exchange, 503, NONE);
      } else {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        Upstream.answer(exchange, 200, OK);
      }
    });
  }

  /**
   * The address of a replica that is not there: a port on 127.0.0.1 that was free a moment ago and
   * that nothing listens on, so a connection to it is refused at once.
   *
   * @return {@code http://127.0.0.1:port}
   * @throws IOException if no port can be had
   */
  static URI dead() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }
  }

  /**
   * This replica's address.
   *
   * @return {@code http://127.0.0.1:port}
   */
  URI endpoint() {
    return server.uri("");
  }

  /** Healthy and fast again: no failures, no pause. */
  void reset() {
    failRate = 0;
    alternate = false;
    answered.set(0);
    failFromNanos = Long.MAX_VALUE;
    failToNanos = Long.MAX_VALUE;
    delayMillis = 0;
  }

  /**
   * Answers 503 to each request with probability {@code rate}.
   *
   * @param rate in [0, 1]
   */
  void failRate(double rate) {
    this.failRate = rate;
  }

  /**
   * Answers 503 to every request that arrives from {@code fromNanos} until {@code toNanos}
   * ({@link System#nanoTime()} readings).
   *
   * @param fromNanos the start of the failure
   * @param toNanos the heal
   */
  void failBetween(long fromNanos, long toNanos) {
    this.failFromNanos = fromNanos;
    this.failToNanos = toNanos;
  }

  /**
   * Answers 503 to every other request, the first included: half the time, and never twice in a
   * row.
   */
  void failAlternately() {
    this.alternate = true;
  }

  /**
   * Answers every request after a pause drawn from an exponential distribution of mean {@code
   * millis} (cut at 20 times the mean).
   *
   * @param millis the mean pause, 0 for none
   */
  void delay(long millis) {
    this.delayMillis = millis;
  }

  @Override
  public void close() {
    server.close();
  }
}
