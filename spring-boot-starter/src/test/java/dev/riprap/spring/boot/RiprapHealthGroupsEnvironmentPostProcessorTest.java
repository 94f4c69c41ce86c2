package dev.riprap.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/** Riprap's probes join Actuator's groups unless the application decided otherwise. */
class RiprapHealthGroupsEnvironmentPostProcessorTest {
  private static final String LIVENESS = "management.endpoint.health.group.liveness.include";
  private static final String READINESS = "management.endpoint.health.group.readiness.include";

  private static StandardEnvironment processed(Map<String, Object> properties) {
    StandardEnvironment environment = new StandardEnvironment();
    environment.getPropertySources().addFirst(new MapPropertySource("application", properties));
    new RiprapHealthGroupsEnvironmentPostProcessor()
        .postProcessEnvironment(environment, new SpringApplication());
    return environment;
  }

  @Test
  void byDefaultTheProbesJoinTheLivenessAndReadinessGroups() {
    StandardEnvironment environment = processed(Map.of());
    assertThat(environment.getProperty(LIVENESS)).isEqualTo("livenessState,riprapLiveness");
    assertThat(environment.getProperty(READINESS)).isEqualTo("readinessState,riprapReadiness");
  }

  @Test
  void aGroupTheApplicationConfiguresIsLeftAlone() {
    StandardEnvironment environment =
        processed(
            Map.of(
                LIVENESS,
                "livenessState",
                "management.endpoint.health.group.readiness.exclude",
                "db"));
    assertThat(environment.getProperty(LIVENESS)).isEqualTo("livenessState");
    assertThat(environment.getProperty(READINESS)).isNull();
  }

  @Test
  void nothingIsAddedWhenProbesOrRiprapsHealthAreOff() {
    assertThat(
            processed(Map.of("management.endpoint.health.probes.enabled", "false"))
                .getProperty(LIVENESS))
        .isNull();
    assertThat(processed(Map.of("management.health.riprap.enabled", "false")).getProperty(LIVENESS))
        .isNull();
  }
}
