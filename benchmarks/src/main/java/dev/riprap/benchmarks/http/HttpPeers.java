package dev.riprap.benchmarks.http;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.FailsafeExecutor;
import dev.riprap.event.CircuitStateChanged;
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
 * hand, the way their documentation shows, with the numbers of Riprap's {@code standard()} preset
 * so that they differ in mechanism, not in settings:
 *
 * <ul>
 *   <li>3 retries (4 attempts) on transport errors and on 408, 429 and 5xx, backoff 200 ms
 *       doubling, +/-50% jitter, at most 5 s;
 *   <li>a breaker over a 30 s window of at least 100 calls opening at 50% failures, open for
 *       500 ms, then 10 probes; the retry does not retry an open breaker;
 *   <li>at most 1000 requests in flight; a 10 s attempt timeout through {@link
 *       HttpRequest#timeout()} (set by the caller, identical for every client).
 * </ul>
 *
 * <p>What they do not get is what Riprap adds and they would need custom code for: a retry budget,
 * honouring {@code Retry-After}, and a total timeout around the retries (Failsafe gets its {@code
 * Timeout} of 30 s, which it has built in).
 */
public final class HttpPeers {
  /** The total timeout Failsafe's pipeline gets, as Riprap's standard preset has. */
  static final Duration TOTAL_TIMEOUT = Duration.ofSeconds(30);

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
        return raw();
      case "riprap":
        return riprap(watchBreaker);
      case "resilience4j":
        return resilience4j();
      case "failsafe":
        return failsafe();
      default:
        throw new IllegalArgumentException("unknown client '" + name + "', expected one of " + NAMES);
    }
  }

  static boolean transientStatus(int status) {
    return status == 408 || status == 429 || status >= 500;
  }

  static boolean transientResponse(Object response) {
    return response instanceof HttpResponse
        && transientStatus(((HttpResponse<?>) response).statusCode());
  }

  /** No protection: the JDK client as it comes. */
  static Client raw() {
    HttpClient http = HttpClient.newHttpClient();
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

  /** resilience4j's {@code Decorators} around {@code send}, decorated per request. */
  static Client resilience4j() {
    HttpClient http = HttpClient.newHttpClient();
    Bulkhead bulkhead =
        Bulkhead.of(
            "http",
            BulkheadConfig.custom().maxConcurrentCalls(1000).maxWaitDuration(Duration.ZERO).build());
    CircuitBreaker breaker =
        CircuitBreaker.of(
            "http",
            CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.TIME_BASED)
                .slidingWindowSize(30)
                .minimumNumberOfCalls(100)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofMillis(500))
                .permittedNumberOfCallsInHalfOpenState(10)
                .recordResult(HttpPeers::transientResponse)
                .build());
    Retry retry =
        Retry.of(
            "http",
            RetryConfig.<HttpResponse<byte[]>>custom()
                .maxAttempts(4)
                .intervalFunction(
                    IntervalFunction.ofExponentialRandomBackoff(
                        Duration.ofMillis(200), 2.0, 0.5, Duration.ofSeconds(5)))
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

  /** Failsafe's executor around {@code send}. */
  static Client failsafe() {
    HttpClient http = HttpClient.newHttpClient();
    dev.failsafe.RetryPolicy<HttpResponse<byte[]>> retry =
        dev.failsafe.RetryPolicy.<HttpResponse<byte[]>>builder()
            .handle(IOException.class)
            .handleResultIf(r -> transientStatus(r.statusCode()))
            .withMaxRetries(3)
            .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(5))
            .withJitter(0.5)
            .abortOn(dev.failsafe.CircuitBreakerOpenException.class)
            .build();
    dev.failsafe.CircuitBreaker<HttpResponse<byte[]>> breaker =
        dev.failsafe.CircuitBreaker.<HttpResponse<byte[]>>builder()
            .handle(IOException.class)
            .handleResultIf(r -> transientStatus(r.statusCode()))
            .withFailureRateThreshold(50, 100, Duration.ofSeconds(30))
            .withDelay(Duration.ofMillis(500))
            .withSuccessThreshold(6, 10)
            .build();
    FailsafeExecutor<HttpResponse<byte[]>> executor =
        Failsafe.with(
            dev.failsafe.Timeout.<HttpResponse<byte[]>>of(TOTAL_TIMEOUT),
            retry,
            breaker,
            dev.failsafe.Bulkhead.<HttpResponse<byte[]>>builder(1000)
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
