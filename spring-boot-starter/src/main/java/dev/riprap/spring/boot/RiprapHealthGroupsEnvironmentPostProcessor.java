package dev.riprap.spring.boot;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

/**
 * Puts Riprap's probes in Actuator's {@code liveness} and {@code readiness} groups, as defaults of
 * the lowest precedence: {@code
 * management.endpoint.health.group.liveness.include=livenessState,riprapLiveness} and {@code
 * ...readiness.include=readinessState,riprapReadiness}. A group the application configures itself
 * is left alone, and nothing is added when Actuator's health is absent, its probes are off ({@code
 * management.endpoint.health.probes.enabled=false}) or Riprap's health is off ({@code
 * management.health.riprap.enabled=false}): a group naming a missing contributor would fail the
 * start.
 */
final class RiprapHealthGroupsEnvironmentPostProcessor implements EnvironmentPostProcessor {
  static final String SOURCE = "riprapHealthGroups";
  static final String GROUP = "management.endpoint.health.group.";

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    if (!ClassUtils.isPresent(
            "org.springframework.boot.health.contributor.HealthIndicator",
            application.getClassLoader())
        || "false"
            .equalsIgnoreCase(environment.getProperty("management.endpoint.health.probes.enabled"))
        || "false".equalsIgnoreCase(environment.getProperty("management.health.riprap.enabled"))
        || "false"
            .equalsIgnoreCase(environment.getProperty("management.health.defaults.enabled"))) {
      return;
    }
    Map<String, Object> defaults = new LinkedHashMap<>();
    add(environment, defaults, "liveness", "livenessState,riprapLiveness");
    add(environment, defaults, "readiness", "readinessState,riprapReadiness");
    if (!defaults.isEmpty()) {
      environment.getPropertySources().addLast(new MapPropertySource(SOURCE, defaults));
    }
  }

  private static void add(
      ConfigurableEnvironment environment,
      Map<String, Object> defaults,
      String group,
      String include) {
    String prefix = GROUP + group + ".";
    if (environment.getProperty(prefix + "include") == null
        && environment.getProperty(prefix + "exclude") == null) {
      defaults.put(prefix + "include", include);
    }
  }
}
