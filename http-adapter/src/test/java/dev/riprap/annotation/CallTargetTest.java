package dev.riprap.annotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.RejectedException;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A {@link CallTarget} that applies a method's {@code @Retry} and {@code @Timeout} itself. */
@org.junit.jupiter.api.Timeout(10)
class CallTargetTest extends FakeClockFixture {
  interface Service {
    @Retry(maxAttempts = 3, delay = "100ms")
    @Timeout("1s")
    String get() throws IOException;

    @Retry(maxAttempts = 3, delay = "100ms")
    CompletableFuture<String> getAsync();

    @Retry(maxAttempts = 3, delay = "100ms")
    @CircuitBreaker(slidingWindowSize = 1, minimumCalls = 1, failureRateThreshold = 100)
    String guarded() throws IOException;
  }

  /** Fails every attempt with an IOException; applies {@code own} itself; records what it saw. */
  static class Failing implements CallTarget {
    final AtomicInteger attempts = new AtomicInteger();
    final List<String> asked = new ArrayList<>();
    final Set<Class<? extends Annotation>> own;

    Failing(Set<Class<? extends Annotation>> own) {
      this.own = own;
    }

    @Override
    public Attempt start(Object proxy, Method method, Object[] args) {
      return () -> {
        IOException failure = new IOException("attempt " + attempts.incrementAndGet());
        return method.getReturnType() == CompletableFuture.class
            ? CompletableFuture.failedFuture(failure)
            : sneaky(failure);
      };
    }

    @Override
    public Set<Class<? extends Annotation>> appliedByTarget(Method method) {
      asked.add(method.getName());
      return own;
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> Object sneaky(Throwable t) throws E {
      throw (E) t;
    }
  }

  @Test
  void byDefaultTheProxyRetries() {
    Failing target = new Failing(Set.of());
    Service service = resilient.wrapCalls(Service.class, target);

    assertThatThrownBy(service::get).hasMessage("attempt 3");
    assertThat(time.waits()).hasSize(2);
  }

  @Test
  void aTargetThatAppliesTheRetryItselfIsCalledOncePerCallSyncAndAsync() {
    Failing target = new Failing(Set.of(Retry.class, Timeout.class));
    Service service = resilient.wrapCalls(Service.class, target);

    assertThatThrownBy(service::get).hasMessage("attempt 1");
    assertThatThrownBy(() -> service.getAsync().get())
        .isInstanceOf(ExecutionException.class)
        .hasRootCauseMessage("attempt 2");
    assertThat(time.waits()).isEmpty();
    assertThat(target.asked).containsExactlyInAnyOrder("get", "getAsync", "guarded");
  }

  @Test
  void theMethodsOtherStrategiesStillApplyAroundTheTarget() {
    Failing target = new Failing(Set.of(Retry.class));
    Service service = resilient.wrapCalls(Service.class, target);

    assertThatThrownBy(service::guarded).hasMessage("attempt 1");
    // One failure in a window of one at 100%: the breaker is open, the target not called again.
    assertThatThrownBy(service::guarded).isInstanceOf(RejectedException.class);
    assertThat(target.attempts).hasValue(1);
  }

  interface BadDelay {
    @Retry(delay = "soon")
    String get();
  }

  @Test
  void theValuesOfAnAnnotationTheTargetAppliesAreStillCheckedAtCreation() {
    Failing target = new Failing(Set.of(Retry.class));

    assertThatThrownBy(() -> resilient.wrapCalls(BadDelay.class, target))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("BadDelay.get(): @Retry delay: expected");
    assertThat(target.asked).isEmpty();
  }

  @Test
  void aTargetMayRefuseAMethodsAnnotationsAndNoProxyIsMade() {
    CallTarget refusing = new Failing(Set.of()) {
      @Override
      public Set<Class<? extends Annotation>> appliedByTarget(Method method) {
        throw new IllegalStateException(method.getName() + ": refused");
      }
    };

    assertThatThrownBy(() -> resilient.wrapCalls(Service.class, refusing))
        .isExactlyInstanceOf(IllegalStateException.class)
        .hasMessageEndingWith(": refused");
  }
}
