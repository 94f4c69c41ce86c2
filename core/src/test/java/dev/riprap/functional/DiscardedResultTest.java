package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.RejectedException;
import dev.riprap.event.CallCompleted;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A result the call does not return reaches the discarded-result handler, so it can be closed. */
class DiscardedResultTest {
  private final FakeTimeSource time = new FakeTimeSource();
  private final List<Object> discarded = new CopyOnWriteArrayList<>();

  private Policy.Builder builder() {
    return Policy.builder("p").timeSource(time).asyncExecutor(Runnable::run)
        .onDiscardedResult(discarded::add);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRetriedResultIsDiscardedAndTheReturnedOneIsNot(Mode mode) {
    AtomicInteger n = new AtomicInteger();
    Policy policy = builder()
        .retry(RetryConfig.<String>custom().maxAttempts(3).waitDuration(Duration.ofMillis(5))
            .retryOnResult(r -> r.startsWith("busy")).build())
        .build();

    Mode.Outcome<String> out =
        mode.call(policy, time, () -> n.incrementAndGet() < 3 ? "busy " + n.get() : "done");

    assertThat(out.result).isEqualTo("done");
    assertThat(discarded).containsExactly("busy 1", "busy 2");
  }

  @Test
  void aSyncResultThatArrivesAfterItsTimeoutIsDiscarded() {
    Policy policy = builder().attemptTimeout(Duration.ofSeconds(1)).build();

    Mode.Outcome<String> out = Mode.SYNC.call(policy, time, () -> {
      try {
        time.sleep(Duration.ofSeconds(5));
      } catch (InterruptedException ignoredOnPurpose) {
        // work that swallows the interrupt and still returns a value
      }
      return "late";
    });

    assertThat(out.failure).isInstanceOf(RejectedException.class);
    assertThat(discarded).containsExactly("late");
  }

  @Test
  void anAsyncResultThatArrivesAfterItsTimeoutIsDiscarded() {
    Policy policy = builder().attemptTimeout(Duration.ofSeconds(1)).build();
    CompletableFuture<String> work = new CompletableFuture<>();
    // A stage that ignores cancel: the value still arrives later.
    CompletableFuture<String> call = policy.callAsync(() -> work.thenApply(v -> v).minimalCompletionStage());

    time.advance(Duration.ofSeconds(1));
    assertThat(call).isCompletedExceptionally();
    work.complete("late");

    assertThat(discarded).containsExactly("late");
  }

  @Test
  void anAsyncResultWhoseCallerCancelsAsItIsDeliveredIsDiscarded() {
    Policy policy = builder().build();
    CompletableFuture<String> work = new CompletableFuture<>();
    AtomicReference<CompletableFuture<String>> caller = new AtomicReference<>();
    // The caller gives up in the moment between the call's end and its delivery: a listener of
    // CallCompleted runs exactly there.
    policy.events().subscribe(CallCompleted.class, e -> caller.get().cancel(true));
    caller.set(policy.callAsync(() -> work));

    work.complete("answer");

    assertThat(caller.get()).isCancelled();
    assertThat(discarded).containsExactly("answer");
  }
}
