package dev.riprap.lifecycle;

import dev.riprap.DrainReport;
import java.time.Duration;
import java.util.List;

/**
 * What a {@link GracefulShutdown} did, step by step, in the order the steps ran.
 *
 * @param steps every configured step with its outcome, in order
 * @param took how long the whole sequence took, by the coordinator's time source
 * @param deadline the overall deadline the sequence ran under
 */
public record ShutdownReport(List<StepResult> steps, Duration took, Duration deadline) {

  /**
   * Creates a report; the step list is copied.
   *
   * @param steps the steps' outcomes, in order
   * @param took how long the sequence took
   * @param deadline the overall deadline
   */
  public ShutdownReport {
    steps = List.copyOf(steps);
  }

  /**
   * Whether every step completed within the deadline and every drain finished its work.
   *
   * @return {@code true} when all steps are {@link Status#COMPLETED}
   */
  public boolean isClean() {
    return steps.stream().allMatch(s -> s.status() == Status.COMPLETED);
  }

  /**
   * The steps of one phase.
   *
   * @param phase the phase
   * @return its steps, in order (empty if none was configured)
   */
  public List<StepResult> steps(GracefulShutdown.Phase phase) {
    return steps.stream().filter(s -> s.phase() == phase).toList();
  }

  /** How a step ended. */
  public enum Status {
    /** It finished within the deadline (and a drain left nothing running). */
    COMPLETED,
    /** A drain returned at its deadline with work still running. */
    INCOMPLETE,
    /**
     * It threw (anything, an {@code Error} included: {@link StepResult#error()} holds it); the
     * sequence went on with the next step.
     */
    FAILED,
    /** It finished, but after the overall deadline. */
    OVERRUN,
    /** It was still running when the coordinator gave up on it at the hard bound; interrupted. */
    ABANDONED,
    /**
     * It was not started: the deadline had passed, an earlier step was abandoned, or the
     * coordinator's thread was interrupted.
     */
    SKIPPED
  }

  /**
   * One step's outcome.
   *
   * @param phase the phase it belongs to
   * @param name the step's name (what it drained or closed)
   * @param status how it ended
   * @param took how long it ran ({@link Duration#ZERO} if skipped)
   * @param drain for drain steps, the drain report; otherwise {@code null}
   * @param error for {@link Status#FAILED}, what it threw; otherwise {@code null}
   */
  public record StepResult(
      GracefulShutdown.Phase phase,
      String name,
      Status status,
      Duration took,
      DrainReport drain,
      Throwable error) {}
}
