package dev.riprap.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class AnnotatedDemoTest {
  private static Set<Thread> nonDaemon() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && !t.isDaemon())
        .collect(Collectors.toSet());
  }

  @Test
  void theDemoShowsRetryFallbackEncodingAndIdempotencyThenLeavesNoThread() {
    Set<Thread> before = nonDaemon();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    AnnotatedDemo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    assertThat(bytes.toString(StandardCharsets.UTF_8).lines())
        .containsExactly(
            "[annotated] quote(ACME)   -> ACME 42.17   (server saw 2 requests: a 503, then the"
                + " client's retry)",
            "[annotated] quote(ZZZZ)   -> ZZZZ: no quote (404 delisted)   (the @Fallback)",
            "[annotated] search(...)   -> matches for 'q=blue chips & co/ltd': ACME",
            "[annotated] order(...)    -> accepted: 10 ACME @ 42   (2 attempts, 1 Idempotency-Key)");
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInSameThread()
        .pollInterval(Duration.ofMillis(10))
        .untilAsserted(
            () -> {
              Set<Thread> now = nonDaemon();
              now.removeAll(before);
              assertThat(now).isEmpty();
            });
  }
}
