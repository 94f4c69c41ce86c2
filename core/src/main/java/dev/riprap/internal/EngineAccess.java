package dev.riprap.internal;

import dev.riprap.Policy;
import java.util.concurrent.Executor;

/**
 * Lets the HTTP adapter set {@link OutcomeHooks} on a {@link Policy.Builder} without a public
 * setter on the API type: {@code Policy.Builder} installs the one implementation when its class is
 * initialized (as the JDK's {@code SharedSecrets} do). Not API; exported only to {@code
 * dev.riprap.http}.
 */
public abstract class EngineAccess {
  private static volatile EngineAccess installed;

  /** For the core's own implementation only. */
  protected EngineAccess() {}

  /**
   * Installs the core's implementation; called once, by {@code Policy.Builder}'s class initializer.
   *
   * @param access the implementation
   * @throws IllegalStateException if one is installed already
   */
  public static synchronized void install(EngineAccess access) {
    Check.requireState(installed == null, "EngineAccess is installed already: %s", installed);
    installed = Check.notNull(access, "access");
  }

  /**
   * Sets the hooks the policy built by {@code builder} asks about outcomes (see {@link
   * OutcomeHooks}). Only the last hooks given count.
   *
   * @param builder the builder (its class is initialized, so the implementation is installed)
   * @param hooks the hooks
   * @return the builder
   */
  public static Policy.Builder hooks(Policy.Builder builder, OutcomeHooks<?, ?> hooks) {
    installed.setHooks(Check.notNull(builder, "builder"), Check.notNull(hooks, "hooks"));
    return builder;
  }

  /**
   * The executor {@code policy} runs async continuations on ({@code Policy.Builder.asyncExecutor}):
   * where an endpoint group runs hedged attempts when its hedging names no executor.
   *
   * @param policy a built policy (so the implementation is installed)
   * @return its async executor
   */
  public static Executor asyncExecutor(Policy policy) {
    return installed.executorOf(Check.notNull(policy, "policy"));
  }

  /**
   * Lets go of a result {@code policy}'s call will not return (a hedge's loser that answered
   * anyway), as the policy does with a retried result: its hooks' {@code discard}, else its
   * discarded-result handler. Never throws.
   *
   * @param policy the policy
   * @param result the result, possibly null
   */
  public static void discard(Policy policy, Object result) {
    installed.discardFor(policy, result);
  }

  /**
   * The async executor of {@code policy}.
   *
   * @param policy the policy
   * @return the executor
   */
  protected abstract Executor executorOf(Policy policy);

  /**
   * Discards {@code result} as {@code policy} does.
   *
   * @param policy the policy
   * @param result the result
   */
  protected abstract void discardFor(Policy policy, Object result);

  /**
   * Sets {@code hooks} on {@code builder}.
   *
   * @param builder the builder
   * @param hooks the hooks
   */
  protected abstract void setHooks(Policy.Builder builder, OutcomeHooks<?, ?> hooks);
}
