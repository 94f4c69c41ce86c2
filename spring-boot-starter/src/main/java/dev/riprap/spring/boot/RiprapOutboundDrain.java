package dev.riprap.spring.boot;

import dev.riprap.PolicyRegistry;
import dev.riprap.health.HealthMonitor;
import dev.riprap.http.ResilientHttpClient;
import dev.riprap.lifecycle.Drainable;
import dev.riprap.lifecycle.GracefulShutdown;
import dev.riprap.lifecycle.ShutdownReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.ContextClosedEvent;

/**
 * Riprap's outbound drain as a step of Spring's shutdown: when the context closes, readiness goes
 * false at once ({@link HealthMonitor#startDraining()} on {@link ContextClosedEvent}, when Spring
 * Boot's own readiness turns to refusing traffic); then, in this bean's {@link #PHASE}, the policy
 * registries and HTTP clients stop admitting calls, cut retry waits short and wait for the calls in
 * flight, all within {@code spring.lifecycle.timeout-per-shutdown-phase} (default 30 s).
 *
 * <p>Spring stops lifecycle beans from the highest phase down. Spring Boot's web server graceful
 * shutdown runs in phase {@code SmartLifecycle.DEFAULT_PHASE - 1024}: the server stops accepting
 * and waits for the requests in flight (which may still be calling out through Riprap). The web
 * server itself stops in {@code DEFAULT_PHASE - 2048}. This drain runs between the two, so the
 * requests the server let finish could complete their outbound calls, and nothing new arrives while
 * it drains.
 *
 * <p>The drain is the operations module's {@link GracefulShutdown} (no propagation delay: Spring
 * and the load balancer handle that): a {@code STOP_ACCEPTING} step per registry and client stops
 * them all admitting calls and cuts their retry waits short at once, then a {@code DRAIN_OUTBOUND}
 * step per registry and client waits for its calls in flight; its steps are logged through {@code
 * System.Logger} and its report is kept ({@link #lastReport()}). Runs once; thread-safe.
 */
public final class RiprapOutboundDrain
    implements SmartLifecycle, ApplicationListener<ContextClosedEvent>, ApplicationContextAware {
  /**
   * The phase: after Spring Boot's graceful shutdown of the web server ({@code DEFAULT_PHASE -
   * 1024}) and before the web server stops ({@code DEFAULT_PHASE - 2048}).
   */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1536;

  private final List<PolicyRegistry> registries;
  private final List<ResilientHttpClient> clients;
  private final HealthMonitor health;
  private final Duration timeout;
  private final AtomicReference<ShutdownReport> report = new AtomicReference<>();
  private volatile boolean running;
  private volatile ApplicationContext context;

  /**
   * A drain of these registries and clients.
   *
   * @param registries the registries to drain, in order
   * @param clients the HTTP clients to drain after them
   * @param health the monitor told of the drain, or {@code null}
   * @param timeout the bound of the whole drain: {@code
   *     spring.lifecycle.timeout-per-shutdown-phase}
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public RiprapOutboundDrain(
      List<PolicyRegistry> registries,
      List<ResilientHttpClient> clients,
      HealthMonitor health,
      Duration timeout) {
    this.registries = List.copyOf(registries);
    this.clients = List.copyOf(clients);
    this.health = health;
    this.timeout =
        RiprapEnvironment.positiveOrNull(Objects.requireNonNull(timeout, "timeout"), "timeout");
  }

  /** The context this bean lives in: only its own closing starts the drain's readiness change. */
  @Override
  public void setApplicationContext(ApplicationContext context) {
    this.context = context;
  }

  /**
   * Readiness goes false as soon as this bean's context starts closing, before any lifecycle stops.
   * A child context closing (a management server's) changes nothing.
   */
  @Override
  public void onApplicationEvent(ContextClosedEvent event) {
    if (health != null && event.getApplicationContext() == context) {
      health.startDraining();
    }
  }

  @Override
  public void start() {
    running = true;
  }

  /** Drains, bounded by the phase timeout; returns when done. */
  @Override
  public void stop() {
    drain();
  }

  @Override
  public void stop(Runnable callback) {
    try {
      drain();
    } finally {
      callback.run();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  /**
   * The bound of the drain.
   *
   * @return {@code spring.lifecycle.timeout-per-shutdown-phase} as given
   */
  public Duration timeout() {
    return timeout;
  }

  /**
   * What the drain did: one {@code DRAIN_OUTBOUND} step per registry and client (completed,
   * incomplete with the calls still running, ...).
   *
   * @return the report, or empty before the context was closed
   */
  public Optional<ShutdownReport> lastReport() {
    return Optional.ofNullable(report.get());
  }

  private synchronized void drain() {
    running = false;
    if (report.get() != null) {
      return;
    }
    GracefulShutdown.Builder shutdown =
        GracefulShutdown.builder().deadline(timeout).propagationDelay(Duration.ZERO);
    if (health != null) {
      shutdown.readiness(health::startDraining);
    }
    List<Target> targets = new ArrayList<>();
    for (int i = 0; i < registries.size(); i++) {
      targets.add(
          new Target(name("policy registry", i, registries.size()), registries.get(i)::drain));
    }
    for (int i = 0; i < clients.size(); i++) {
      targets.add(new Target(name("http client", i, clients.size()), clients.get(i)::drain));
    }
    // All stop admitting and cut their retry waits at once; then the waits, one after the other,
    // share the deadline. A wait that uses it all up leaves the later ones skipped, not admitting.
    for (Target t : targets) {
      shutdown.stopAccepting(t.name, () -> stopAdmitting(t.drainable));
    }
    for (Target t : targets) {
      shutdown.drainOutbound(t.name, t.drainable);
    }
    try {
      report.compareAndSet(null, shutdown.build().shutdown());
    } catch (InterruptedException e) {
      // The sequence goes on in the background, bounded by its deadline; Spring moves on.
      Thread.currentThread().interrupt();
    }
  }

  private static void stopAdmitting(Drainable drainable) {
    try {
      drainable.drain(Duration.ZERO);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private record Target(String name, Drainable drainable) {}

  private static String name(String what, int index, int count) {
    return count == 1 ? what : what + " " + (index + 1);
  }
}
