package dev.riprap.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import org.junit.jupiter.api.Test;

/** A response the caller never sees has its streamed body closed, releasing the connection. */
class DiscardedResponseTest extends WireMockSupport {

  /** A streamed body that remembers being closed. */
  static final class TrackedStream extends java.io.FilterInputStream {
    volatile boolean closed;

    TrackedStream(InputStream in) {
      super(in);
    }

    @Override
    public void close() throws IOException {
      closed = true;
      super.close();
    }
  }

  @Test
  void aStreamedBodyOfADiscardedResponseIsClosed() throws Exception {
    server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get("/big")
        .willReturn(aResponse().withStatus(200).withBody(new byte[256 * 1024])));
    HttpResponse<TrackedStream> response = delegate.send(get("/big"),
        info -> HttpResponse.BodySubscribers.mapping(
            HttpResponse.BodySubscribers.ofInputStream(), TrackedStream::new));

    Responses.closeBody(response);

    assertThat(response.body().closed).isTrue();
  }

  @Test
  void aBodyAlreadyInMemoryAndOtherResultsAreLeftAlone() throws Exception {
    server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get("/small")
        .willReturn(aResponse().withStatus(200).withBody("hello")));
    HttpResponse<String> response = delegate.send(get("/small"), BodyHandlers.ofString());

    Responses.closeBody(response);
    Responses.closeBody("not a response");
    Responses.closeBody(null);

    assertThat(response.body()).isEqualTo("hello");
  }
}
