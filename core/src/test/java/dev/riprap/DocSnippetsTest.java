package dev.riprap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.event.RetryScheduled;
import dev.riprap.event.Subscription;
import dev.riprap.testing.FakeTimeSource;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The code shown in README.md, docs/getting-started.md and docs/core.md, compiled and run here so
 * the docs cannot rot. Keep the two in step when either changes.
 */
class DocSnippetsTest {
  enum Stock { SEVEN, UNKNOWN }

  enum Price { UNKNOWN, CACHED }

  static final class Inventory {
    int calls;

    Stock stock(String sku) throws IOException {
      if (++calls == 1) {
        throw new IOException("connection reset");
      }
      return Stock.SEVEN;
    }

    CompletableFuture<Stock> stockAsync(String sku) {
      return CompletableFuture.completedFuture(Stock.SEVEN);
    }
  }

  private final Inventory inventory = new Inventory();
  private final String sku = "sku-1";

  /** docs/core.md, Retry, and the RetriesExhaustedException class Javadoc. */
  @Test
  void retriesExhaustedTellsThePolicyAndTheAttempts() {
    Policy policy = Policy.builder("inventory").timeSource(new FakeTimeSource())
        .retry(3, Duration.ofMillis(10), Duration.ofMillis(10)).build();
    List<String> log = new ArrayList<>();
    try {
      policy.call(() -> {
        throw new IOException("down");
      });
    } catch (IOException e) {
      for (Throwable s : e.getSuppressed()) {
        if (s instanceof RetriesExhaustedException r) {
          log.add(r.policyName() + " gave up after " + r.attempts() + " attempts");
        }
      }
    }
    assertThat(log).containsExactly("inventory gave up after 3 attempts");
  }

  /** docs/core.md, Retry, and the RetrySettings class Javadoc. */
  @Test
  void ownRetrySettings() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    RetrySettings retry = RetrySettings.builder(4)
        .backoff(Duration.ofMillis(50), Duration.ofSeconds(2))
        .jitter(0.2)
        .retryOn(e -> e instanceof IOException)
        .build();
    Policy policy = Policy.builder("inventory").timeSource(time).retry(retry).build();
    int[] attempts = {0};

    String stock = policy.call(() -> {
      if (++attempts[0] < 3) {
        throw new IOException("flaky");
      }
      return "12 in stock";
    });

    assertThat(stock).isEqualTo("12 in stock");
    assertThat(policy.maxAttempts()).isEqualTo(4);
    // 50 ms and 100 ms, each within +-20%.
    assertThat(time.nanoTime()).isBetween(Duration.ofMillis(120).toNanos(),
        Duration.ofMillis(180).toNanos());
  }

  @Test
  void readmeQuickStart() throws Exception {
    Policy policy = Policy.builder("inventory")
        .retry(3, Duration.ofMillis(100), Duration.ofSeconds(2))
        .circuitBreaker(CircuitBreakerConfig.ofDefaults())
        .bulkhead(20)
        .attemptTimeout(Duration.ofSeconds(2))
        .totalTimeout(Duration.ofSeconds(5))
        .build();

    Stock stock = policy.call(() -> inventory.stock(sku));
    Stock orNone = policy.call(() -> inventory.stock(sku), Fallback.of(Stock.UNKNOWN));
    CompletableFuture<Stock> later = policy.callAsync(() -> inventory.stockAsync(sku));

    assertThat(stock).isEqualTo(Stock.SEVEN);
    assertThat(orNone).isEqualTo(Stock.SEVEN);
    assertThat(later.get()).isEqualTo(Stock.SEVEN);
  }

  @Test
  void gettingStartedPolicyAndEvents() throws Exception {
    Policy policy = Policy.builder("inventory")
        .retry(3, Duration.ofMillis(100), Duration.ofSeconds(2))
        .retryBudget(RetryBudget.ofRatio(0.2))
        .circuitBreaker(CircuitBreakerConfig.custom()
            .failureRateThreshold(50)
            .slidingWindowSize(20)
            .waitDurationInOpenState(Duration.ofSeconds(5))
            .build())
        .bulkhead(20)
        .attemptTimeout(Duration.ofSeconds(2))
        .totalTimeout(Duration.ofSeconds(5))
        .build();
    List<Integer> retries = new ArrayList<>();
    try (Subscription s = policy.events().subscribe(RetryScheduled.class,
        r -> retries.add(r.attempt()))) {
      assertThat(policy.call(() -> inventory.stock(sku))).isEqualTo(Stock.SEVEN);
    }
    assertThat(retries).containsExactly(1);
  }

  @Test
  void gettingStartedFakeTime() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    Policy policy = Policy.builder("p").timeSource(time)
        .retry(RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ofMillis(100)).build())
        .build();
    int[] n = {0};
    policy.call(() -> {
      if (++n[0] < 3) {
        throw new IOException("flaky");
      }
      return "ok";
    });
    assertThat(time.waits()).containsExactly(Duration.ofMillis(100), Duration.ofMillis(100));
  }

  record Order(int id) {}

  static final class Downstream {
    final List<Order> sent = new ArrayList<>();

    void send(Order order) {
      sent.add(order);
    }
  }

  @Test
  void pacedLimiterAlone() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    List<Order> orders = List.of(new Order(1), new Order(2), new Order(3));
    Order extra = new Order(4);
    Downstream downstream = new Downstream();
    List<Order> later = new ArrayList<>();

    // As in the PacedLimiter class Javadoc and docs/core.md, on a fake clock.
    PacedLimiter limiter = PacedLimiter.builder(10).timeSource(time).build();
    for (Order order : orders) {
      limiter.take(); // waits for its slot
      downstream.send(order);
    }
    if (limiter.tryTake()) { // a slot now, or false at once
      downstream.send(extra);
    } else {
      later.add(extra);
    }

    assertThat(downstream.sent).containsExactlyElementsOf(orders);
    assertThat(later).containsExactly(extra);
    assertThat(time.waits()).containsExactly(Duration.ofMillis(100), Duration.ofMillis(100));
  }

  @Test
  void coreFallbackCases() throws Exception {
    Fallback<Price> fallback =
        Fallback.<Price, RejectedException>on(RejectedException.class, e -> Price.UNKNOWN)
            .orOn(IOException.class, e -> Price.CACHED)
            .orWhen(e -> e instanceof TimeoutException, e -> Price.UNKNOWN);
    Policy policy = Policy.builder("prices").build();

    Price price = policy.call(() -> {
      throw new IOException("down");
    }, fallback);

    assertThat(price).isEqualTo(Price.CACHED);
  }
}
