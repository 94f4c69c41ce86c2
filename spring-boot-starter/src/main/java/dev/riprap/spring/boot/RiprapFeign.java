package dev.riprap.spring.boot;

import dev.riprap.http.ResilientHttpClient;
import feign.Client;
import feign.Feign;
import feign.Request;
import feign.Response;
import feign.Retryer;
import feign.http2client.Http2Client;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Feign on a {@link ResilientHttpClient}, set up so that Feign cannot go around it.
 *
 * <p>feign-java11's {@link Http2Client} compares its client's redirect policy and connect timeout
 * with the {@link Request.Options} of each call and, when they differ (a client without a connect
 * timeout always differs), quietly sends through a plain {@code HttpClient} of its own: no retries,
 * no breaker, no drain. And Feign's default {@link Retryer} retries on top of Riprap's retries,
 * multiplying the attempts. {@link #builder(ResilientHttpClient)} sets all three:
 *
 * <pre>{@code
 * Inventory inventory = RiprapFeign.builder(resilientHttpClient)
 *     .target(Inventory.class, "http://inventory:8080");
 * }</pre>
 *
 * <ul>
 *   <li>the client: an {@code Http2Client} on {@code client}, whose options are aligned with it on
 *       every call ({@link #client(ResilientHttpClient)}): the connect timeout and redirect flag of
 *       any {@code Request.Options} are replaced by the client's, since one JDK client has one
 *       connect timeout; the read timeout is kept;
 *   <li>the options ({@link #options(ResilientHttpClient)}): the client's connect timeout and
 *       redirects, and the default policy's attempt timeout as Feign's read timeout. Feign sets its
 *       read timeout as each request's timeout, which Riprap keeps as the timeout of each attempt
 *       in place of the policy's (routes with another attempt timeout get Feign's); the total
 *       timeout still bounds the call;
 *   <li>{@link Retryer#NEVER_RETRY}: Riprap's retries are the only ones. A call that still fails
 *       ends as Feign's exception for the last response or failure.
 * </ul>
 */
public final class RiprapFeign {
  private RiprapFeign() {}

  /**
   * A Feign builder sending through {@code client}, with aligned options and no Feign retries.
   *
   * @param client the client; its delegate must have a connect timeout of at most {@link
   *     Integer#MAX_VALUE} ms
   * @return a new builder
   * @throws IllegalArgumentException if the client has no connect timeout, or one Feign cannot
   *     express
   */
  public static Feign.Builder builder(ResilientHttpClient client) {
    return Feign.builder()
        .client(client(client))
        .options(options(client))
        .retryer(Retryer.NEVER_RETRY);
  }

  /**
   * Feign options that {@code Http2Client} finds equal to {@code client}'s settings: its connect
   * timeout, {@code followRedirects} true only for {@code Redirect.ALWAYS} (Feign's test), and the
   * default policy's attempt timeout as the read timeout (at most {@link Integer#MAX_VALUE} ms).
   *
   * @param client the client
   * @return the options
   * @throws IllegalArgumentException as {@link #builder(ResilientHttpClient)}
   */
  public static Request.Options options(ResilientHttpClient client) {
    Objects.requireNonNull(client, "client");
    return new Request.Options(
        connectMillis(client),
        TimeUnit.MILLISECONDS,
        saturatedMillis(client.policy().attemptTimeout()),
        TimeUnit.MILLISECONDS,
        client.followRedirects() == HttpClient.Redirect.ALWAYS);
  }

  /**
   * A Feign client on {@code client} that cannot bypass it: each call's options are aligned with
   * the client before {@code Http2Client} compares them, keeping only their read timeout.
   *
   * @param client the client
   * @return the Feign client
   * @throws IllegalArgumentException as {@link #builder(ResilientHttpClient)}
   */
  public static Client client(ResilientHttpClient client) {
    Objects.requireNonNull(client, "client");
    return new AlignedClient(
        new Http2Client(client),
        connectMillis(client),
        client.followRedirects() == HttpClient.Redirect.ALWAYS);
  }

  private static int connectMillis(HttpClient client) {
    Duration connect =
        client
            .connectTimeout()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "client: Feign's Http2Client sends around a client without a connect"
                            + " timeout (through a plain HttpClient of its own); give the"
                            + " ResilientHttpClient a delegate with one, such as"
                            + " HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)), was"
                            + " "
                            + client));
    long millis = millis(connect);
    if (millis > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "client: expected a connect timeout of at most "
              + Integer.MAX_VALUE
              + " ms (Feign counts it in an int), was "
              + connect);
    }
    return (int) millis;
  }

  private static int saturatedMillis(Duration d) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1, millis(d)));
  }

  /** A duration in milliseconds; one too long for a long saturates instead of overflowing. */
  private static long millis(Duration d) {
    try {
      return d.toMillis();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  /** Http2Client with each call's options aligned with the client. */
  private static final class AlignedClient implements Client {
    private final Http2Client delegate;
    private final int connectMillis;
    private final boolean followRedirects;

    AlignedClient(Http2Client delegate, int connectMillis, boolean followRedirects) {
      this.delegate = delegate;
      this.connectMillis = connectMillis;
      this.followRedirects = followRedirects;
    }

    @Override
    public Response execute(Request request, Request.Options options) throws IOException {
      Request.Options aligned =
          options.connectTimeoutMillis() == connectMillis
                  && options.isFollowRedirects() == followRedirects
              ? options
              : new Request.Options(
                  connectMillis,
                  TimeUnit.MILLISECONDS,
                  options.readTimeoutMillis(),
                  TimeUnit.MILLISECONDS,
                  followRedirects);
      return delegate.execute(request, aligned);
    }

    @Override
    public String toString() {
      return "RiprapFeign.client(connectTimeout=" + connectMillis + "ms)";
    }
  }
}
