package dev.riprap.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** Which keys and values the starter reads from a Spring Boot environment. */
class RiprapEnvironmentTest {
  private static StandardEnvironment environment(
      Map<String, Object> file, Map<String, Object> env) {
    StandardEnvironment environment = new StandardEnvironment();
    environment
        .getPropertySources()
        .remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
    environment
        .getPropertySources()
        .remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
    environment
        .getPropertySources()
        .addLast(
            new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, env));
    environment.getPropertySources().addLast(new MapPropertySource("application.yml", file));
    // As SpringApplication does: property lookups go through Boot's relaxed names.
    ConfigurationPropertySources.attach(environment);
    return environment;
  }

  @Test
  void theHighestPrecedenceValueOfAKeyIsRead() {
    StandardEnvironment environment =
        environment(Map.of("riprap.policies.inventory.retry.max-attempts", "3"), Map.of());
    environment
        .getPropertySources()
        .addFirst(
            new MapPropertySource(
                "system properties", Map.of("riprap.policies.inventory.retry.max-attempts", "4")));
    Properties keys = RiprapEnvironment.riprapKeys(environment);
    assertThat(keys)
        .containsExactly(Map.entry("riprap.policies.inventory.retry.max-attempts", "4"));
  }

  @Test
  void anEnvironmentVariableAddsNoKeyButCanReplaceTheValueOfOne() {
    StandardEnvironment environment =
        environment(
            Map.of("riprap.policies.inventory.retry.max-attempts", "3"),
            Map.of(
                "RIPRAP_POLICIES_INVENTORY_RETRY_MAXATTEMPTS", "5",
                "RIPRAP_POLICIES_PAYMENTS_RETRY_MAXATTEMPTS", "2"));
    Properties keys = RiprapEnvironment.riprapKeys(environment);
    assertThat(keys)
        .containsExactly(Map.entry("riprap.policies.inventory.retry.max-attempts", "5"));
  }
}
