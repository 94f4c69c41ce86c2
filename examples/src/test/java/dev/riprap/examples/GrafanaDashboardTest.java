package dev.riprap.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code operations/grafana/riprap-dashboard.json} against what the reference service really
 * exposes: the service runs with a small upstream of the test's own, takes a little traffic, and
 * every metric each panel and variable queries must be in its {@code /metrics} with every label
 * the query matches or groups by.
 */
class GrafanaDashboardTest {
  private static final Path DASHBOARD = Path.of("..", "operations", "grafana",
      "riprap-dashboard.json");
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? \\S+$");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\",?");
  private static final Pattern LABEL_VALUES =
      Pattern.compile("^label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,\\s*([a-zA-Z_]\\w*)\\s*\\)$");

  private final HttpClient client = HttpClient.newHttpClient();
  private HttpServer upstream;
  private ReferenceService service;

  @BeforeEach
  void start() throws IOException {
    // An inventory that fails every request for skus starting with "fail", so that retries are
    // abandoned (the abandoned-retry counter exists only once that happened).
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      boolean fail = path.contains("/fail");
      byte[] body = (fail ? "{\"error\":\"down\"}" : "{\"sku\":\"abc\",\"stock\":3,\"cents\":9}")
          .getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(fail ? 503 : 200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    upstream.start();
    service = ReferenceService.start(0,
        URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()), Duration.ZERO);
  }

  @AfterEach
  void stop() throws InterruptedException {
    try {
      if (service != null) {
        assertThat(service.shutdown().shutdown().isClean()).isTrue();
      }
    } finally {
      upstream.stop(0);
    }
  }

  private String get(String path) throws Exception {
    return client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Label names per metric name in a Prometheus text scrape. */
  static Map<String, Set<String>> labelsByMetric(String scrape) {
    Map<String, Set<String>> metrics = new TreeMap<>();
    for (String line : scrape.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (line.startsWith("#") || !m.matches()) {
        continue;
      }
      Set<String> labels = metrics.computeIfAbsent(m.group(1), k -> new TreeSet<>());
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.add(l.group(1));
        }
      }
    }
    return metrics;
  }

  /** Grafana's variables, as a query sees them once Grafana has filled them in. */
  private static String substituteVariables(String expr) {
    return expr.replace("$__rate_interval", "5m")
        .replace("$__interval", "1m")
        .replace("$__range", "1h")
        .replace("$policy", ".*")
        .replace("$host", ".*");
  }

  private static List<String> problems(PromQl.Parsed parsed, Map<String, Set<String>> scraped) {
    List<String> problems = new ArrayList<>();
    for (PromQl.Selector s : parsed.selectors()) {
      Set<String> labels = scraped.get(s.metric());
      if (labels == null) {
        problems.add("metric " + s.metric() + " is not exposed");
      } else if (!labels.containsAll(s.labels())) {
        problems.add("metric " + s.metric() + " has labels " + labels + ", the query matches "
            + s.labels());
      }
    }
    for (PromQl.Grouping g : parsed.groupings()) {
      Set<String> available = new HashSet<>();
      g.selectors().forEach(s -> available.addAll(scraped.getOrDefault(s.metric(), Set.of())));
      for (String label : g.labels()) {
        if (!available.contains(label)) {
          problems.add(g.keyword() + " (" + label + ") over " + g.selectors().stream()
              .map(PromQl.Selector::metric).toList() + ", which have " + available);
        }
      }
    }
    return problems;
  }

  @Test
  void everyMetricAndLabelTheDashboardQueriesIsExposedByTheReferenceService() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(get("/stock?sku=abc")).contains("\"stock\":3");
      assertThat(get("/price?sku=abc")).contains("\"cents\":9");
    }
    assertThat(get("/stock?sku=fail-1")).contains("inventory answered 503");
    Map<String, Set<String>> scraped = labelsByMetric(get("/metrics"));

    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    List<String> exprs = new ArrayList<>();
    for (JsonNode panel : dashboard.get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        exprs.add(target.get("expr").asText());
      }
    }
    assertThat(exprs).hasSizeGreaterThan(15);
    List<String> problems = new ArrayList<>();
    for (String expr : exprs) {
      problems.addAll(problems(PromQl.parse(substituteVariables(expr)), scraped)
          .stream().map(p -> p + " in <" + expr + ">").toList());
    }
    for (JsonNode variable : dashboard.get("templating").get("list")) {
      if (variable.get("type").asText().equals("query")) {
        Matcher m = LABEL_VALUES.matcher(variable.get("definition").asText());
        assertThat(m.matches()).as(variable.get("definition").asText()).isTrue();
        assertThat(scraped.get(m.group(1))).as(m.group(1)).isNotNull().contains(m.group(2));
      }
    }
    assertThat(problems).isEmpty();
    // the panels the dashboard promises, by the metrics they read
    assertThat(String.join("\n", exprs))
        .contains("riprap_calls_seconds_count", "riprap_retries_total",
            "riprap_retries_abandoned_total", "resilience4j_circuitbreaker_state",
            "riprap_paced_limiter_claimed_ahead_seconds",
            "resilience4j_bulkhead_available_concurrent_calls",
            "riprap_http_client_requests_seconds_bucket", "riprap_health_status",
            "riprap_drain_in_flight", "riprap_supervisor_workers");
  }

  @Test
  void theDashboardIsImportableWithAnyPrometheusDataSource() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    assertThat(dashboard.get("title").asText()).isEqualTo("Riprap");
    assertThat(dashboard.get("uid").asText()).matches("[a-z0-9-]{1,40}");
    assertThat(dashboard.get("schemaVersion").isInt()).isTrue();
    assertThat(dashboard.get("id").isNull()).as("an id would overwrite another dashboard").isTrue();
    JsonNode datasource = null;
    for (JsonNode variable : dashboard.get("templating").get("list")) {
      if (variable.get("type").asText().equals("datasource")) {
        datasource = variable;
      }
    }
    assertThat(datasource).as("a data source variable").isNotNull();
    assertThat(datasource.get("query").asText()).isEqualTo("prometheus");
    String variable = "${" + datasource.get("name").asText() + "}";

    Set<Integer> ids = new HashSet<>();
    List<JsonNode> datasources = new ArrayList<>();
    for (JsonNode panel : dashboard.get("panels")) {
      assertThat(ids.add(panel.get("id").asInt())).as("unique panel ids").isTrue();
      JsonNode grid = panel.get("gridPos");
      assertThat(grid.get("w").asInt() + grid.get("x").asInt()).isBetween(1, 24);
      if (!panel.get("type").asText().equals("row")) {
        datasources.add(panel.get("datasource"));
        panel.get("targets").forEach(t -> datasources.add(t.get("datasource")));
      }
    }
    for (JsonNode variableNode : dashboard.get("templating").get("list")) {
      if (variableNode.has("datasource")) {
        datasources.add(variableNode.get("datasource"));
      }
    }
    assertThat(datasources)
        .isNotEmpty()
        .allSatisfy(ds -> {
          assertThat(ds.get("type").asText()).isEqualTo("prometheus");
          assertThat(ds.get("uid").asText()).as("no hard-coded data source").isEqualTo(variable);
        });
  }

  @Test
  void theQueryCheckRefusesWhatIsNotThere() {
    Map<String, Set<String>> scraped =
        labelsByMetric("riprap_calls_seconds_count{outcome=\"success\",policy=\"a\"} 1.0\n");
    assertThat(problems(PromQl.parse("sum by (outcome) (rate(riprap_calls_seconds_count[5m]))"),
        scraped)).isEmpty();
    assertThat(problems(PromQl.parse("sum by (reason) (rate(riprap_calls_seconds_count[5m]))"),
        scraped)).singleElement().asString().startsWith("by (reason)");
    assertThat(problems(PromQl.parse("riprap_calls_total{policy=\"a\"}"), scraped))
        .containsExactly("metric riprap_calls_total is not exposed");
    assertThat(problems(PromQl.parse("riprap_calls_seconds_count{host=\"a\"}"), scraped))
        .singleElement().asString().contains("the query matches [host]");
    assertThatThrownBy(() -> PromQl.parse("sum by (outcome (x)"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected ')'");
    assertThatThrownBy(() -> PromQl.parse("rates(x[5m])"))
        .hasMessage("unknown function rates in <rates(x[5m])>");
  }
}
