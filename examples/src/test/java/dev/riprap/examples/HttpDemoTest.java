package dev.riprap.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class HttpDemoTest {
  static Set<Thread> nonDaemon() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && !t.isDaemon())
        .collect(Collectors.toSet());
  }

  @Test
  void theDemoShowsRetriesRetryAfterTheBreakerAndStaleCopiesAndLeavesNoThread() throws Exception {
    Set<Thread> before = nonDaemon();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    HttpDemo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(out)
        .contains("(from the cache, no request sent)")
        .contains("20 concurrent GET /prices -> 20 answered 200, 1 upstream request(s)")
        .contains("(status 503): wait")
        .contains("from Retry-After: 1")
        .contains("CLOSED -> OPEN")
        .contains("(stale copy, Age")
        .contains("HALF_OPEN -> CLOSED")
        .contains("0 errors seen by the caller");
    Set<Thread> after = nonDaemon();
    after.removeAll(before);
    assertThat(after).isEmpty();
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.isAlive() && t.getName().startsWith("demo-"));
  }
}
