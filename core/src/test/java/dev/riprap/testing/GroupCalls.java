package dev.riprap.testing;

import dev.riprap.Policy;
import dev.riprap.endpoint.EndpointFunction;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.testing.Mode.Outcome;
import java.util.concurrent.CompletableFuture;

/** One call through an endpoint group in either mode, for the endpoint tests. */
public final class GroupCalls {
  private GroupCalls() {}

  /**
   * Calls {@code work} through {@code group} on {@code policy}: sync with {@code call}, async with
   * {@code callAsync} where the work runs as a completed or failed stage, driven by the fake clock
   * until it ends.
   *
   * @param mode sync or async
   * @param time the policy's fake clock
   * @param group the group
   * @param policy the policy
   * @param work one attempt's work
   * @param <E> the endpoint type
   * @param <T> the result type
   * @return how the call ended
   */
  public static <E, T> Outcome<T> call(Mode mode, FakeTimeSource time, EndpointGroup<E> group,
      Policy policy, EndpointFunction<E, T, Exception> work) {
    if (mode == Mode.SYNC) {
      CompletableFuture<T> done = new CompletableFuture<>();
      try {
        done.complete(group.call(policy, work));
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
      return Mode.await(done, time);
    }
    return Mode.await(group.callAsync(policy, e -> Mode.stage(() -> work.apply(e))), time);
  }
}
