package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each test: no non-daemon thread that the test started is still alive (a leaked timer or
 * worker would keep the JVM up), and the test left no interrupt flag behind.
 */
final class LeakCheck implements BeforeEachCallback, AfterEachCallback {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(LeakCheck.class);

  static Set<Thread> nonDaemon() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && !t.isDaemon() && !serverThread(t))
        .collect(Collectors.toSet());
  }

  /**
   * The shared test server's pool starts threads on demand; they belong to the fixture. JUnit's
   * timeout watcher starts with the first test of the run (after this check's snapshot): JUnit's.
   */
  private static boolean serverThread(Thread t) {
    String name = t.getName();
    return name.startsWith("qtp") || name.startsWith("Connector-Scheduler")
        || name.startsWith("HTTP-Dispatcher") || name.startsWith("upstream-")
        || name.equals("junit-jupiter-timeout-watcher");
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getStore(NS).put("threads", nonDaemon());
  }

  @Override
  @SuppressWarnings("unchecked")
  public void afterEach(ExtensionContext context) {
    assertThat(Thread.interrupted()).as("interrupt flag left set by the test").isFalse();
    Set<Thread> before = (Set<Thread>) context.getStore(NS).get("threads");
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInSameThread()
        .pollInterval(Duration.ofMillis(10))
        .untilAsserted(
            () -> {
              Set<Thread> now = nonDaemon();
              now.removeAll(before);
              assertThat(now).as("non-daemon threads started by the test").isEmpty();
            });
  }
}
