package dev.riprap.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.PolicyRegistry;
import dev.riprap.testing.FakeTimeSource;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Keeps docs/configuration.md true to the code: its example builds and its table is complete. */
class DocumentationTest {
  /** Surefire runs in the module's directory; the docs are at the root of the reactor. */
  private static final Path DOC = Path.of("..", "docs", "configuration.md");

  private static String doc() throws IOException {
    return Files.readString(DOC, StandardCharsets.UTF_8);
  }

  @Test
  void theExampleBuildsThePoliciesItDescribes() throws IOException {
    String doc = doc();
    int start = doc.indexOf("```properties\n") + "```properties\n".length();
    Properties example = new Properties();
    example.load(new StringReader(doc.substring(start, doc.indexOf("```", start))));

    PolicyRegistry registry =
        PolicyRegistry.builder().timeSource(new FakeTimeSource()).properties(example).build();

    assertThat(registry.names()).containsExactly("inventory", "payments");
    Policy inventory = registry.policy("inventory");
    assertThat(inventory.attemptTimeout()).contains(Duration.ofSeconds(2));
    assertThat(inventory.totalTimeout()).contains(Duration.ofSeconds(5));
    assertThat(inventory.retrySettings().orElseThrow().maxAttempts()).isEqualTo(3);
    CircuitBreakerConfig cb = inventory.circuitBreaker().orElseThrow().getCircuitBreakerConfig();
    assertThat(cb.getSlidingWindowType()).isEqualTo(SlidingWindowType.TIME_BASED);
    assertThat(cb.getSlidingWindowSize()).isEqualTo(30);
    assertThat(inventory.bulkhead().orElseThrow().getBulkheadConfig().getMaxConcurrentCalls())
        .isEqualTo(20);
    Policy payments = registry.policy("payments");
    assertThat(payments.retrySettings()).isEmpty();
    assertThat(payments.attemptTimeout()).contains(Duration.ofSeconds(10));
    assertThat(payments.pacedLimiter().orElseThrow().interval()).isEqualTo(Duration.ofMillis(20));
    assertThat(payments.retryBudget()).containsSame(inventory.retryBudget().orElseThrow());
  }

  @Test
  void theSettingsTableListsEverySettingInOrder() throws IOException {
    String doc = doc();
    String table = doc.substring(doc.indexOf("### Settings"), doc.indexOf("### Limits"));
    Matcher row = Pattern.compile("(?m)^\\| `([a-z.-]+)` \\|").matcher(table);
    List<String> documented = new ArrayList<>();
    while (row.find()) {
      documented.add(row.group(1));
    }

    assertThat(documented)
        .containsExactlyElementsOf(
            Arrays.stream(Setting.values()).map(s -> s.suffix).collect(Collectors.toList()));
  }
}
