package dev.riprap.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.config.RiprapProperties;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.json.JsonParserFactory;

/**
 * The metadata IDEs complete {@code riprap.*} keys from lists exactly core's settings, and every
 * default it shows is a value core accepts.
 */
class ConfigurationMetadataTest {
  private static final String DEFAULTS = "riprap.defaults.";

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> properties() throws IOException {
    try (InputStream in =
        ConfigurationMetadataTest.class
            .getClassLoader()
            .getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("the metadata the configuration processor generated").isNotNull();
      Map<String, Object> json =
          JsonParserFactory.getJsonParser()
              .parseMap(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      return (List<Map<String, Object>>) json.get("properties");
    }
  }

  @Test
  void theDefaultsKeysAreExactlyCoresSettings() throws IOException {
    List<String> keys =
        properties().stream()
            .map(p -> (String) p.get("name"))
            .filter(n -> n.startsWith(DEFAULTS))
            .collect(Collectors.toList());
    assertThat(keys)
        .containsExactlyInAnyOrderElementsOf(
            RiprapProperties.settingNames().stream().map(s -> DEFAULTS + s).toList());
  }

  @Test
  void everyDefaultShownIsAValueCoreAccepts() throws IOException {
    for (Map<String, Object> p : properties()) {
      String name = (String) p.get("name");
      if (name.startsWith(DEFAULTS) && p.containsKey("defaultValue")) {
        String value = String.valueOf(p.get("defaultValue"));
        assertThat(RiprapProperties.from(Map.of(name, value)).isEmpty())
            .as("%s=%s", name, value)
            .isFalse();
      }
    }
  }

  @Test
  void policiesAndTheHealthSwitchAreDescribed() throws IOException {
    assertThat(properties())
        .extracting(p -> p.get("name"))
        .contains("riprap.policies", "management.health.riprap.enabled");
    assertThat(properties()).allSatisfy(p -> assertThat(p.get("description")).isNotNull());
  }
}
