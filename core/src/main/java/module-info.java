/**
 * Riprap's core: {@link dev.riprap.Policy}, the composed and validated resilience pipeline on
 * resilience4j's primitives, with its registry ({@code dev.riprap.PolicyRegistry}), events
 * ({@code dev.riprap.event}), properties configuration ({@code dev.riprap.config}) and endpoint
 * groups ({@code dev.riprap.endpoint}: a call's attempts balanced over replicas, with outlier
 * ejection).
 *
 * <p>{@code dev.riprap.internal} is not API: it is exported only to the Riprap modules that are
 * built with this one and change with it.
 */
module dev.riprap.core {
  // The builders take and return resilience4j configs and instances, so a user of this module
  // reads resilience4j too. resilience4j 2.4 ships automatic module names, no descriptors.
  requires transitive io.github.resilience4j.core;
  requires transitive io.github.resilience4j.circuitbreaker;
  requires transitive io.github.resilience4j.ratelimiter;
  requires transitive io.github.resilience4j.retry;
  requires transitive io.github.resilience4j.bulkhead;

  exports dev.riprap;
  exports dev.riprap.config;
  exports dev.riprap.endpoint;
  exports dev.riprap.event;
  exports dev.riprap.internal to
      dev.riprap.http,
      dev.riprap.bucket4j;
}
