package dev.riprap.annotation;

import java.util.Arrays;
import java.util.concurrent.CompletionStage;

/** A checked {@link Fallback @Fallback}: which failures it handles and how it is called. */
final class FallbackPlan {
  private final MethodPlan.Invoker invoker;
  private final Class<? extends Throwable>[] on;
  private final Class<? extends Throwable> failureParameter;
  private final boolean returnsStage;

  FallbackPlan(
      MethodPlan.Invoker invoker,
      Class<? extends Throwable>[] on,
      Class<? extends Throwable> failureParameter,
      boolean returnsStage) {
    this.invoker = invoker;
    this.on = on.clone();
    this.failureParameter = failureParameter;
    this.returnsStage = returnsStage;
  }

  boolean returnsStage() {
    return returnsStage;
  }

  boolean handles(Throwable failure) {
    return StrategySettings.instanceOfAny(on, failure)
        && (failureParameter == null || failureParameter.isInstance(failure));
  }

  /** The core fallback for one call, bound to that call's arguments. */
  dev.riprap.Fallback<Object> forCall(Object proxy, Object[] args) {
    return dev.riprap.Fallback.when(this::handles, failure -> apply(proxy, args, failure));
  }

  private Object apply(Object proxy, Object[] args, Throwable failure) {
    Object[] a = args == null ? new Object[0] : args;
    if (failureParameter != null) {
      a = Arrays.copyOf(a, a.length + 1);
      a[a.length - 1] = failure;
    }
    Object result;
    try {
      result = invoker.begin(proxy, a).run();
    } catch (Throwable t) {
      throw FallbackPlan.<RuntimeException>sneaky(t);
    }
    if (returnsStage) {
      return new Deferred((CompletionStage<?>) result);
    }
    return result;
  }

  /** Rethrows a checked exception without declaring it: a fallback's exception is the call's. */
  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E sneaky(Throwable t) throws E {
    throw (E) t;
  }

  /** A fallback's stage, carried out of the policy to be flattened by the caller's future. */
  static final class Deferred {
    final CompletionStage<?> stage;

    Deferred(CompletionStage<?> stage) {
      this.stage = stage == null
          ? java.util.concurrent.CompletableFuture.failedFuture(
              new NullPointerException("the fallback method returned null instead of a stage"))
          : stage;
    }

    @SuppressWarnings("unchecked")
    CompletionStage<Object> stage() {
      return (CompletionStage<Object>) stage;
    }
  }
}
