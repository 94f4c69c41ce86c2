package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.RejectionReason;
import dev.riprap.event.CallCompleted;
import dev.riprap.event.PolicyEvent;
import dev.riprap.event.RetryAbandoned;
import dev.riprap.event.RetryScheduled;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The one retry decision: made in the core's loop with the response's body unread and the budget's
 * token taken there, so a response that is not retried reaches the caller whole in every race; and
 * a final transient failure is a failure for the breaker and the events, though the caller gets it.
 */
class RetryDecisionTest extends WireMockSupport {
  private static final int CALLS = 8;

  /** Real time, 1 ms waits: the races below are between threads, not about time. */
  private static ResilientHttpClient realTime(HttpPolicy.Builder policy, List<PolicyEvent> events) {
    ResilientHttpClient client = ResilientHttpClient.builder().delegate(delegate)
        .policy(policy.jitter(0).backoff(Duration.ofMillis(1), Duration.ofMillis(1)).build())
        .build();
    client.events().subscribe(events::add);
    return client;
  }

  /** Runs {@code CALLS} sends at once from a barrier, sync or async; returns each outcome. */
  private static List<Object> race(ResilientHttpClient client, Mode mode, Runnable alsoAtStart)
      throws Exception {
    CyclicBarrier start = new CyclicBarrier(CALLS + 1);
    List<CompletableFuture<Object>> outcomes = new ArrayList<>();
    for (int i = 0; i < CALLS; i++) {
      outcomes.add(CompletableFuture.supplyAsync(() -> {
        try {
          start.await(10, TimeUnit.SECONDS);
          return mode == Mode.SYNC
              ? client.send(get("/busy"), BodyHandlers.ofString())
              : client.sendAsync(get("/busy"), BodyHandlers.ofString()).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          return e.getCause();
        } catch (Exception e) {
          return e;
        }
      }, runner()));
    }
    start.await(10, TimeUnit.SECONDS);
    alsoAtStart.run();
    List<Object> done = new ArrayList<>();
    for (CompletableFuture<Object> f : outcomes) {
      done.add(f.get(20, TimeUnit.SECONDS));
    }
    return done;
  }

  private static java.util.concurrent.Executor runner() {
    return r -> {
      Thread t = new Thread(r, "race");
      t.setDaemon(true);
      t.start();
    };
  }

