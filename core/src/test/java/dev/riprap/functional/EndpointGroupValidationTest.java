package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.endpoint.Balancer;
import dev.riprap.endpoint.EndpointGroup;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An endpoint group's settings are checked when given (the argument, the value and what was
 * expected), contradictions at build, and the set's own checks at build and at every update.
 */
class EndpointGroupValidationTest {
  private static EndpointGroup.Builder<String> builder() {
    return EndpointGroup.builder("replicas", List.of("a", "b"));
  }

  @Test
  void anEmptyANullOrARepeatedEndpointIsRefusedNamingIt() {
    assertThatThrownBy(() -> EndpointGroup.builder("replicas", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("EndpointGroup 'replicas': endpoints must be at least one endpoint, was []");
    assertThatThrownBy(() -> EndpointGroup.builder("replicas", Arrays.asList("a", null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("EndpointGroup 'replicas': endpoints must be non-null, was null at index 1");
    assertThatThrownBy(() -> EndpointGroup.builder("replicas", List.of("a", "b", "a").stream()
            .toList()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("EndpointGroup 'replicas': endpoints must be distinct, was the same endpoint at"
            + " index 0 and 2");
    assertThatThrownBy(() -> EndpointGroup.builder(" ", List.of("a")))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("name must not be blank, was ' '");
  }

  @Test
  void namesMustBeDistinctAndNotBlank() {
    assertThatThrownBy(() -> builder().name(e -> "same").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("EndpointGroup 'replicas': endpoint names must be distinct, was 'same' for the"
            + " endpoints at index 0 and 1");
    assertThatThrownBy(() -> builder().name(e -> e.equals("b") ? " " : e).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("EndpointGroup 'replicas': the name of the endpoint at index 1 must be a"
            + " non-blank text, was ' '");
  }

  @Test
  void aNameFunctionThatThrowsFailsTheBuildAndAnErrorPassesAsItself() {
    IllegalStateException bug = new IllegalStateException("no name");
    assertThatThrownBy(() -> builder().name(e -> {
      throw bug;
    }).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("EndpointGroup 'replicas': the name function threw on the endpoint at index 0:"
            + " java.lang.IllegalStateException: no name")
        .hasCause(bug);
    AssertionError error = new AssertionError("boom");
    assertThatThrownBy(() -> builder().name(e -> {
      throw error;
    }).build()).isSameAs(error);
  }

  @Test
  void anUpdateIsCheckedLikeTheBuildAndLeavesTheGroupUnchangedWhenRefused() {
    EndpointGroup<String> g = builder().name(e -> e.equals("x") ? "a" : e).build();
    assertThatThrownBy(() -> g.update(List.of()))
        .hasMessage("EndpointGroup 'replicas': endpoints must be at least one endpoint, was []");
    assertThatThrownBy(() -> g.update(List.of("a", "x")))
        .hasMessage("EndpointGroup 'replicas': endpoint names must be distinct, was 'a' for the"
            + " endpoints at index 0 and 1");
    assertThat(g.endpoints()).containsExactly("a", "b");
  }

  @Test
  void countsPercentagesAndDurationsOutOfRangeAreRefusedWhenGiven() {
    assertThatThrownBy(() -> builder().consecutiveFailures(0))
        .hasMessage("EndpointGroup 'replicas': consecutiveFailures must be >= 1, was 0");
    assertThatThrownBy(() -> builder().maxEjectionPercent(0))
        .hasMessage("EndpointGroup 'replicas': maxEjectionPercent must be in [1, 100], was 0");
    assertThatThrownBy(() -> builder().maxEjectionPercent(101))
        .hasMessage("EndpointGroup 'replicas': maxEjectionPercent must be in [1, 100], was 101");
    assertThatThrownBy(() -> builder().panicThresholdPercent(-1))
        .hasMessage("EndpointGroup 'replicas': panicThresholdPercent must be in [0, 100], was -1");
    assertThatThrownBy(() -> builder().baseEjectionTime(Duration.ZERO))
        .hasMessage("EndpointGroup 'replicas': baseEjectionTime must be positive, was 0s");
    assertThatThrownBy(() -> builder().maxEjectionTime(Duration.ofSeconds(-1)))
        .hasMessage("EndpointGroup 'replicas': maxEjectionTime must be positive, was -1s");
    assertThatThrownBy(() -> Balancer.peakEwma(Duration.ZERO))
        .hasMessage("decay must be positive, was 0s");
  }

  @Test
  void aMaximumEjectionTimeBelowTheBaseFailsAtBuildNamingBoth() {
    assertThatThrownBy(() -> builder().baseEjectionTime(Duration.ofSeconds(30))
        .maxEjectionTime(Duration.ofSeconds(10)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("EndpointGroup 'replicas': maxEjectionTime (10s) must be at least"
            + " baseEjectionTime (30s)");
  }

  @Test
  void hugeValuesAreAcceptedAndNeverOverflow() {
    EndpointGroup<String> g = builder()
        .consecutiveFailures(Integer.MAX_VALUE)
        .baseEjectionTime(Duration.ofSeconds(Long.MAX_VALUE))
        .maxEjectionTime(Duration.ofSeconds(Long.MAX_VALUE))
        .balancer(Balancer.peakEwma(Duration.ofSeconds(Long.MAX_VALUE)))
        .build();
    assertThat(g.balancer()).hasToString("peakEwma(36500d)");
    assertThat(g).hasToString(
        "EndpointGroup{replicas, 2 endpoints, peakEwma(36500d), outlier detection on,"
            + " health check off}");
  }
}
