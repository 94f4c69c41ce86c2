package dev.riprap.examples;

import dev.riprap.examples.ChaosScenario.Band;
import dev.riprap.examples.ChaosScenario.Outcome;
import dev.riprap.examples.ChaosScenario.Phase;
import dev.riprap.examples.ChaosScenario.Run;
import dev.riprap.examples.ChaosScenario.Side;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a {@link ChaosScenario} run as one self-contained HTML page: inline SVG charts side by
 * side (calls by outcome per second as stacked bars, the load the upstream received as a line, the
 * breaker's state as a band under the axis, the phases shaded), the totals, and every number per
 * second in a table. No script, no style sheet, font or image from anywhere else: it opens
 * offline. The markup is also well-formed XML, so a test can read it back.
 */
final class ChaosReport {
  private static final Map<Outcome, String> COLORS =
      Map.of(Outcome.SUCCESS, "#2e7d32", Outcome.FAILURE, "#c62828", Outcome.REJECTED, "#7b8ba3",
          Outcome.TIMED_OUT, "#ef6c00");
  private static final Map<String, String> BAND_COLORS =
      Map.of("CLOSED", "#a5d6a7", "OPEN", "#ef9a9a", "FORCED_OPEN", "#ef9a9a", "HALF_OPEN",
          "#ffe082", "NONE", "#e0e0e0");
  private static final String LOAD_COLOR = "#1f4fb5";

  private static final int WIDTH = 660;
  private static final int HEIGHT = 340;
  private static final int LEFT = 46;
  private static final int RIGHT = 14;
  private static final int TOP = 30;
  private static final int BOTTOM = 64;

  private ChaosReport() {}

  /**
   * Writes the report of {@code run} to {@code file}, creating its folder if needed.
   *
   * @param run the run
   * @param file where to write
   * @throws IOException if it cannot be written
   */
  static void write(Run run, Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Files.writeString(file, html(run), StandardCharsets.UTF_8);
  }

  /**
   * The report of {@code run}.
   *
   * @param run the run
   * @return the whole HTML page
   */
  static String html(Run run) {
    int yMax = niceMax(Math.max(peak(run.unprotected()), peak(run.riprap())));
    StringBuilder h = new StringBuilder(64 * 1024);
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
        .append("<title>Riprap chaos report</title>\n<style>\n")
        .append("body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:18px")
        .append(" 24px;color:#222}h1{font-size:22px;margin:0 0 4px}p{margin:4px 0}")
        .append(".sides{display:flex;gap:16px;margin-top:10px}.side{flex:1;min-width:0}")
        .append(".side h2{font-size:16px;margin:6px 0 2px}.setup{color:#555;font-size:12px;")
        .append("min-height:30px}.sum{font-size:13px}")
        .append("table{border-collapse:collapse;font-size:12px;margin-top:10px}")
        .append("td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}")
        .append("th{background:#f4f4f4}td.l,th.l{text-align:left}")
        .append(".legend span{display:inline-block;margin-right:14px;font-size:13px}")
        .append(".sw{display:inline-block;width:11px;height:11px;margin-right:4px;")
        .append("vertical-align:-1px}\n</style>\n</head>\n<body>\n");
    h.append("<h1>Riprap chaos report: the same calls with and without protection</h1>\n")
        .append("<p>").append(ChaosScenario.CALLS_PER_SECOND).append(" calls a second for ")
        .append(ChaosScenario.SECONDS).append(" seconds from each caller, to its own copy of one")
        .append(" upstream that goes through these phases: ");
    for (Phase p : Phase.values()) {
      h.append("<b>").append(p.from).append("-").append(p.to).append(" s</b> ")
          .append(esc(p.description)).append(p == Phase.RECOVERED ? "." : "; ");
    }
    h.append("</p>\n<p>Every number is counted in this run");
    if (run.speed() != 1) {
      h.append(String.format(Locale.ROOT, " (run %.1fx faster than real time; times are"
          + " scenario times)", run.speed()));
    }
    h.append(": bars are calls by their outcome, per second they started in; the line is the"
        + " attempts the upstream received that second (retries add to it, an open breaker takes"
        + " it away); the band under the axis is the breaker's state.</p>\n");
    legend(h);
    h.append("<div class=\"sides\">\n");
    side(h, run.unprotected(), yMax, "np");
    side(h, run.riprap(), yMax, "rp");
    h.append("</div>\n");
    totals(h, run);
    perSecond(h, run);
    h.append("</body>\n</html>\n");
    return h.toString();
  }

  private static int peak(Side side) {
    int peak = 0;
    for (int s = 0; s < ChaosScenario.SECONDS; s++) {
      int calls = 0;
      for (int n : side.outcomes[s]) {
        calls += n;
      }
      peak = Math.max(peak, Math.max(calls, side.upstream[s]));
    }
    return peak;
  }

  /** The axis top: the peak rounded up to a multiple of 20, at least 20. */
  static int niceMax(int peak) {
    return Math.max(20, (peak + 19) / 20 * 20);
  }

  private static void legend(StringBuilder h) {
    h.append("<p class=\"legend\">");
    for (Outcome o : Outcome.values()) {
      swatch(h, COLORS.get(o), o.label);
    }
    swatch(h, LOAD_COLOR, "upstream load (attempts received)");
    swatch(h, BAND_COLORS.get("CLOSED"), "breaker closed");
    swatch(h, BAND_COLORS.get("HALF_OPEN"), "half-open");
    swatch(h, BAND_COLORS.get("OPEN"), "open");
    h.append("</p>\n");
  }

  private static void swatch(StringBuilder h, String color, String label) {
    h.append("<span><i class=\"sw\" style=\"background:").append(color).append("\"></i>")
        .append(esc(label)).append("</span>");
  }

  private static double x(double second) {
    return LEFT + second * (WIDTH - LEFT - RIGHT) / ChaosScenario.SECONDS;
  }

  private static double y(double value, int yMax) {
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / yMax);
  }

  private static void side(StringBuilder h, Side side, int yMax, String id) {
    int bottom = HEIGHT - BOTTOM;
    h.append("<div class=\"side\">\n<h2>").append(esc(side.name)).append("</h2>\n")
        .append("<p class=\"setup\">").append(esc(side.setup)).append("</p>\n")
        .append(String.format(Locale.ROOT, "<p class=\"sum\"><b>%.1f%%</b> of calls succeeded;"
                + " the upstream received <b>%d</b> attempts during the outage.</p>%n",
            100.0 * side.total(Outcome.SUCCESS) / Math.max(1, side.calls()),
            side.upstreamTotal(Phase.OUTAGE)))
        .append(String.format(Locale.ROOT,
            "<svg id=\"chart-%s\" width=\"100%%\" viewBox=\"0 0 %d %d\" role=\"img\">%n",
            id, WIDTH, HEIGHT));
    for (Phase p : Phase.values()) {
      String fill = p == Phase.OUTAGE ? "#fdecea" : p == Phase.SLOW ? "#fff5dc" : "#ffffff";
      rect(h, x(p.from), TOP, x(p.to) - x(p.from), bottom - TOP, fill);
      text(h, (x(p.from) + x(p.to)) / 2, TOP - 8, "middle", 11, "#555",
          p.name().toLowerCase(Locale.ROOT));
    }
    for (int i = 0; i <= 4; i++) {
      double v = yMax * i / 4.0;
      line(h, LEFT, y(v, yMax), WIDTH - RIGHT, y(v, yMax), "#e6e6e6", 1);
      text(h, LEFT - 6, y(v, yMax) + 4, "end", 11, "#555", String.valueOf((int) v));
    }
    double slot = (WIDTH - LEFT - RIGHT) / (double) ChaosScenario.SECONDS;
    for (int s = 0; s < ChaosScenario.SECONDS; s++) {
      double stacked = 0;
      for (Outcome o : Outcome.values()) {
        int n = side.outcomes[s][o.ordinal()];
        if (n > 0) {
          rect(h, x(s) + slot * 0.18, y(stacked + n, yMax), slot * 0.64,
              y(stacked, yMax) - y(stacked + n, yMax), COLORS.get(o));
          stacked += n;
        }
      }
      text(h, x(s + 0.5), bottom + 14, "middle", 11, "#555", String.valueOf(s));
    }
    line(h, LEFT, bottom, WIDTH - RIGHT, bottom, "#888", 1);
    StringBuilder points = new StringBuilder();
    for (int s = 0; s < ChaosScenario.SECONDS; s++) {
      points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(s + 0.5),
          y(side.upstream[s], yMax)));
    }
    h.append("<polyline fill=\"none\" stroke=\"").append(LOAD_COLOR)
        .append("\" stroke-width=\"2.5\" points=\"").append(points.toString().trim())
        .append("\"/>\n");
    for (int s = 0; s < ChaosScenario.SECONDS; s++) {
      h.append(String.format(Locale.ROOT,
          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", x(s + 0.5),
          y(side.upstream[s], yMax), LOAD_COLOR));
    }
    double bandY = bottom + 24;
    for (Band b : side.bands) {
      rect(h, x(b.from()), bandY, x(b.to()) - x(b.from()), 14,
          BAND_COLORS.getOrDefault(b.state(), "#e0e0e0"));
    }
    String bandLabel = side.bands.stream().allMatch(b -> b.state().equals("NONE"))
        ? "no breaker" : "breaker state";
    text(h, LEFT + 4, bandY + 11, "start", 10, "#333", bandLabel);
    text(h, (x(0) + x(ChaosScenario.SECONDS)) / 2, HEIGHT - 6, "middle", 11, "#555",
        "second of the scenario");
    h.append("</svg>\n</div>\n");
  }

  private static void rect(StringBuilder h, double x, double y, double w, double ht, String fill) {
    h.append(String.format(Locale.ROOT,
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>%n",
        x, y, Math.max(0, w), Math.max(0, ht), fill));
  }

  private static void line(StringBuilder h, double x1, double y1, double x2, double y2,
      String stroke, double width) {
    h.append(String.format(Locale.ROOT,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"/>%n",
        x1, y1, x2, y2, stroke, width));
  }

  private static void text(StringBuilder h, double x, double y, String anchor, int size,
      String fill, String text) {
    h.append(String.format(Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" fill=\"%s\">",
        x, y, anchor, size, fill)).append(esc(text)).append("</text>\n");
  }

  private static void totals(StringBuilder h, Run run) {
    h.append("<table id=\"totals\">\n<thead><tr><th class=\"l\"></th><th>calls</th>");
    for (Outcome o : Outcome.values()) {
      h.append("<th>").append(esc(o.label)).append("</th>");
    }
    h.append("<th>success rate</th><th>upstream attempts</th><th>of them during the outage</th>"
        + "</tr></thead>\n<tbody>\n");
    for (Side side : new Side[] {run.unprotected(), run.riprap()}) {
      h.append("<tr><td class=\"l\">").append(esc(side.name)).append("</td><td>")
          .append(side.calls()).append("</td>");
      for (Outcome o : Outcome.values()) {
        h.append("<td>").append(side.total(o)).append("</td>");
      }
      int upstream = 0;
      for (int n : side.upstream) {
        upstream += n;
      }
      h.append(String.format(Locale.ROOT, "<td>%.1f%%</td>",
              100.0 * side.total(Outcome.SUCCESS) / Math.max(1, side.calls())))
          .append("<td>").append(upstream).append("</td><td>")
          .append(side.upstreamTotal(Phase.OUTAGE)).append("</td></tr>\n");
    }
    h.append("</tbody>\n</table>\n");
  }

  private static void perSecond(StringBuilder h, Run run) {
    h.append("<table id=\"per-second\">\n<thead><tr><th>s</th><th class=\"l\">phase</th>");
    for (Side side : new Side[] {run.unprotected(), run.riprap()}) {
      for (Outcome o : Outcome.values()) {
        h.append("<th>").append(esc(side.name)).append(": ").append(esc(o.label)).append("</th>");
      }
      h.append("<th>").append(esc(side.name)).append(": upstream</th><th>")
          .append(esc(side.name)).append(": p95 ms</th>");
    }
    h.append("</tr></thead>\n<tbody>\n");
    for (int s = 0; s < ChaosScenario.SECONDS; s++) {
      h.append("<tr data-second=\"").append(s).append("\"><td>").append(s)
          .append("</td><td class=\"l\">").append(Phase.at(s).name().toLowerCase(Locale.ROOT))
          .append("</td>");
      cells(h, run.unprotected(), s, "np");
      cells(h, run.riprap(), s, "rp");
      h.append("</tr>\n");
    }
    h.append("</tbody>\n</table>\n");
  }

  private static void cells(StringBuilder h, Side side, int s, String id) {
    for (Outcome o : Outcome.values()) {
      h.append("<td class=\"").append(id).append('-').append(o.name().toLowerCase(Locale.ROOT))
          .append("\">").append(side.outcomes[s][o.ordinal()]).append("</td>");
    }
    h.append("<td class=\"").append(id).append("-upstream\">").append(side.upstream[s])
        .append("</td><td class=\"").append(id).append("-p95\">").append(side.p95Millis(s))
        .append("</td>");
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
