/**
 * Resilience annotations for interfaces, applied by a plain {@code java.lang.reflect.Proxy}: no
 * Spring, no CDI, no bytecode agent. Annotate an interface and its methods with {@link
 * dev.riprap.annotation.Retry}, {@link dev.riprap.annotation.CircuitBreaker}, {@link
 * dev.riprap.annotation.RateLimiter}, {@link dev.riprap.annotation.Bulkhead}, {@link
 * dev.riprap.annotation.Timeout}, {@link dev.riprap.annotation.Fallback} or {@link
 * dev.riprap.annotation.Policy}, then wrap an implementation with {@link
 * dev.riprap.annotation.Resilient}. Everything is checked when the proxy is made.
 */
package dev.riprap.annotation;
