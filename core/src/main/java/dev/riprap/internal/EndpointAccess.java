package dev.riprap.internal;

import dev.riprap.AttemptContext;
import dev.riprap.RetryBudget;
import dev.riprap.endpoint.EndpointAttemptFunction;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.endpoint.Hedging;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Lets the HTTP adapter run one call's attempts through an {@link EndpointGroup} inside work of
 * its own: the group's public entry points hand the policy a work object of the group's, while the
 * adapter's outcome hooks must see the adapter's work (its request) to decide about retries.
 * {@code EndpointGroup} installs the one implementation when its class is initialized (the JDK's
 * {@code SharedSecrets} pattern, as {@link EngineAccess}). Not API; exported only to {@code
 * dev.riprap.http}.
 */
public abstract class EndpointAccess {
  private static volatile EndpointAccess installed;

  /** For the core's own implementation only. */
  protected EndpointAccess() {}

  /**
   * The attempts of one call through a group: each chooses an endpoint the call has not tried yet
   * when one is in rotation, holds its outstanding count until it ends and records its outcome,
   * exactly as the group's own {@code execute} and {@code executeAsync} do.
   *
   * @param <E> the endpoint type
   */
  public interface Attempts<E> {
    /**
     * Runs one sync attempt on the endpoint chosen for it.
     *
     * @param ctx the attempt's context, from the policy
     * @param work the attempt's work on its endpoint
     * @param <T> the result type
     * @param <X> the work's checked exception
     * @return the work's result
     * @throws X the work's exception, as itself
     */
    <T, X extends Throwable> T attempt(
        AttemptContext ctx, EndpointAttemptFunction<? super E, ? extends T, X> work) throws X;

    /**
     * Starts one async attempt on the endpoint chosen for it; cancelling the returned stage
     * cancels the work's stage.
     *
     * @param ctx the attempt's context, from the policy
     * @param work supplies the attempt's stage on its endpoint
     * @param <T> the result type
     * @return the attempt's stage
     */
    <T> CompletionStage<T> attemptAsync(AttemptContext ctx,
        BiFunction<? super E, AttemptContext, ? extends CompletionStage<? extends T>> work);
  }

  /**
   * Installs the core's implementation; called once, by {@code EndpointGroup}'s class initializer.
   *
   * @param access the implementation
   * @throws IllegalStateException if one is installed already
   */
  public static synchronized void install(EndpointAccess access) {
    Check.requireState(installed == null, "EndpointAccess is installed already: %s", installed);
    installed = Check.notNull(access, "access");
  }

  /**
   * A new call's attempts through {@code group}: one object per call, used by its attempts in turn.
   *
   * @param group the group (its class is initialized, so the implementation is installed)
   * @param <E> the endpoint type
   * @return the call's attempts
   */
  public static <E> Attempts<E> newCall(EndpointGroup<E> group) {
    return installed.call(Check.notNull(group, "group"));
  }

  /**
   * A new call's attempts through {@code group}, each hedged as {@code hedging} says (see {@code
   * EndpointGroup.Builder.hedging}): the hedges paid from {@code budget} (null: free), the hedged
   * attempts run on {@code executor}, a loser's late result handed to {@code discard}.
   *
   * @param group the group
   * @param hedging the hedging
   * @param budget the retry budget, or null
   * @param executor runs hedged attempts
   * @param discard lets go of a result nobody will get
   * @param <E> the endpoint type
   * @return the call's attempts
   */
  public static <E> Attempts<E> newCall(EndpointGroup<E> group, Hedging hedging,
      RetryBudget budget, Executor executor, Consumer<Object> discard) {
    return installed.call(Check.notNull(group, "group"), Check.notNull(hedging, "hedging"), budget,
        Check.notNull(executor, "executor"), Check.notNull(discard, "discard"));
  }

  /**
   * A new call through {@code group}.
   *
   * @param group the group
   * @param <E> the endpoint type
   * @return the call's attempts
   */
  protected abstract <E> Attempts<E> call(EndpointGroup<E> group);

  /**
   * A new hedged call through {@code group}.
   *
   * @param group the group
   * @param hedging the hedging
   * @param budget the retry budget, or null
   * @param executor runs hedged attempts
   * @param discard lets go of a result nobody will get
   * @param <E> the endpoint type
   * @return the call's attempts
   */
  protected abstract <E> Attempts<E> call(EndpointGroup<E> group, Hedging hedging,
      RetryBudget budget, Executor executor, Consumer<Object> discard);
}
