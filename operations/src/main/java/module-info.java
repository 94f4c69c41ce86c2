/**
 * Running a service with Riprap: health from breaker states, drain and supervisor status ({@code
 * dev.riprap.health}); graceful shutdown, supervised workers and the JDK {@code HttpServer}
 * adapters ({@code dev.riprap.lifecycle}).
 */
module dev.riprap.operations {
  requires transitive dev.riprap.core;
  // HealthHandlers and HttpServerDrain take and return com.sun.net.httpserver types.
  requires transitive jdk.httpserver;

  exports dev.riprap.health;
  exports dev.riprap.lifecycle;
}
