package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.request;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** A WireMock server on 127.0.0.1 shared by a test class, reset before each test. */
@ExtendWith(LeakCheck.class)
abstract class WireMockSupport {
  static WireMockServer server;
  static HttpClient delegate;

  @BeforeAll
  static void startServer() {
    server = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort()
        .containerThreads(12).jettyAcceptors(1));
    server.start();
    delegate = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stopServer() {
    server.stop();
  }

  @BeforeEach
  void resetServer() {
    server.resetAll();
  }

  static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  static HttpRequest get(String path) {
    return HttpRequest.newBuilder(uri(path)).GET().build();
  }

  static HttpRequest post(String path) {
    return HttpRequest.newBuilder(uri(path))
        .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":5}"))
        .build();
  }

  /** Answers {@code method path} with the given responses in turn; the last one repeats. */
  static void sequence(String method, String path, ResponseDefinitionBuilder... steps) {
    String scenario = method + " " + path;
    for (int i = 0; i < steps.length; i++) {
      String state = i == 0 ? Scenario.STARTED : "step" + i;
      var mapping = request(method, urlEqualTo(path))
          .inScenario(scenario)
          .whenScenarioStateIs(state)
          .willReturn(steps[i]);
      if (i + 1 < steps.length) {
        mapping = mapping.willSetStateTo("step" + (i + 1));
      }
      server.stubFor(mapping);
    }
  }

  static List<LoggedRequest> received(RequestPatternBuilder pattern) {
    return server.findAll(pattern);
  }

  static int count(RequestPatternBuilder pattern) {
    return server.countRequestsMatching(pattern.build()).getCount();
  }

  /** The methods of every request the server received, oldest first. */
  static List<String> receivedMethods() {
    List<String> methods = server.getAllServeEvents().stream()
        .map(e -> e.getRequest().getMethod().value())
        .collect(Collectors.toList());
    java.util.Collections.reverse(methods);
    return methods;
  }
}
