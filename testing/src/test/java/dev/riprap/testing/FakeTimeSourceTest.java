package dev.riprap.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.Cancellable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class FakeTimeSourceTest {
  private final FakeTimeSource time = new FakeTimeSource();

  @Test
  void tasksRunInDueOrderWhenTimeAdvances() {
    List<String> ran = new ArrayList<>();
    time.schedule(() -> ran.add("b"), 200);
    time.schedule(() -> ran.add("a"), 100);
    Cancellable c = time.schedule(() -> ran.add("cancelled"), 150);
    c.cancel();

    time.advance(Duration.ofNanos(150));
    assertThat(ran).containsExactly("a");
    time.advance(Duration.ofNanos(50));

    assertThat(ran).containsExactly("a", "b");
    assertThat(time.nanoTime()).isEqualTo(200);
    assertThat(time.instant()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z").plusNanos(200));
    assertThat(time.clock().instant()).isEqualTo(time.instant());
  }

  @Test
  void awaitReturnsEarlyWhenATaskOpensTheLatch() throws Exception {
    CountDownLatch latch = new CountDownLatch(1);
    time.schedule(latch::countDown, 300);

    boolean opened = time.await(latch, 1_000);

    assertThat(opened).isTrue();
    assertThat(time.nanoTime()).isEqualTo(300);
    assertThat(time.waits()).containsExactly(Duration.ofNanos(1_000));
  }

  @Test
  void sleepThrowsWhenATaskInterruptsTheSleeper() {
    Thread self = Thread.currentThread();
    time.schedule(self::interrupt, 500);

    assertThatThrownBy(() -> time.sleep(Duration.ofSeconds(1)))
        .isInstanceOf(InterruptedException.class);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    assertThat(time.nanoTime()).isEqualTo(500);
    assertThat(time.waits()).isEmpty();
  }

  @Test
  void aNegativeAdvanceIsRejected() {
    assertThatThrownBy(() -> time.advance(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("duration must not be negative, was PT-0.001S");
  }
}
