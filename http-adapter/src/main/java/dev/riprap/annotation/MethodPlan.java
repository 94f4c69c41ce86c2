package dev.riprap.annotation;

import dev.riprap.ThrowingSupplier;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** What the proxy does for one interface method: immutable, made once when the proxy is made. */
final class MethodPlan {
  private final String where;
  private final dev.riprap.Policy policy;
  private final boolean async;
  private final Invoker invoker;
  private final FallbackPlan fallback;

  MethodPlan(
      String where, dev.riprap.Policy policy, boolean async, Invoker invoker, FallbackPlan fallback) {
    this.where = where;
    this.policy = policy;
    this.async = async;
    this.invoker = invoker;
    this.fallback = fallback;
  }

  /** The policy the method runs through, or null when it calls the target directly. */
  dev.riprap.Policy policy() {
    return policy;
  }

  Object invoke(Object proxy, Object[] args) throws Throwable {
    CallTarget.Attempt attempt = invoker.begin(proxy, args);
    if (policy == null) {
      return attempt.run();
    }
    if (!async) {
      ThrowingSupplier<Object, Throwable> work = attempt::run;
      return fallback == null
          ? policy.call(work)
          : policy.call(work, fallback.forCall(proxy, args));
    }
    Supplier<CompletionStage<Object>> work = () -> stage(attempt);
    if (fallback == null) {
      return policy.callAsync(work);
    }
    CompletableFuture<Object> inner = policy.callAsync(work, fallback.forCall(proxy, args));
    if (!fallback.returnsStage()) {
      return inner;
    }
    // The fallback's own stage travels out of the policy wrapped in a Deferred, so the policy
    // still sees (and reports) a fallback, and is flattened here.
    CompletableFuture<Object> outer =
        inner.thenCompose(
            v -> v instanceof FallbackPlan.Deferred
                ? ((FallbackPlan.Deferred) v).stage()
                : CompletableFuture.completedFuture(v));
    outer.whenComplete(
        (v, t) -> {
          if (outer.isCancelled()) {
            inner.cancel(true);
            Object done = inner.getNow(null);
            if (done instanceof FallbackPlan.Deferred) {
              ((FallbackPlan.Deferred) done).stage().toCompletableFuture().cancel(true);
            }
          }
        });
    return outer;
  }

  @SuppressWarnings("unchecked")
  private CompletionStage<Object> stage(CallTarget.Attempt attempt) {
    Object s;
    try {
      s = attempt.run();
    } catch (Throwable t) {
      return CompletableFuture.failedFuture(t);
    }
    if (s == null) {
      return CompletableFuture.failedFuture(
          new NullPointerException(where + " returned null instead of a CompletionStage"));
    }
    return (CompletionStage<Object>) s;
  }

  /** Reaches a method's code with the caller's arguments, rethrowing its exception as itself. */
  abstract static class Invoker {
    abstract CallTarget.Attempt begin(Object proxy, Object[] args) throws Throwable;

    static Invoker onTarget(Method m, Object target) {
      return new Invoker() {
        @Override
        CallTarget.Attempt begin(Object proxy, Object[] args) {
          return () -> {
            try {
              return m.invoke(target, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          };
        }
      };
    }

    static Invoker ofDefault(Method m) {
      Class<?> owner = m.getDeclaringClass();
      if (Modifier.isPublic(owner.getModifiers())) {
        return new Invoker() {
          @Override
          CallTarget.Attempt begin(Object proxy, Object[] args) {
            return () -> InvocationHandler.invokeDefault(proxy, m, args);
          }
        };
      }
      // invokeDefault needs the interface to be accessible to this class; a non-public interface
      // is reached through a lookup inside it (its package must be open to Riprap, as the
      // classpath's unnamed module is).
      MethodHandle handle;
      try {
        handle =
            MethodHandles.privateLookupIn(owner, MethodHandles.lookup()).unreflectSpecial(m, owner);
      } catch (IllegalAccessException | RuntimeException e) {
        throw new IllegalArgumentException(
            "cannot call the default method "
                + owner.getSimpleName()
                + "."
                + m.getName()
                + " of a non-public interface: open its package to Riprap or make it public",
            e);
      }
      return new Invoker() {
        @Override
        CallTarget.Attempt begin(Object proxy, Object[] args) {
          MethodHandle bound = handle.bindTo(proxy);
          return () -> bound.invokeWithArguments(args == null ? new Object[0] : args);
        }
      };
    }

    static Invoker ofCallTarget(Method m, CallTarget target) {
      return new Invoker() {
        @Override
        CallTarget.Attempt begin(Object proxy, Object[] args) throws Throwable {
          return target.start(proxy, m, args);
        }
      };
    }
  }
}
