/**
 * Riprap for HTTP: {@link dev.riprap.http.ResilientHttpClient}, a drop-in {@code
 * java.net.http.HttpClient} running the Riprap pipeline per request, declarative HTTP interfaces,
 * and the container-free resilience annotations ({@code dev.riprap.annotation}).
 *
 * <p>On the module path, an interface given to {@code Resilient} or {@code HttpApi} is reached
 * reflectively: its package must be exported to this module (opened, for a non-public interface
 * or default methods of one). The JSON codec is active when {@code com.fasterxml.jackson.databind}
 * is in the module graph.
 */
module dev.riprap.http {
  requires transitive dev.riprap.core;
  requires transitive java.net.http;
  // Optional, and not transitive: javac would then demand Jackson from every user's build.
  requires static com.fasterxml.jackson.databind;

  exports dev.riprap.http;
  exports dev.riprap.annotation;
}
