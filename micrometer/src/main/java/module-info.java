/**
 * Micrometer metrics for Riprap: {@link dev.riprap.micrometer.RiprapMetrics} for policies,
 * registries and supervisors (with resilience4j-micrometer's meters for the primitives), {@link
 * dev.riprap.micrometer.HttpClientMetrics} and {@link dev.riprap.micrometer.MeteredHttpClient} for
 * HTTP clients.
 */
module dev.riprap.micrometer {
  requires transitive dev.riprap.core;
  // RiprapMetrics.bind(Supervisor) takes a supervisor of riprap-operations.
  requires transitive dev.riprap.operations;
  requires transitive java.net.http;
  // Micrometer 1.15 and resilience4j-micrometer ship automatic module names, no descriptors.
  requires transitive micrometer.core;
  requires io.github.resilience4j.micrometer;

  exports dev.riprap.micrometer;
}
