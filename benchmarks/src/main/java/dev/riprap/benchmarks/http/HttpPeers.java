package dev.riprap.benchmarks.http;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.FailsafeExecutor;
import dev.riprap.event.CircuitStateChanged;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.ResilientHttpClient;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.decorators.Decorators;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The HTTP clients compared, each a fresh instance with its own connection pool and its own
 * breaker state. The resilience4j and Failsafe clients are wired around {@link HttpClient#send} by
 * hand, the way their documentation shows, with the numbers of Riprap's preset, read from {@link
 * HttpPolicy#standard()} so that they follow it and differ in mechanism, not in settings (see
 * {@link #describeSettings()}): its retries on transport errors and on 408, 429 and 5xx with its
 * exponential backoff and jitter; its breaker window, threshold, break and probes (an open breaker
 * is not retried); at most 1000 requests in flight (the client's default concurrency limit); and
 * the caller's {@link HttpRequest#timeout()} as the attempt timeout, identical for every client.
 *
 * <p>What they do not get is what Riprap adds and they would need custom code for: a retry budget,
 * honouring {@code Retry-After}, and a total timeout around the retries (Failsafe gets its {@code
 * Timeout}, which it has built in).
 */
public final class HttpPeers {
  /** The preset the peers copy. */
  static final HttpPolicy STANDARD = HttpPolicy.standard();
  /** {@code ResilientHttpClient}'s default concurrency limit, which the peers' bulkheads copy. */
  static final int CONCURRENCY = 1000;

  private HttpPeers() {}

  /** One way of sending a request, with a name for the report. */
  public interface Client extends AutoCloseable {
    /**
     * The name in the report.
     *
     * @return the name
     */
    String name();

    /**
     * Sends {@code request}, reading the body as bytes, through this client's protection.
     *
     * @param request the request
     * @return the final response
     * @throws Exception the transport's or the protection's exception
     */
    HttpResponse<byte[]> send(HttpRequest request) throws Exception;

    /**
     * The circuit-breaker state changes this client reported since it was created, each with the
     * {@link System#nanoTime()} it was seen at; empty for clients that do not report them or were
     * not asked to ({@link #create(String, boolean)}).
     *
     * @return the changes, oldest first
     */
    default List<Map.Entry<Long, String>> breakerChanges() {
      return List.of();
    }

    /** Releases the client's threads and connections, if it holds any of its own. */
    @Override
    default void close() {}
  }

  /** The names of the clients in the order they run, the unprotected one first. */
  public static final List<String> NAMES = List.of("raw", "riprap", "resilience4j", "failsafe");

  /**
   * A fresh client of the given kind.
   *
   * @param name one of {@link #NAMES}
   * @return the client
   * @throws IllegalArgumentException for an unknown name
   */
  public static Client create(String name) {
    return create(name, false);
  }

  /**
   * A fresh client of the given kind, recording its breaker's state changes if asked. Only Riprap
   * reports them (through its event stream; listening makes it publish its per-call events too,
   * a small cost next to an HTTP exchange).
   *
   * @param name one of {@link #NAMES}
   * @param watchBreaker whether to record breaker state changes
   * @return the client
   * @throws IllegalArgumentException for an unknown name
   */
  public static Client create(String name, boolean watchBreaker) {
    switch (name) {
      case "raw":
        return raw(HttpClient.newHttpClient());
      case "riprap":
        return riprap(watchBreaker);
      case "resilience4j":
        return resilience4j(HttpClient.newHttpClient());
      case "failsafe":
        return failsafe(HttpClient.newHttpClient());
      default:
        throw new IllegalArgumentException("unknown client '" + name + "', expected one of " + NAMES);
    }
  }

  /**
   * The settings the peers copy from {@link HttpPolicy#standard()}, in words, for the report.
   *
   * @return one sentence fragment
   */
  public static String describeSettings() {
    HttpPolicy p = STANDARD;
    String window = p.breakerWindowCalls() > 0
        ? "the last " + p.breakerWindowCalls() + " attempts"
        : p.breakerWindow().orElseThrow().toSeconds() + " s";
    return (p.maxRetries() + 1) + " attempts, backoff from " + p.initialBackoff().toMillis()
        + " ms doubling up to " + p.maxBackoff().toMillis() + " ms with ±"
        + Math.round(p.jitter() * 100) + "% jitter, a breaker opening at "
        + Math.round(p.failureRateThreshold()) + "% failures over " + window + " (at least "
        + p.minimumCalls() + "), open " + p.breakDuration().toMillis() + " ms, then "
        + p.halfOpenCalls() + (p.halfOpenCalls() == 1 ? " probe" : " probes")
        + ", at most " + CONCURRENCY + " in flight";
  }

  static boolean transientStatus(int status) {
    return status == 408 || status == 429 || status >= 500;
  }

  static boolean transientResponse(Object response) {
    return response instanceof HttpResponse
        && transientStatus(((HttpResponse<?>) response).statusCode());
  }

  /**
   * No protection: the JDK client as it comes.
   *
   * @param http the client that sends
   * @return the peer
   */
  public static Client raw(HttpClient http) {
    return new Client() {
      @Override
      public String name() {
        return "raw";
      }

      @Override
      public HttpResponse<byte[]> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      }
    };
  }

  /** {@code ResilientHttpClient.standard()}: the preset, nothing configured. */
  static Client riprap(boolean watchBreaker) {
    ResilientHttpClient http = ResilientHttpClient.standard();
    List<Map.Entry<Long, String>> changes = new CopyOnWriteArrayList<>();
    if (watchBreaker) {
      http.events().subscribe(CircuitStateChanged.class, e -> changes.add(
          new AbstractMap.SimpleImmutableEntry<>(System.nanoTime(), e.from() + " -> " + e.to())));
    }
    return new Client() {
      @Override
      public List<Map.Entry<Long, String>> breakerChanges() {
        return changes;
      }

      @Override
      public String name() {
        return "riprap";
      }

      @Override
      public HttpResponse<byte[]> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      }

      @Override
      public void close() {
        http.close();
      }
    };
  }

  /**
   * resilience4j's {@code Decorators} around {@code send}, decorated per request, with a bulkhead,
   * breaker and retry of its own.
   *
   * @param http the client that sends
   * @return the peer
   */
  public static Client resilience4j(HttpClient http) {
    HttpPolicy p = STANDARD;
    Bulkhead bulkhead =
        Bulkhead.of(
            "http",
            BulkheadConfig.custom()
                .maxConcurrentCalls(CONCURRENCY)
                .maxWaitDuration(Duration.ZERO)
                .build());
    CircuitBreakerConfig.Builder breakerConfig = CircuitBreakerConfig.custom();
    if (p.breakerWindowCalls() > 0) {
      breakerConfig
          .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
          .slidingWindowSize(p.breakerWindowCalls());
    } else {
      breakerConfig
          .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.TIME_BASED)
          .slidingWindowSize((int) p.breakerWindow().orElseThrow().toSeconds());
    }
    CircuitBreaker breaker =
        CircuitBreaker.of(
            "http",
            breakerConfig
                .minimumNumberOfCalls(p.minimumCalls())
                .failureRateThreshold(p.failureRateThreshold())
                .waitDurationInOpenState(p.breakDuration())
                .permittedNumberOfCallsInHalfOpenState(p.halfOpenCalls())
                .recordResult(HttpPeers::transientResponse)
                .build());
    Retry retry =
        Retry.of(
            "http",
            RetryConfig.<HttpResponse<byte[]>>custom()
                .maxAttempts(p.maxRetries() + 1)
                .intervalFunction(
                    IntervalFunction.ofExponentialRandomBackoff(
                        p.initialBackoff(), 2.0, p.jitter(), p.maxBackoff()))
                .retryOnResult(r -> transientStatus(r.statusCode()))
                .retryExceptions(IOException.class)
                .ignoreExceptions(CallNotPermittedException.class)
                .build());
    return new Client() {
      @Override
      public String name() {
        return "resilience4j";
      }

      @Override
      public HttpResponse<byte[]> send(HttpRequest request) throws Exception {
        try {
          return Decorators.ofCheckedSupplier(
                  () -> http.send(request, HttpResponse.BodyHandlers.ofByteArray()))
              .withBulkhead(bulkhead)
              .withCircuitBreaker(breaker)
              .withRetry(retry)
              .get();
        } catch (Exception | Error e) {
          throw e;
        } catch (Throwable t) {
          throw new IOException(t);
        }
      }
    };
  }

  /**
   * Failsafe's executor around {@code send}, with a timeout, retry, breaker and bulkhead of its own.
   *
   * @param http the client that sends
   * @return the peer
   */
  public static Client failsafe(HttpClient http) {
    HttpPolicy p = STANDARD;
    dev.failsafe.RetryPolicy<HttpResponse<byte[]>> retry =
        dev.failsafe.RetryPolicy.<HttpResponse<byte[]>>builder()
            .handle(IOException.class)
            .handleResultIf(r -> transientStatus(r.statusCode()))
            .withMaxRetries(p.maxRetries())
            .withBackoff(p.initialBackoff(), p.maxBackoff())
            .withJitter(p.jitter())
            .abortOn(dev.failsafe.CircuitBreakerOpenException.class)
            .build();
    dev.failsafe.CircuitBreakerBuilder<HttpResponse<byte[]>> breakerBuilder =
        dev.failsafe.CircuitBreaker.<HttpResponse<byte[]>>builder()
            .handle(IOException.class)
            .handleResultIf(r -> transientStatus(r.statusCode()))
            .withDelay(p.breakDuration());
    if (p.breakerWindowCalls() > 0) {
      // resilience4j opens when failures / window >= the rate: that many of the last N.
      int window = p.breakerWindowCalls();
      breakerBuilder.withFailureThreshold(
          (int) Math.ceil(window * p.failureRateThreshold() / 100.0), window);
    } else {
      breakerBuilder.withFailureRateThreshold(
          Math.round(p.failureRateThreshold()), p.minimumCalls(), p.breakerWindow().orElseThrow());
    }
    // resilience4j closes a half-open breaker when its probes fail less often than the rate.
    int probes = p.halfOpenCalls();
    int failuresTolerated = (int) Math.ceil(probes * p.failureRateThreshold() / 100.0) - 1;
    dev.failsafe.CircuitBreaker<HttpResponse<byte[]>> breaker =
        breakerBuilder.withSuccessThreshold(probes - failuresTolerated, probes).build();
    FailsafeExecutor<HttpResponse<byte[]>> executor =
        Failsafe.with(
            dev.failsafe.Timeout.<HttpResponse<byte[]>>of(p.totalTimeout()),
            retry,
            breaker,
            dev.failsafe.Bulkhead.<HttpResponse<byte[]>>builder(CONCURRENCY)
                .withMaxWaitTime(Duration.ZERO)
                .build());
    return new Client() {
      @Override
      public String name() {
        return "failsafe";
      }

      @Override
      public HttpResponse<byte[]> send(HttpRequest request) throws Exception {
        try {
          return executor.get(() -> http.send(request, HttpResponse.BodyHandlers.ofByteArray()));
        } catch (FailsafeException e) {
          Throwable cause = e.getCause();
          if (cause instanceof Exception) {
            throw (Exception) cause;
          }
          throw e;
        }
      }
    };
  }
}
