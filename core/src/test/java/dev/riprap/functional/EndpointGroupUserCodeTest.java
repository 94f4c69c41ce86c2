package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.EndpointStatus;
import dev.riprap.event.EndpointEjected;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Fault;
import dev.riprap.testing.GroupCalls;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import dev.riprap.testing.Recorder;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The group's user code throws: its failure predicates and its event listeners. Whatever they
 * throw, an {@link Error} included, the call ends with one outcome in which that throwable is
 * visible, and every outstanding count is given back.
 */
class EndpointGroupUserCodeTest {
  private final FakeTimeSource time = new FakeTimeSource();

  static Stream<Arguments> modesAndFaults() {
    return Stream.of(Mode.values()).flatMap(m -> Stream.of(Fault.RUNTIME_EXCEPTION, Fault.ERROR)
        .map(f -> Arguments.of(m, f)));
  }

  private Policy policy() {
    return Policy.builder("orders").timeSource(time).asyncExecutor(Runnable::run).build();
  }

  private Outcome<String> call(Mode mode, EndpointGroup<String> g, String value, Exception failure) {
    return GroupCalls.call(mode, time, g, policy(), e -> {
      if (failure != null) {
        throw failure;
      }
      return value;
    });
  }

  private static int outstanding(EndpointGroup<String> g) {
    return g.status().stream().mapToInt(EndpointStatus::outstanding).sum();
  }

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void aFailurePredicateThatThrowsEndsTheAttemptWithItTheWorksFailureSuppressed(Mode mode, Fault fault) {
    Throwable thrown = fault.create("predicate broke");
    EndpointGroup<String> g = EndpointGroup.builder("replicas", List.of("a", "b")).timeSource(time)
        .failureOn(e -> {
          throw Fault.raise(thrown);
        }).build();
    IOException work = new IOException("down");
    Outcome<String> out = call(mode, g, null, work);
    assertThat(out.failure).isSameAs(thrown);
    assertThat(thrown.getSuppressed()).containsExactly(work);
    assertThat(outstanding(g)).isZero();
    assertThat(g.status()).allSatisfy(s -> assertThat(s.consecutiveFailures()).isEqualTo(0));
  }

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void aResultPredicateThatThrowsEndsTheAttemptWithIt(Mode mode, Fault fault) {
    Throwable thrown = fault.create("predicate broke");
    EndpointGroup<String> g = EndpointGroup.builder("replicas", List.of("a", "b")).timeSource(time)
        .failureOnResult(r -> {
          throw Fault.raise(thrown);
        }).build();
    Outcome<String> out = call(mode, g, "fine", null);
    assertThat(out.failure).isSameAs(thrown);
    assertThat(outstanding(g)).isZero();
  }

  @ParameterizedTest
  @MethodSource("modesAndFaults")
  void aListenerThatThrowsChangesNeitherTheEjectionNorTheCall(Mode mode, Fault fault) {
    EndpointGroup<String> g = EndpointGroup.builder("replicas", List.of("a", "b")).timeSource(time)
        .consecutiveFailures(1).build();
    g.events().subscribe(e -> {
      throw Fault.raise(fault.create("listener broke"));
    });
    Recorder events = Recorder.on(g.events());
    IOException work = new IOException("down");
    Outcome<String> out = call(mode, g, null, work);
    assertThat(out.failure).isSameAs(work);
    assertThat(events.of(EndpointEjected.class)).hasSize(1);
    assertThat(g.status().stream().filter(EndpointStatus::ejected).count()).isEqualTo(1);
    assertThat(outstanding(g)).isZero();
    time.advance(Duration.ofSeconds(30));
    assertThat(g.status()).noneMatch(EndpointStatus::ejected);
  }
}
