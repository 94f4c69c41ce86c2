package dev.riprap.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.examples.ChaosScenario.Outcome;
import dev.riprap.examples.ChaosScenario.Phase;
import dev.riprap.examples.ChaosScenario.Side;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

class ChaosReportTest {
  @TempDir Path dir;

  private static String cell(XPath xpath, Document doc, int second, String cls) throws Exception {
    return xpath.evaluate(
        "//table[@id='per-second']/tbody/tr[@data-second='" + second + "']/td[@class='" + cls
            + "']",
        doc);
  }

  @Test
  void theReportIsOneWellFormedOfflinePageWithTheCountsTheRunProduced() throws Exception {
    Path file = dir.resolve("reports/chaos.html");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    // four times faster than real time: the same scenario in 3 seconds
    ChaosScenario.Run run =
        Demo.report(file, 4, new PrintStream(printed, true, StandardCharsets.UTF_8));

    String html = Files.readString(file);
    assertThat(html)
        .startsWith("<!DOCTYPE html>")
        .doesNotContain("http:", "https:", "<script", "<link", "<img", "url(", "src=", "href=");
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setExpandEntityReferences(false);
    Document doc = factory.newDocumentBuilder().parse(file.toFile()); // well-formed, or it throws
    XPath xpath = XPathFactory.newInstance().newXPath();
    assertThat(((NodeList) xpath.evaluate("//svg", doc, XPathConstants.NODESET)).getLength())
        .isEqualTo(2);

    for (Side side : new Side[] {run.unprotected(), run.riprap()}) {
      String id = side == run.unprotected() ? "np" : "rp";
      int calls = 0;
      for (int s = 0; s < ChaosScenario.SECONDS; s++) {
        int second = 0;
        for (Outcome o : Outcome.values()) {
          assertThat(cell(xpath, doc, s, id + "-" + o.name().toLowerCase(Locale.ROOT)))
              .as("%s second %d %s", side.name, s, o)
              .isEqualTo(String.valueOf(side.outcomes[s][o.ordinal()]));
          second += side.outcomes[s][o.ordinal()];
        }
        // every call started that second has exactly one outcome
        assertThat(second).isEqualTo(ChaosScenario.CALLS_PER_SECOND);
        assertThat(cell(xpath, doc, s, id + "-upstream"))
            .isEqualTo(String.valueOf(side.upstream[s]));
        assertThat(cell(xpath, doc, s, id + "-p95")).isEqualTo(String.valueOf(side.p95Millis(s)));
        calls += second;
      }
      assertThat(side.calls()).isEqualTo(calls);
      assertThat(xpath.evaluate("//table[@id='totals']/tbody/tr[td[1]='" + side.name
          + "']/td[2]", doc)).isEqualTo(String.valueOf(calls));
      assertThat(xpath.evaluate("//table[@id='totals']/tbody/tr[td[1]='" + side.name
          + "']/td[3]", doc)).isEqualTo(String.valueOf(side.total(Outcome.SUCCESS)));
    }
    // without protection every call reaches the upstream, once; with it the outage is kept
    // away from the upstream by the open breaker, whose band is drawn
    assertThat(run.unprotected().upstreamTotal(Phase.OUTAGE))
        .isEqualTo((Phase.OUTAGE.to - Phase.OUTAGE.from) * ChaosScenario.CALLS_PER_SECOND);
    assertThat(run.riprap().upstreamTotal(Phase.OUTAGE))
        .isLessThan(run.unprotected().upstreamTotal(Phase.OUTAGE) / 2);
    assertThat(run.riprap().bands).extracting(ChaosScenario.Band::state).contains("OPEN");
    assertThat(run.unprotected().bands).extracting(ChaosScenario.Band::state)
        .containsOnly("NONE");
    assertThat(xpath.evaluate("count(//svg[@id='chart-rp']/rect[@fill='#ef9a9a'])", doc))
        .isNotEqualTo("0");

    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("Riprap         " + run.riprap().calls() + " calls, "
            + run.riprap().total(Outcome.SUCCESS) + " succeeded")
        .contains("Report written to " + file.toAbsolutePath());
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.isAlive() && t.getName().startsWith("chaos-"));
  }

  @Test
  void theDemoRefusesArgumentsItDoesNotKnowAndABadSpeed() {
    assertThatThrownBy(() -> Demo.main(new String[] {"--report"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("arguments must be nothing or --report <file>, were --report");
    assertThatThrownBy(() -> Demo.main(new String[] {"--verbose", "x"}))
        .hasMessage("arguments must be nothing or --report <file>, were --verbose x");
    assertThatThrownBy(() -> ChaosScenario.run(0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("speed must be from 1 to 100, was 0.5");
  }
}
