package dev.riprap.bucket4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.PolicyRegistry;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.io.StringReader;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The code shown in docs/distributed-rate-limit.md and in the Javadoc of {@link DistributedLimiter},
 * {@link RedisStores} and {@link DistributedLimiterProvider}, compiled and run here against a real
 * Redis so the docs cannot rot. Keep the two in step when either changes.
 */
class DocSnippetsTest {
  private static LocalRedis redis;

  @BeforeAll
  static void startRedis() {
    redis = LocalRedis.start();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  record Location(String where) {}

  static final class Geocoding {
    Location locate(String address) throws IOException {
      return new Location("52.37,4.89 for " + address);
    }
  }

  private final Geocoding geocoding = new Geocoding();
  private final String address = "Dam 1, Amsterdam";

  /** docs/distributed-rate-limit.md, From code. */
  @Test
  void fromCode() throws IOException {
    RedisClient client = RedisClient.create("redis://127.0.0.1:" + redis.port);
    try {
      StatefulRedisConnection<String, byte[]> connection = RedisStores.connect(client);
      ProxyManager<String> store = RedisStores.lettuce(connection);

      DistributedLimiter quota = DistributedLimiter.builder(store, "riprap:geocoder")
          .limit(100, Duration.ofSeconds(1))   // 100 calls a second for the whole fleet
          .replicas(3)                         // the local fallback's share: 34 a second each
          .build();
      Policy geocoder = Policy.builder("geocoder")
          .rateLimiter(quota)
          .retry(3, Duration.ofMillis(100), Duration.ofSeconds(1))
          .circuitBreaker(CircuitBreakerConfig.ofDefaults())
          .build();

      Location where = geocoder.call(() -> geocoding.locate(address));

      assertThat(where.where()).startsWith("52.37,4.89");
      connection.close();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  /** docs/distributed-rate-limit.md, With Spring Boot (the bean method without its annotation). */
  DistributedLimiterProvider riprapDistributedLimiter(RedisClient redis) {
    return DistributedLimiterProvider.of(RedisStores.lettuce(RedisStores.connect(redis)));
  }

  @Test
  void withSpringBootTheProviderBeanServesTheDocumentedKeys() {
    RedisClient client = RedisClient.create("redis://127.0.0.1:" + redis.port);
    try {
      Properties keys = new Properties();
      keys.setProperty("riprap.policies.geocoder.rate-limiter.distributed.permits", "1");
      keys.setProperty("riprap.policies.geocoder.rate-limiter.distributed.period", "1h");
      keys.setProperty("riprap.policies.geocoder.rate-limiter.distributed.key", "riprap:boot");
      PolicyRegistry registry = PolicyRegistry.builder()
          .limiterProvider(riprapDistributedLimiter(client))
          .properties(keys)
          .build();
      Policy geocoder = registry.policy("geocoder");
      assertThat(geocoder.call(() -> "first")).isEqualTo("first");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> geocoder.call(() -> "second"))
          .isInstanceOf(dev.riprap.RejectedException.class);
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  /** docs/distributed-rate-limit.md, From properties. */
  @Test
  void fromProperties() throws IOException {
    ProxyManager<String> store = RedisStores.lettuce(redis.connection());
    Properties properties = new Properties();
    properties.load(new StringReader(String.join("\n",
        "riprap.policies.geocoder.rate-limiter.distributed.permits=100",
        "riprap.policies.geocoder.rate-limiter.distributed.period=1s",
        "riprap.policies.geocoder.rate-limiter.distributed.replicas=3",
        "riprap.policies.geocoder.retry.max-attempts=3")));

    PolicyRegistry registry = PolicyRegistry.builder()
        .limiterProvider(DistributedLimiterProvider.of(store))
        .properties(properties)
        .build();

    Policy geocoder = registry.policy("geocoder");
    assertThat(geocoder.maxAttempts()).isEqualTo(3);
    assertThat(geocoder.externalLimiter().orElseThrow())
        .hasToString("distributed limiter 'riprap:geocoder' (100 per 1s, burst 100)");
    assertThat(geocoder.call(() -> geocoding.locate(address)).where()).startsWith("52.37");
  }
}
