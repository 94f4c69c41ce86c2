package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.http.Fault;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RetryTest extends WireMockSupport {
  static HttpPolicy.Builder exact() {
    return HttpPolicy.builder("test").jitter(0).backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
  }

  static Harness harness(HttpPolicy policy) {
    return new Harness(delegate, ResilientHttpClient.builder().policy(policy));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void getIsRetriedThrough503sUntilItSucceedsWithExponentialBackoff(Mode mode) throws Exception {
    sequence("GET", "/items",
        aResponse().withStatus(503).withBody("busy"),
        aResponse().withStatus(503).withBody("busy"),
        aResponse().withStatus(200).withBody("items"));
    Harness h = harness(exact().build());

    var response = mode.send(h, get("/items"), BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("items");
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(3);
    assertThat(h.retryDelays()).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
    assertThat(h.events(RetryScheduled.class))
        .allSatisfy(e -> {
          assertThat(e.tags()).containsEntry("host", "127.0.0.1:" + server.port());
          assertThat(e.result()).isInstanceOf(java.net.http.HttpResponse.class);
          var retried = (java.net.http.HttpResponse<?>) e.result();
          assertThat(retried.statusCode()).isEqualTo(503);
          // The body is held for the caller or drained, never read for a listener.
          assertThat(retried.body()).isNull();
        });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void afterTheLastAttemptTheCallerGetsTheLast503AsTheJdkWouldHaveGivenIt(Mode mode)
      throws Exception {
    sequence("GET", "/items", aResponse().withStatus(503).withBody("still busy"));
    Harness h = harness(exact().maxRetries(2).build());

    var response = mode.send(h, get("/items"), BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isEqualTo("still busy");
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(3);
    assertThat(h.events(RetryAbandoned.class))
        .singleElement()
        .satisfies(e -> {
          assertThat(e.reason()).isEqualTo(RetryAbandoned.Reason.MAX_ATTEMPTS);
          assertThat(e.attempt()).isEqualTo(3);
        });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aPostIsNeverSentTwice(Mode mode) throws Exception {
    sequence("POST", "/payments",
        aResponse().withStatus(503).withBody("busy"), aResponse().withStatus(201));
    Harness h = harness(exact().build());

    var response = mode.send(h, post("/payments"), BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isEqualTo("busy");
    assertThat(count(postRequestedFor(urlEqualTo("/payments")))).isEqualTo(1);
    assertThat(h.events(RetryScheduled.class)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aPostWhoseConnectionIsResetFailsWithoutASecondSend(Mode mode) {
    sequence("POST", "/payments",
        aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER), aResponse().withStatus(201));
    Harness h = harness(exact().build());

    assertThatThrownBy(() -> mode.send(h, post("/payments"), BodyHandlers.ofString()))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(HttpRejectedException.class);
    assertThat(count(postRequestedFor(urlEqualTo("/payments")))).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aPostWithAnIdempotencyKeyIsRetried(Mode mode) throws Exception {
    sequence("POST", "/payments",
        aResponse().withStatus(503), aResponse().withStatus(201).withBody("paid"));
    Harness h = harness(exact().build());
    HttpRequest request = HttpRequest.newBuilder(uri("/payments"))
        .header("Idempotency-Key", "k-1")
        .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":5}"))
        .build();

    var response = mode.send(h, request, BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(201);
    var posts = received(postRequestedFor(urlEqualTo("/payments")));
    assertThat(posts).hasSize(2)
        .allSatisfy(r -> {
          assertThat(r.getHeader("Idempotency-Key")).isEqualTo("k-1");
          assertThat(r.getBodyAsString()).isEqualTo("{\"amount\":5}");
        });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aPutIsRetriedWithItsBody(Mode mode) throws Exception {
    sequence("PUT", "/items/1", aResponse().withStatus(502), aResponse().withStatus(204));
    Harness h = harness(exact().build());
    HttpRequest request = HttpRequest.newBuilder(uri("/items/1"))
        .PUT(HttpRequest.BodyPublishers.ofString("v2")).build();

    var response = mode.send(h, request, BodyHandlers.discarding());

    assertThat(response.statusCode()).isEqualTo(204);
    assertThat(received(putRequestedFor(urlEqualTo("/items/1"))))
        .extracting(r -> r.getBodyAsString()).containsExactly("v2", "v2");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void a404IsAnAnswerNotRetriedAndNotCountedAsAFailure(Mode mode) throws Exception {
    sequence("GET", "/missing", aResponse().withStatus(404).withBody("no such item"));
    Harness h = harness(exact().build());

    var response = mode.send(h, get("/missing"), BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).isEqualTo("no such item");
    assertThat(count(getRequestedFor(urlEqualTo("/missing")))).isEqualTo(1);
    var breaker = h.client.hostPolicy("GET", uri("/missing")).orElseThrow()
        .circuitBreaker().orElseThrow();
    assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
    assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void a408And429AreRetried(Mode mode) throws Exception {
    sequence("GET", "/items",
        aResponse().withStatus(408), aResponse().withStatus(429), aResponse().withStatus(200));
    Harness h = harness(exact().build());

    assertThat(mode.send(h, get("/items"), BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(3);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void transportFaultsAreRetriedForAGet(Mode mode) throws Exception {
    sequence("GET", "/items",
        aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER),
        aResponse().withFault(Fault.EMPTY_RESPONSE),
        aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE),
        aResponse().withStatus(200).withBody("items"));
    Harness h = harness(exact().maxRetries(3).build());

    var response = mode.send(h, get("/items"), BodyHandlers.ofString());

    assertThat(response.body()).isEqualTo("items");
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(4);
    // The JDK itself resends an idempotent request once when a reused connection closes before
    // any response, so one of the faults may be absorbed below the pipeline.
    assertThat(h.events(RetryScheduled.class))
        .hasSizeBetween(2, 3)
        .allSatisfy(e -> assertThat(e.cause()).isInstanceOf(IOException.class));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aMalformedChunkOnTheLastAttemptReachesTheCallerAsAnIOException(Mode mode) {
    sequence("GET", "/items", aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK));
    Harness h = harness(exact().maxRetries(1).build());

    assertThatThrownBy(() -> mode.send(h, get("/items"), BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(2);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void retryAfterInSecondsSetsTheWait(Mode mode) throws Exception {
    sequence("GET", "/items",
        aResponse().withStatus(429).withHeader("Retry-After", "3"),
        aResponse().withStatus(200));
    Harness h = harness(exact().build());

    assertThat(mode.send(h, get("/items"), BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(h.events(RetryScheduled.class)).singleElement().satisfies(e -> {
      assertThat(e.delay()).isEqualTo(Duration.ofSeconds(3));
      assertThat(((java.net.http.HttpResponse<?>) e.result()).headers().firstValue("Retry-After"))
          .hasValue("3");
    });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void retryAfterAsAnHttpDateSetsTheWait(Mode mode) throws Exception {
    Harness h = harness(exact().build());
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        h.fake.instant().plusSeconds(4).atZone(ZoneOffset.UTC));
    sequence("GET", "/items",
        aResponse().withStatus(503).withHeader("Retry-After", date),
        aResponse().withStatus(200));

    assertThat(mode.send(h, get("/items"), BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(h.retryDelays()).containsExactly(Duration.ofSeconds(4));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void retryAfterZeroWaitsOneMillisecond(Mode mode) throws Exception {
    sequence("GET", "/items",
        aResponse().withStatus(503).withHeader("Retry-After", "0"),
        aResponse().withStatus(200));
    Harness h = harness(exact().build());

    assertThat(mode.send(h, get("/items"), BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(h.retryDelays()).containsExactly(Duration.ofMillis(1));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anUnparseableRetryAfterFallsBackToTheBackoff(Mode mode) throws Exception {
    sequence("GET", "/items",
        aResponse().withStatus(503).withHeader("Retry-After", "soon-ish"),
        aResponse().withStatus(200));
    Harness h = harness(exact().build());

    assertThat(mode.send(h, get("/items"), BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(h.retryDelays()).containsExactly(Duration.ofMillis(100));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void retryAfterIsCappedByTheMaximum(Mode mode) throws Exception {
    sequence("GET", "/items",
        aResponse().withStatus(503).withHeader("Retry-After", "25"),
        aResponse().withStatus(200));
    Harness h = harness(exact().maxRetryAfter(Duration.ofSeconds(2)).build());

    assertThat(mode.send(h, get("/items"), BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(h.retryDelays()).containsExactly(Duration.ofSeconds(2));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void retryAfterPastTheTotalBudgetEndsRetriesAndReturnsTheResponseAtOnce(Mode mode)
      throws Exception {
    sequence("GET", "/items",
        aResponse().withStatus(429).withHeader("Retry-After", "60").withBody("slow down"),
        aResponse().withStatus(200));
    Harness h = harness(exact().maxRetryAfter(Duration.ofMinutes(5)).build());

    var response = mode.send(h, get("/items"), BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.body()).isEqualTo("slow down");
    assertThat(response.headers().firstValue("Retry-After")).hasValue("60");
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(1);
    assertThat(h.fake.waits()).isEmpty();
    assertThat(h.events(RetryAbandoned.class)).singleElement()
        .satisfies(e -> assertThat(e.reason()).isEqualTo(RetryAbandoned.Reason.DEADLINE));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aReplacedClassifierDecidesWhatIsRetried(Mode mode) throws Exception {
    sequence("GET", "/items", aResponse().withStatus(404), aResponse().withStatus(200));
    HttpClassifier notFoundIsTransient = new HttpClassifier() {
      @Override
      public boolean isTransientFailure(java.net.http.HttpResponse.ResponseInfo r) {
        return r.statusCode() == 404;
      }

      @Override
      public boolean isTransientFailure(Throwable t) {
        return t instanceof IOException;
      }
    };
    Harness h = new Harness(delegate, ResilientHttpClient.builder()
        .policy(exact().build()).classifier(notFoundIsTransient));

    assertThat(mode.send(h, get("/items"), BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(2);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void eachAttemptCarriesThePolicysAttemptTimeout(Mode mode)
      throws Exception {
    // A slow first answer beyond the 600 ms attempt timeout is cut and the GET tried again.
    sequence("GET", "/slow",
        aResponse().withStatus(200).withBody("late").withFixedDelay(3_000),
        aResponse().withStatus(200).withBody("quick"));
    Harness h = harness(exact().attemptTimeout(Duration.ofMillis(600)).build());

    var response = mode.send(h, get("/slow"), BodyHandlers.ofString());

    assertThat(response.body()).isEqualTo("quick");
    assertThat(h.events(RetryScheduled.class)).singleElement()
        .satisfies(e -> assertThat(e.cause())
            .isInstanceOf(java.net.http.HttpTimeoutException.class));
    List<String> methods = receivedMethods();
    assertThat(methods).containsExactly("GET", "GET");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRequestsOwnTimeoutIsKeptForEachAttempt(Mode mode) throws Exception {
    sequence("GET", "/slow",
        aResponse().withStatus(200).withBody("late").withFixedDelay(3_000),
        aResponse().withStatus(200).withBody("quick"));
    // The policy would wait 10 s; the request's own 600 ms wins.
    Harness h = harness(exact().build());
    HttpRequest request = HttpRequest.newBuilder(uri("/slow"))
        .timeout(Duration.ofMillis(600)).build();

    var response = mode.send(h, request, BodyHandlers.ofString());

    assertThat(response.body()).isEqualTo("quick");
    assertThat(h.events(RetryScheduled.class)).singleElement()
        .satisfies(e -> assertThat(e.cause())
            .isInstanceOf(java.net.http.HttpTimeoutException.class));
  }
}
