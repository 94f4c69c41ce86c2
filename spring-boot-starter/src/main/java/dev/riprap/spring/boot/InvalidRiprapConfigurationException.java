package dev.riprap.spring.boot;

/**
 * The {@code riprap.*} keys of the Spring environment do not make a valid {@code PolicyRegistry}.
 * The message is Riprap's own, word for word (an unknown key names the closest valid key; a bad
 * value names the key, the value and the expected form); the cause is the {@link
 * IllegalArgumentException} or {@link IllegalStateException} that {@code PolicyRegistry.Builder}
 * threw. Spring Boot reports it at start-up through {@code RiprapConfigurationFailureAnalyzer}.
 */
public final class InvalidRiprapConfigurationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Wraps Riprap's validation failure.
   *
   * @param cause what {@code PolicyRegistry.Builder.build()} threw
   */
  public InvalidRiprapConfigurationException(RuntimeException cause) {
    super(cause.getMessage(), cause);
  }
}
