/**
 * A fleet-wide rate limit for Riprap policies: {@link dev.riprap.bucket4j.DistributedLimiter} puts
 * a Bucket4j proxy-manager bucket (Redis through Lettuce by default, {@link
 * dev.riprap.bucket4j.RedisStores}) into a policy's limiter slot, with a short timeout on every
 * store request, a breaker around the store and a fail mode. {@link
 * dev.riprap.bucket4j.DistributedLimiterProvider} configures it from {@code riprap.*} properties.
 */
module dev.riprap.bucket4j {
  requires transitive dev.riprap.core;
  // Bucket4j 8.19 and Lettuce 7 ship automatic module names, no descriptors.
  requires transitive io.github.bucket4j.core;
  // Redis through Lettuce is the documented default, but optional: another backend hands in its
  // own proxy manager and needs neither.
  requires static io.github.bucket4j.lettuce;
  requires static io.github.bucket4j.redis.common;
  requires static lettuce.core;

  exports dev.riprap.bucket4j;
}
