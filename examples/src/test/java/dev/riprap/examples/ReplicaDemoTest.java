package dev.riprap.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicaDemoTest {
  @Test
  void aKilledReplicaIsEjectedAndRestoredWhileEveryCallSucceedsAndTheDemoLeavesNoThread()
      throws Exception {
    Set<Thread> before = HttpDemoTest.nonDaemon();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    int failed = ReplicaDemo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(failed).isZero();
    assertThat(out)
        .contains("base ejection time is 2 s here")
        .contains("replica b killed")
        .contains("EndpointEjected: replica b out of rotation after 5 failures in a row, for 2 s")
        .contains("EndpointRestored: replica b back in rotation, on probation")
        .contains("0 failed as the caller saw them");
    // The events come in the scene's order, and b answers again once it is back.
    assertThat(out.indexOf("replica b killed"))
        .isLessThan(out.indexOf("EndpointEjected"));
    assertThat(out.indexOf("EndpointEjected"))
        .isLessThan(out.indexOf("replica b started again"));
    assertThat(out.indexOf("replica b started again"))
        .isLessThan(out.indexOf("EndpointRestored"));
    String back = out.substring(out.indexOf("b back:"));
    assertThat(back.substring(0, back.indexOf('\n'))).contains(" b ");
    Set<Thread> after = HttpDemoTest.nonDaemon();
    after.removeAll(before);
    assertThat(after).isEmpty();
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.isAlive() && t.getName().startsWith("demo-replica"));
  }
}
