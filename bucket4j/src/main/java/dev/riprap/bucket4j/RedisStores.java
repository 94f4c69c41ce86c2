package dev.riprap.bucket4j;

import dev.riprap.internal.Check;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;

/**
 * Redis through Lettuce, the documented default store of a {@link DistributedLimiter}. Needs
 * {@code io.lettuce:lettuce-core} and {@code com.bucket4j:bucket4j_jdk17-lettuce} on the class
 * path (optional dependencies of this module).
 *
 * <pre>{@code
 * RedisClient client = RedisClient.create("redis://redis.internal:6379");
 * StatefulRedisConnection<String, byte[]> connection = RedisStores.connect(client);
 * ProxyManager<String> store = RedisStores.lettuce(connection);
 * }</pre>
 *
 * <p>The connection is the caller's: close it, and shut the client down, when the application
 * stops. Lettuce queues commands while it reconnects and times them out after 60 s by default;
 * the limiter does not wait that long (its store timeout answers first), but a command lost in a
 * partition stays in flight until Lettuce drops it, and with batching the replica's next requests
 * for the same key queue behind it. Set the client's command timeout to about a second ({@code
 * RedisURI.Builder.withTimeout}), and {@code ClientOptions.disconnectedBehavior(REJECT_COMMANDS)}
 * to make an outage fail at once instead of piling up queued commands.
 */
public final class RedisStores {
  /**
   * How long a bucket's key stays in Redis after the bucket would be full again: a key nobody
   * uses expires instead of staying forever, and a full bucket is what a new key starts as anyway.
   */
  static final Duration KEEP_AFTER_FULL = Duration.ofSeconds(10);

  private RedisStores() {}

  /**
   * A connection with string keys and byte-array values, the form {@link #lettuce} takes.
   *
   * @param client the Lettuce client
   * @return a new connection, to be closed by the caller
   * @throws NullPointerException if {@code client} is null
   */
  public static StatefulRedisConnection<String, byte[]> connect(RedisClient client) {
    Check.notNull(client, "client");
    return client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
  }

  /**
   * A Bucket4j proxy manager on {@code connection}: compare-and-swap on one Redis key per
   * bucket, async-capable, each key expiring {@link #KEEP_AFTER_FULL} (10 s) after its bucket
   * would be full again.
   *
   * @param connection the connection, owned by the caller
   * @return the proxy manager
   * @throws NullPointerException if {@code connection} is null
   */
  public static ProxyManager<String> lettuce(StatefulRedisConnection<String, byte[]> connection) {
    Check.notNull(connection, "connection");
    return Bucket4jLettuce.casBasedBuilder(connection)
        .expirationAfterWrite(
            ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_AFTER_FULL))
        .build();
  }
}
