package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.riprap.event.RetryScheduled;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A body Riprap cannot replay is never sent twice: the caller gets the upstream's answer to the
 * one request that carried it. A body that fails to produce its bytes is the caller's failure.
 */
class RequestBodyTest extends WireMockSupport {
  private static final String PAYMENT = "{\"amount\":5}";

  private static HttpRequest keyedPost(HttpRequest.BodyPublisher body) {
    return HttpRequest.newBuilder(uri("/payments"))
        .header("Idempotency-Key", "k-1")
        .POST(body)
        .build();
  }

  private static InputStream payment() {
    return new ByteArrayInputStream(PAYMENT.getBytes(StandardCharsets.UTF_8));
  }

  private void answer503Then200() {
    sequence("POST", "/payments",
        aResponse().withStatus(503).withBody("busy"), aResponse().withStatus(200).withBody("ok"));
  }

  private void assertOneRequestCarryingTheWholeBody() {
    assertThat(received(postRequestedFor(urlEqualTo("/payments"))))
        .extracting(LoggedRequest::getBodyAsString)
        .containsExactly(PAYMENT);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anInputStreamBodyIsSentOnceAndTheCallerGetsTheUpstreams503(Mode mode) throws Exception {
    answer503Then200();
    InputStream same = payment();
    Harness h = RetryTest.harness(RetryTest.exact().build());

    var response = mode.send(h, keyedPost(BodyPublishers.ofInputStream(() -> same)),
        BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isEqualTo("busy");
    assertOneRequestCarryingTheWholeBody();
    assertThat(h.events(RetryScheduled.class)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aSupplierThatReturnsNullOnRepeatIsNeverAskedTwice(Mode mode) throws Exception {
    answer503Then200();
    AtomicInteger asked = new AtomicInteger();
    Supplier<InputStream> once = () -> asked.getAndIncrement() == 0 ? payment() : null;
    Harness h = RetryTest.harness(RetryTest.exact().build());

    var response = mode.send(h, keyedPost(BodyPublishers.ofInputStream(once)),
        BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isEqualTo("busy");
    assertThat(asked).hasValue(1);
    assertOneRequestCarryingTheWholeBody();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aPublisherThatRefusesASecondSubscriptionIsSubscribedOnce(Mode mode) throws Exception {
    answer503Then200();
    Harness h = RetryTest.harness(RetryTest.exact().build());

    var response = mode.send(h, keyedPost(BodyPublishers.fromPublisher(new OneShot())),
        BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isEqualTo("busy");
    assertOneRequestCarryingTheWholeBody();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aBodyThatFailsIsTheCallersFailureNeverRetriedNorCountedByTheBreaker(Mode mode) {
    answer503Then200();
    Harness h = RetryTest.harness(RetryTest.exact().build());

    assertThatThrownBy(() -> mode.send(h, keyedPost(BodyPublishers.ofInputStream(() -> null)),
            BodyHandlers.ofString()))
        .isInstanceOf(HttpRequestBodyException.class)
        .hasMessageStartingWith("POST " + uri("/payments") + ": the request body failed");
    assertThat(h.events(RetryScheduled.class)).isEmpty();
    var breaker = h.client.hostPolicy("POST", uri("/payments")).orElseThrow()
        .circuitBreaker().orElseThrow();
    assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
    assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isZero();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aByteArrayBodyIsReplayedWhole(Mode mode) throws Exception {
    answer503Then200();
    Harness h = RetryTest.harness(RetryTest.exact().build());

    var response = mode.send(h,
        keyedPost(BodyPublishers.ofByteArray(PAYMENT.getBytes(StandardCharsets.UTF_8))),
        BodyHandlers.ofString());

    assertThat(response.body()).isEqualTo("ok");
    assertThat(received(postRequestedFor(urlEqualTo("/payments"))))
        .extracting(LoggedRequest::getBodyAsString)
        .containsExactly(PAYMENT, PAYMENT);
  }

  /** A publisher of the payment that fails a second subscriber, as one-shot sources do. */
  private static final class OneShot implements Flow.Publisher<ByteBuffer> {
    private final AtomicBoolean used = new AtomicBoolean();

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
      if (used.getAndSet(true)) {
        subscriber.onSubscribe(new Flow.Subscription() {
          @Override
          public void request(long n) {}

          @Override
          public void cancel() {}
        });
        subscriber.onError(new IllegalStateException("already subscribed"));
        return;
      }
      subscriber.onSubscribe(new Flow.Subscription() {
        private boolean done;

        @Override
        public void request(long n) {
          if (!done) {
            done = true;
            subscriber.onNext(ByteBuffer.wrap(PAYMENT.getBytes(StandardCharsets.UTF_8)));
            subscriber.onComplete();
          }
        }

        @Override
        public void cancel() {
          done = true;
        }
      });
    }
  }
}
