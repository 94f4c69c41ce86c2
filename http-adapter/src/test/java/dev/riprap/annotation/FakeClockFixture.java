package dev.riprap.annotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.testing.FakeTimeSource;
import org.junit.jupiter.api.AfterEach;

/**
 * A {@link Resilient} on a fake clock, async attempts run on the caller's thread, and the check
 * after each test that it left no timer and no interrupt flag behind.
 */
abstract class FakeClockFixture {
  final FakeTimeSource time = new FakeTimeSource();
  final Resilient resilient =
      Resilient.builder().timeSource(time).asyncExecutor(Runnable::run).build();

  @AfterEach
  void nothingLeftBehind() {
    assertThat(time.pendingTasks()).as("timers left by the test").isZero();
    assertThat(Thread.interrupted()).as("interrupt flag left set").isFalse();
  }
}
