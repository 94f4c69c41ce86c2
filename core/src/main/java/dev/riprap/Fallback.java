package dev.riprap;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A typed fallback: what a call returns instead of failing, chosen by the failure. The outermost
 * layer of the pipeline, so it sees every failure: the work's own exceptions, rejections ({@link
 * RejectedException}: circuit open, rate limited, bulkhead full, shutting down) and timeouts.
 *
 * <p>Cases are tried in the order they were added; the first whose type or predicate matches
 * produces the result. A failure no case matches is thrown as it would have been without the
 * fallback. A fallback function that throws makes the call fail with that exception.
 *
 * <pre>{@code
 * Fallback<Price> fallback =
 *     Fallback.<Price, RejectedException>on(RejectedException.class, e -> Price.UNKNOWN)
 *         .orOn(IOException.class, e -> cache.last());
 * Price p = policy.call(() -> prices.fetch(sku), fallback);
 * }</pre>
 *
 * <p>Immutable and thread-safe; the {@code or...} methods return new instances.
 *
 * @param <T> the result type
 */
public final class Fallback<T> {
  private final List<Case<T>> cases;

  private Fallback(List<Case<T>> cases) {
    this.cases = cases;
  }

  /**
   * A fallback to a fixed value on any failure that is an {@link Exception} (rejections and
   * timeouts included). An {@link Error} is not replaced; use {@link #on} for that.
   *
   * @param value the value, may be null
   * @param <T> the result type
   * @return the fallback
   */
  public static <T> Fallback<T> of(T value) {
    return when(Exception.class::isInstance, t -> value);
  }

  /**
   * A fallback computed from any failure that is an {@link Exception} (rejections and timeouts
   * included). An {@link Error} is not replaced; use {@link #on} for that.
   *
   * @param function maps the failure to a result
   * @param <T> the result type
   * @return the fallback
   * @throws NullPointerException if {@code function} is null
   */
  public static <T> Fallback<T> of(Function<? super Throwable, ? extends T> function) {
    return when(Exception.class::isInstance, function);
  }

  /**
   * A fallback for failures of {@code type} (subclasses included).
   *
   * @param type the failure type
   * @param function maps the failure to a result
   * @param <T> the result type
   * @param <X> the failure type
   * @return the fallback
   * @throws NullPointerException if an argument is null
   */
  public static <T, X extends Throwable> Fallback<T> on(
      Class<X> type, Function<? super X, ? extends T> function) {
    return new Fallback<T>(Collections.emptyList()).orOn(type, function);
  }

  /**
   * A fallback for failures that {@code predicate} accepts.
   *
   * @param predicate chooses the failures
   * @param function maps the failure to a result
   * @param <T> the result type
   * @return the fallback
   * @throws NullPointerException if an argument is null
   */
  public static <T> Fallback<T> when(
      Predicate<? super Throwable> predicate, Function<? super Throwable, ? extends T> function) {
    return new Fallback<T>(Collections.emptyList()).orWhen(predicate, function);
  }

  /**
   * This fallback plus a case for failures of {@code type}, tried after the existing cases.
   *
   * @param type the failure type
   * @param function maps the failure to a result
   * @param <X> the failure type
   * @return a new fallback
   * @throws NullPointerException if an argument is null
   */
  public <X extends Throwable> Fallback<T> orOn(
      Class<X> type, Function<? super X, ? extends T> function) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(function, "function");
    return orWhen(type::isInstance, t -> function.apply(type.cast(t)));
  }

  /**
   * This fallback plus a case for failures that {@code predicate} accepts, tried after the existing
   * cases.
   *
   * @param predicate chooses the failures
   * @param function maps the failure to a result
   * @return a new fallback
   * @throws NullPointerException if an argument is null
   */
  public Fallback<T> orWhen(
      Predicate<? super Throwable> predicate, Function<? super Throwable, ? extends T> function) {
    Objects.requireNonNull(predicate, "predicate");
    Objects.requireNonNull(function, "function");
    List<Case<T>> next = new ArrayList<>(cases);
    next.add(new Case<>(predicate, function));
    return new Fallback<>(Collections.unmodifiableList(next));
  }

  /**
   * Whether some case handles {@code failure}.
   *
   * @param failure the failure
   * @return {@code true} if {@link #apply} would produce a result
   */
  public boolean handles(Throwable failure) {
    for (Case<T> c : cases) {
      if (c.predicate.test(failure)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Produces the fallback result for {@code failure} from the first matching case.
   *
   * @param failure the failure
   * @return the result
   * @throws IllegalArgumentException if no case handles {@code failure}
   */
  public T apply(Throwable failure) {
    for (Case<T> c : cases) {
      if (c.predicate.test(failure)) {
        return c.function.apply(failure);
      }
    }
    throw new IllegalArgumentException("no fallback case handles " + failure);
  }

  private static final class Case<T> {
    final Predicate<? super Throwable> predicate;
    final Function<? super Throwable, ? extends T> function;

    Case(Predicate<? super Throwable> predicate, Function<? super Throwable, ? extends T> function) {
      this.predicate = predicate;
      this.function = function;
    }
  }
}
