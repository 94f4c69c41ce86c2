package dev.riprap.spring.boot;

import dev.riprap.config.RiprapProperties;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;

/** Reads what the starter needs from the Spring environment, as written. */
final class RiprapEnvironment {
  /** Spring's own default for {@code spring.lifecycle.timeout-per-shutdown-phase}. */
  static final Duration DEFAULT_PHASE_TIMEOUT = Duration.ofSeconds(30);

  static final String PHASE_TIMEOUT_KEY = "spring.lifecycle.timeout-per-shutdown-phase";

  private RiprapEnvironment() {}

  /**
   * Every key under {@code riprap.} of every enumerable property source (application.yml and
   * .properties, profiles, system properties, {@code SPRING_APPLICATION_JSON}, test properties),
   * with its value as the environment resolves it: the highest-precedence source wins and
   * placeholders are resolved. Keys are taken as written, not relaxed, so that Riprap's own
   * validation sees and names them exactly. Environment variables ({@code RIPRAP_...}) have no
   * dotted names and add no key, but Spring Boot's relaxed lookup lets one replace the value of a
   * key another source sets.
   */
  static Properties riprapKeys(Environment environment) {
    Map<String, String> entries = new TreeMap<>();
    if (environment instanceof ConfigurableEnvironment configurable) {
      for (PropertySource<?> source : configurable.getPropertySources()) {
        if (source instanceof EnumerablePropertySource<?> enumerable) {
          for (String name : enumerable.getPropertyNames()) {
            if (name.startsWith(RiprapProperties.PREFIX) && !entries.containsKey(name)) {
              entries.put(name, resolved(environment, name));
            }
          }
        }
      }
    }
    Properties properties = new Properties();
    properties.putAll(entries);
    return properties;
  }

  /**
   * The value of {@code key}; a placeholder that cannot be resolved fails naming the key.
   *
   * @throws InvalidRiprapConfigurationException naming {@code key}, caused by Spring's failure
   */
  private static String resolved(Environment environment, String key) {
    try {
      return Objects.toString(environment.getProperty(key), "");
    } catch (IllegalArgumentException e) {
      throw new InvalidRiprapConfigurationException(
          new IllegalArgumentException(key + ": " + e.getMessage(), e));
    }
  }

  /**
   * {@code spring.lifecycle.timeout-per-shutdown-phase}, read as Spring Boot reads it (Boot's
   * duration forms: {@code 20s}, {@code PT20S}, milliseconds).
   *
   * @throws IllegalArgumentException if it is not positive, naming the key and the value
   */
  static Duration phaseTimeout(Environment environment) {
    Duration timeout =
        Binder.get(environment)
            .bind(PHASE_TIMEOUT_KEY, Duration.class)
            .orElse(DEFAULT_PHASE_TIMEOUT);
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(
          PHASE_TIMEOUT_KEY
              + ": expected a positive duration for Riprap's outbound drain, was '"
              + environment.getProperty(PHASE_TIMEOUT_KEY)
              + "'");
    }
    return timeout;
  }

  /**
   * {@code value} if positive or {@code null}.
   *
   * @throws IllegalArgumentException if it is zero or negative, naming {@code name}
   */
  static Duration positiveOrNull(Duration value, String name) {
    if (value != null && (value.isNegative() || value.isZero())) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
    return value;
  }
}
