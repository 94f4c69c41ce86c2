package dev.riprap.lifecycle;

import java.time.Duration;
import java.time.Instant;

/**
 * Something a {@link Supervisor} did with one of its workers.
 *
 * @param supervisor the supervisor's name
 * @param worker the worker's name
 * @param kind what happened
 * @param time when, by the supervisor's time source
 * @param restarts how many times the worker has been restarted so far
 * @param delay for {@link Kind#CRASHED}, the backoff before the restart; otherwise {@link
 *     Duration#ZERO}
 * @param cause for {@link Kind#CRASHED} and {@link Kind#GAVE_UP}, the failure; otherwise {@code
 *     null}
 */
public record SupervisorEvent(
    String supervisor,
    String worker,
    Kind kind,
    Instant time,
    int restarts,
    Duration delay,
    Throwable cause) {

  /** What happened to the worker. */
  public enum Kind {
    /** A run of the worker began (the first one or a restart). */
    STARTED,
    /** The worker threw; a restart is scheduled after {@code delay}. */
    CRASHED,
    /**
     * The worker threw once more than the restart intensity allows (or could not be started): it
     * stays down.
     */
    GAVE_UP,
    /** The worker returned normally; it is not restarted. */
    COMPLETED,
    /** The supervisor stopped the worker (or cancelled its pending restart). */
    STOPPED
  }
}