  private static int attemptsMade(List<PolicyEvent> events) {
    return events.stream().filter(CallCompleted.class::isInstance)
        .mapToInt(e -> ((CallCompleted) e).attempts()).sum();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void callsRacingForTheLastBudgetTokenEachGetTheirResponseWhole(Mode mode) throws Exception {
    sequence("GET", "/busy", aResponse().withStatus(503).withBody("busy"));
    sequence("GET", "/ok", aResponse().withStatus(200));
    List<PolicyEvent> events = new CopyOnWriteArrayList<>();
    // No reserve; each call deposits 0.01 of a token over an hour's window. 100 calls first make
    // one token; the eight racing calls add 0.08: one of them retries, once.
    ResilientHttpClient client = realTime(
        HttpPolicy.builder("race").retryBudget(0.01, 0, Duration.ofHours(1)), events);
    for (int i = 0; i < 100; i++) {
      client.send(get("/ok"), BodyHandlers.discarding());
    }
    events.clear();

    List<Object> outcomes = race(client, mode, () -> { });

    assertThat(outcomes).allSatisfy(o -> {
      assertThat(o).isInstanceOf(HttpResponse.class);
      assertThat(((HttpResponse<?>) o).statusCode()).isEqualTo(503);
      assertThat(((HttpResponse<?>) o).body()).isEqualTo("busy");
    });
    assertThat(count(getRequestedFor(urlEqualTo("/busy")))).isEqualTo(CALLS + 1);
    assertThat(events).filteredOn(RetryScheduled.class::isInstance).hasSize(1);
    assertThat(events).filteredOn(RetryAbandoned.class::isInstance).hasSize(CALLS)
        .allSatisfy(e -> assertThat(((RetryAbandoned) e).reason())
            .isEqualTo(RetryAbandoned.Reason.BUDGET_EXHAUSTED));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aDrainStartingAmongRetriesLeavesEveryResponseWholeAndEveryRequestAccounted(Mode mode)
      throws Exception {
    sequence("GET", "/busy", aResponse().withStatus(503).withBody("busy"));
    List<PolicyEvent> events = new CopyOnWriteArrayList<>();
    ResilientHttpClient client = realTime(HttpPolicy.builder("race").maxRetries(10)
        .retryBudget(1000, 1000, Duration.ofSeconds(1)).noCircuitBreaker(), events);

    List<Object> outcomes = race(client, mode, () -> {
      try {
        client.drain(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });

    assertThat(outcomes).allSatisfy(o -> {
      if (o instanceof HttpRejectedException) {
        // Not admitted: the drain began before the call did.
        assertThat(((HttpRejectedException) o).reason()).isEqualTo(RejectionReason.SHUTTING_DOWN);
      } else {
        assertThat(o).isInstanceOf(HttpResponse.class);
        assertThat(((HttpResponse<?>) o).body()).isEqualTo("busy");
      }
    });
    // Every request the server saw is an attempt of a call: none was sent after its call ended.
    assertThat(count(getRequestedFor(urlEqualTo("/busy")))).isEqualTo(attemptsMade(events));
  }

  @org.junit.jupiter.api.Test
  void aDrainDuringAnAsyncRetryWaitEndsTheCallWithThatResponseWhole() throws Exception {
    sequence("GET", "/busy", aResponse().withStatus(503).withBody("busy"));
    Harness h = new Harness(delegate, ResilientHttpClient.builder().policy(RetryTest.exact().build()));
    CompletableFuture<HttpResponse<String>> f = h.client.sendAsync(get("/busy"), BodyHandlers.ofString());
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .pollInterval(java.time.Duration.ofMillis(1))
        .until(() -> !h.events(RetryScheduled.class).isEmpty());
    assertThat(h.events(RetryScheduled.class)).hasSize(1);

    h.client.drain(Duration.ZERO);

    HttpResponse<String> response = f.get(10, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isEqualTo("busy");
    assertThat(count(getRequestedFor(urlEqualTo("/busy")))).isEqualTo(1);
    assertThat(h.events(RetryAbandoned.class)).singleElement()
        .satisfies(e -> assertThat(e.reason()).isEqualTo(RetryAbandoned.Reason.DRAINING));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFinal503IsAFailureForTheBreakerAndTheEventsWhileTheCallerGetsIt(Mode mode)
      throws Exception {
    sequence("GET", "/busy", aResponse().withStatus(503).withBody("busy"));
    Harness h = new Harness(delegate,
        ResilientHttpClient.builder().policy(RetryTest.exact().maxRetries(1).build()));

    HttpResponse<String> response = mode.send(h, get("/busy"), BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isEqualTo("busy");
    assertThat(h.events(CallCompleted.class)).singleElement().satisfies(e -> {
      assertThat(e.outcome()).isEqualTo(CallCompleted.Outcome.FAILURE);
      assertThat(e.attempts()).isEqualTo(2);
    });
    var breaker = h.client.hostPolicy("GET", uri("/busy")).orElseThrow()
        .circuitBreaker().orElseThrow();
    assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(2);
    assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isZero();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anAnswerIsASuccessInTheEvents(Mode mode) throws Exception {
    sequence("GET", "/missing", aResponse().withStatus(404).withBody("no"));
    Harness h = new Harness(delegate, ResilientHttpClient.builder().policy(RetryTest.exact().build()));

    assertThat(mode.send(h, get("/missing"), BodyHandlers.ofString()).body()).isEqualTo("no");
    assertThat(h.events(CallCompleted.class)).singleElement()
        .satisfies(e -> assertThat(e.outcome()).isEqualTo(CallCompleted.Outcome.SUCCESS));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aClassifierThatThrowsEndsTheCallWithItsException(Mode mode) {
    sequence("GET", "/items", aResponse().withStatus(200).withBody("ok"));
    IllegalStateException bug = new IllegalStateException("classifier bug");
    HttpClassifier broken = new HttpClassifier() {
      @Override
      public boolean isTransientFailure(HttpResponse.ResponseInfo response) {
        throw bug;
      }

      @Override
      public boolean isTransientFailure(Throwable failure) {
        return failure instanceof IOException;
      }
    };
    Harness h = new Harness(delegate,
        ResilientHttpClient.builder().policy(RetryTest.exact().build()).classifier(broken));

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> mode.send(h, get("/items"), BodyHandlers.ofString()))
        .isSameAs(bug);
    assertThat(count(getRequestedFor(urlEqualTo("/items")))).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRetried503sBodyWithinTheBoundIsDrainedAndABiggerOneGivesItsConnectionUp(Mode mode)
      throws Exception {
    try (Upstream upstream = new Upstream((n, e) -> n == 1
        ? new Upstream.Answer(503, "x".repeat(256 * 1024)) : new Upstream.Answer(200, "ok"))) {
      Harness h = new Harness(delegate, ResilientHttpClient.builder()
          .policy(RetryTest.exact().build()).maxDrainBytes(1024));

      var response = mode.send(h, HttpRequest.newBuilder(upstream.uri("/big")).build(),
          BodyHandlers.ofString());

      assertThat(response.body()).isEqualTo("ok");
      assertThat(upstream.requests.get()).isEqualTo(2);
      // 256 KiB is past the 1 KiB bound: not read, its connection closed, the retry on a new one.
      assertThat(upstream.clientPorts).hasSize(2);
    }
  }
}
