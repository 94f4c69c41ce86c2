package dev.riprap.lifecycle;

import dev.riprap.DrainReport;
import dev.riprap.TimeSource;
import dev.riprap.lifecycle.ShutdownReport.Status;
import dev.riprap.lifecycle.ShutdownSequence.Action;
import dev.riprap.lifecycle.ShutdownSequence.Step;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * Stops a service without losing work: on SIGTERM or SIGINT (through a JVM shutdown hook, {@link
 * #installShutdownHook()}) or on demand ({@link #shutdown()}), runs these phases in order under one
 * overall deadline:
 *
 * <ol>
 *   <li>{@link Phase#READINESS}: readiness goes false ({@code health::startDraining});
 *   <li>{@link Phase#PROPAGATION}: wait the propagation delay while still serving, so load
 *       balancers see the failing readiness and stop routing here;
 *   <li>{@link Phase#STOP_ACCEPTING}: new inbound requests are refused (503, {@code Connection:
 *       close});
 *   <li>{@link Phase#DRAIN_INBOUND}: wait for the server requests in flight;
 *   <li>{@link Phase#STOP_WORKERS}: stop supervised background workers;
 *   <li>{@link Phase#DRAIN_OUTBOUND}: drain outbound clients and policies (the calls their own
 *       background work still makes);
 *   <li>{@link Phase#CLOSE}: close resources, in the order they were added.
 * </ol>
 *
 * <pre>{@code
 * GracefulShutdown shutdown = GracefulShutdown.builder()
 *     .deadline(Duration.ofSeconds(25))        // below Kubernetes' terminationGracePeriodSeconds
 *     .propagationDelay(Duration.ofSeconds(5))
 *     .readiness(health::startDraining)
 *     .httpServer("api", serverDrain)          // stop accepting + drain in-flight + stop
 *     .drainOutbound("inventory-client", client::drain)
 *     .close("executor", executor::shutdown)
 *     .build()
 *     .installShutdownHook();
 * }</pre>
 *
 * <p>Each step gets what is left of the deadline (the propagation wait at most its delay); a step
 * that starts after the deadline is {@link Status#SKIPPED}, one that ends after it is {@link
 * Status#OVERRUN}. Every step is logged ({@link System.Logger}) with its duration. A step that
 * throws anything, an {@code Error} included ({@code AssertionError}, {@code StackOverflowError},
 * even {@code OutOfMemoryError}), is {@link Status#FAILED} at once with what it threw, and the
 * sequence goes on with the next step: shutdown is best effort, and the steps after a failed one
 * (closing a database, flushing a log) are the ones that matter most then. Steps run on a daemon
 * thread; the caller waits at most the deadline plus one second ({@link #HARD_BOUND_GRACE}) of real
 * time, then interrupts a step that still hangs, reports it {@link Status#ABANDONED} and returns,
 * so a stuck close never hangs the JVM. The coordinator's own threads are daemon threads.
 *
 * <p>The deadline and the propagation wait are measured by the {@link TimeSource}, so tests run the
 * sequence on a fake clock; the hard bound against hung steps is real time. Thread-safe; the
 * sequence runs once, later calls to {@link #shutdown()} wait for that same run.
 *
 * <p>{@link Builder#onFinished} listeners are told the report before {@link #shutdown()} returns
 * it. A listener that throws anything is logged (level {@code ERROR}, with the throwable) and the
 * other listeners are still told; a listener still running at the hard bound no longer holds the
 * callers. Every caller of {@link #shutdown()} gets the same report.
 *
 * <p>A deadline of {@link Long#MAX_VALUE} nanoseconds or more ({@code
 * Duration.ofMillis(Long.MAX_VALUE)}, the usual "forever") is no bound: every step gets all the
 * time it needs and there is no hard bound either.
 *
 * <p>This class holds the configuration and the entry points; {@code ShutdownSequence} runs the
 * steps.
 *
 * <p>Note: the JDK's default {@code java.util.logging} backend resets its handlers in a shutdown
 * hook of its own, so log lines written during a SIGTERM shutdown may be lost with it; the returned
 * {@link ShutdownReport} (and {@link Builder#onFinished}) always carry the outcome.
 */
public final class GracefulShutdown {
  /** How long past the deadline the caller waits for a hung step before abandoning it. */
  public static final Duration HARD_BOUND_GRACE = Duration.ofSeconds(1);

  /** The phases, in the order they run. */
  public enum Phase {
    /** Readiness goes false. */
    READINESS,
    /** Wait while load balancers stop routing here. */
    PROPAGATION,
    /** Refuse new inbound requests. */
    STOP_ACCEPTING,
    /** Wait for inbound requests in flight. */
    DRAIN_INBOUND,
    /** Stop supervised background workers. */
    STOP_WORKERS,
    /** Drain outbound clients and policies. */
    DRAIN_OUTBOUND,
    /** Close resources. */
    CLOSE
  }

  private final List<Step> steps;
  private final Duration deadline;
  private final TimeSource time;
  private final List<Consumer<? super ShutdownReport>> finishedListeners;
  private final Object lock = new Object();
  private ShutdownSequence sequence;
  private Thread hook;

  private GracefulShutdown(Builder b) {
    List<Step> ordered = new ArrayList<>();
    for (Phase phase : Phase.values()) {
      for (Step s : b.steps) {
        if (s.phase() == phase) {
          ordered.add(s);
        }
      }
    }
    this.steps = List.copyOf(ordered);
    this.deadline = b.deadline;
    this.time = b.timeSource;
    this.finishedListeners = List.copyOf(b.finishedListeners);
  }

  /**
   * Starts a builder.
   *
   * @return a builder with the defaults: deadline 25 s, propagation delay 5 s, system time source,
   *     no steps
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Registers a JVM shutdown hook that runs {@link #shutdown()} on SIGTERM, SIGINT or a normal
   * exit, and waits for it (at most the deadline plus {@link #HARD_BOUND_GRACE}).
   *
   * @return this coordinator
   * @throws IllegalStateException if the hook is already installed
   */
  public GracefulShutdown installShutdownHook() {
    synchronized (lock) {
      if (hook != null) {
        throw new IllegalStateException("the shutdown hook is already installed");
      }
      hook =
          new Thread(
              () -> {
                try {
                  shutdown();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "riprap-shutdown-hook");
      Runtime.getRuntime().addShutdownHook(hook);
    }
    return this;
  }

  /**
   * Removes the hook installed by {@link #installShutdownHook()}, if any (for tests and for
   * services that manage their own hooks). Has no effect once the JVM is shutting down.
   *
   * @return {@code true} if a hook was removed
   */
  public boolean removeShutdownHook() {
    synchronized (lock) {
      if (hook == null) {
        return false;
      }
      try {
        boolean removed = Runtime.getRuntime().removeShutdownHook(hook);
        hook = null;
        return removed;
      } catch (IllegalStateException e) { // the JVM is already shutting down
        return false;
      }
    }
  }

  /**
   * Whether {@link #shutdown()} has been called.
   *
   * @return {@code true} once the sequence has started
   */
  public boolean isShuttingDown() {
    synchronized (lock) {
      return sequence != null;
    }
  }

  /**
   * Runs the shutdown sequence, or waits for the run already started, and returns its report.
   * Returns within the deadline plus {@link #HARD_BOUND_GRACE} of real time (without bound when the
   * deadline is none), whatever the steps and the listeners throw or how long they hang.
   *
   * @return the report
   * @throws InterruptedException if the calling thread is interrupted while waiting (the sequence
   *     goes on in the background)
   */
  public ShutdownReport shutdown() throws InterruptedException {
    ShutdownSequence seq;
    synchronized (lock) {
      if (sequence == null) {
        sequence = ShutdownSequence.start(steps, deadline, time, finishedListeners);
      }
      seq = sequence;
    }
    return seq.await();
  }

  /** Builds a {@link GracefulShutdown}. Not thread-safe; the coordinator it builds is. */
  public static final class Builder {
    private final List<Step> steps = new ArrayList<>();
    private final List<Consumer<? super ShutdownReport>> finishedListeners =
        new ArrayList<>();
    private Duration deadline = Duration.ofSeconds(25);
    private Duration propagationDelay = Duration.ofSeconds(5);
    private TimeSource timeSource = TimeSource.system();

    private Builder() {}

    /**
     * The overall deadline for the whole sequence. Defaults to 25 s, which leaves 5 s of
     * Kubernetes' default {@code terminationGracePeriodSeconds: 30} for the JVM to exit. {@link
     * Long#MAX_VALUE} nanoseconds or more (such as {@code Duration.ofMillis(Long.MAX_VALUE)}) means
     * no deadline and no hard bound.
     *
     * @param deadline positive
     * @return this builder
     * @throws IllegalArgumentException if {@code deadline} is not positive
     */
    public Builder deadline(Duration deadline) {
      Objects.requireNonNull(deadline, "deadline");
      if (deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("deadline must be positive, was " + deadline);
      }
      this.deadline = deadline;
      return this;
    }

    /**
     * How long to keep serving after readiness went false, so that load balancers stop routing
     * here before the server refuses requests. Defaults to 5 s; zero skips the phase.
     *
     * @param delay zero or more, shorter than the deadline
     * @return this builder
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public Builder propagationDelay(Duration delay) {
      Objects.requireNonNull(delay, "delay");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("propagation delay must not be negative, was " + delay);
      }
      this.propagationDelay = delay;
      return this;
    }

    /**
     * The time source for the deadline and the propagation wait. Defaults to {@link
     * TimeSource#system()}.
     *
     * @param timeSource the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
      return this;
    }

    /**
     * Adds a {@link Phase#READINESS} action that makes readiness fail, typically {@code
     * health::startDraining}.
     *
     * @param markNotReady the action; must be quick
     * @return this builder
     */
    public Builder readiness(Runnable markNotReady) {
      Objects.requireNonNull(markNotReady, "markNotReady");
      return step(Phase.READINESS, "readiness", budget -> {
        markNotReady.run();
        return null;
      });
    }

    /**
     * Adds a {@link Phase#STOP_ACCEPTING} action.
     *
     * @param name what it stops, for the report and logs; not blank
     * @param action the action; must not block for long
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder stopAccepting(String name, Runnable action) {
      Objects.requireNonNull(action, "action");
      return step(Phase.STOP_ACCEPTING, name, budget -> {
        action.run();
        return null;
      });
    }

    /**
     * Adds a {@link Phase#DRAIN_INBOUND} step: waits for inbound requests in flight, given what is
     * left of the deadline.
     *
     * @param name what it drains; not blank
     * @param drainable the drain
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder drainInbound(String name, Drainable drainable) {
      Objects.requireNonNull(drainable, "drainable");
      return step(Phase.DRAIN_INBOUND, name, drainable::drain);
    }

    /**
     * Adds a JDK HTTP server: {@link HttpServerDrain#stopAccepting()} in {@link
     * Phase#STOP_ACCEPTING} and {@link HttpServerDrain#stop(Duration)} (drain, then stop the server)
     * in {@link Phase#DRAIN_INBOUND}.
     *
     * @param name the server's name; not blank
     * @param server the drain support of the server
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder httpServer(String name, HttpServerDrain server) {
      Objects.requireNonNull(server, "server");
      stopAccepting(name, server::stopAccepting);
      return step(Phase.DRAIN_INBOUND, name, server::stop);
    }

    /**
     * Adds a {@link Phase#STOP_WORKERS} step that stops a supervisor's workers (interrupt, then
     * join within what is left of the deadline).
     *
     * @param supervisor the supervisor
     * @return this builder
     */
    public Builder stopWorkers(Supervisor supervisor) {
      Objects.requireNonNull(supervisor, "supervisor");
      return step(Phase.STOP_WORKERS, supervisor.name(), supervisor::stop);
    }

    /**
     * Adds a {@link Phase#DRAIN_OUTBOUND} step: a {@code ShutdownGate}, a {@code PolicyRegistry} or
     * a {@code ResilientHttpClient}, as {@code gate::drain}.
     *
     * @param name what it drains; not blank
     * @param drainable the drain
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder drainOutbound(String name, Drainable drainable) {
      Objects.requireNonNull(drainable, "drainable");
      return step(Phase.DRAIN_OUTBOUND, name, drainable::drain);
    }

    /**
     * Adds a {@link Phase#CLOSE} step. Close steps run in the order they were added.
     *
     * @param name what it closes; not blank
     * @param resource the resource
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder close(String name, AutoCloseable resource) {
      Objects.requireNonNull(resource, "resource");
      return step(Phase.CLOSE, name, budget -> {
        resource.close();
        return null;
      });
    }

    /**
     * Adds a listener told the report when the sequence has finished (or was abandoned at the hard
     * bound), on the coordinator's thread (on the abandoning caller's, when the run was abandoned),
     * before {@link GracefulShutdown#shutdown()} returns the report (except past the hard bound).
     * Listeners are told in the order they were added; one that throws anything, an {@code Error}
     * included, is logged and changes nothing: the others are told, every caller gets the report.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder onFinished(Consumer<? super ShutdownReport> listener) {
      finishedListeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    private Builder step(Phase phase, String name, Action action) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("step name must not be blank");
      }
      steps.add(new Step(phase, name, action));
      return this;
    }

    /**
     * Builds the coordinator. Nothing runs until {@link GracefulShutdown#shutdown()} or the hook.
     *
     * @return the coordinator
     * @throws IllegalStateException if the propagation delay is not shorter than the deadline
     */
    public GracefulShutdown build() {
      if (propagationDelay.compareTo(deadline) >= 0) {
        throw new IllegalStateException(
            "propagation delay " + propagationDelay + " must be shorter than the deadline "
                + deadline);
      }
      List<Step> all = new ArrayList<>(steps);
      if (!propagationDelay.isZero()) {
        Duration delay = propagationDelay;
        TimeSource ts = timeSource;
        CountDownLatch never = new CountDownLatch(1);
        all.add(
            new Step(
                Phase.PROPAGATION,
                "propagation delay",
                budget -> {
                  ts.await(
                      never,
                      Math.min(ShutdownSequence.nanos(delay), ShutdownSequence.nanos(budget)));
                  return null;
                }));
      }
      Builder copy = new Builder();
      copy.steps.addAll(all);
      copy.finishedListeners.addAll(finishedListeners);
      copy.deadline = deadline;
      copy.propagationDelay = propagationDelay;
      copy.timeSource = timeSource;
      return new GracefulShutdown(copy);
    }
  }
}
