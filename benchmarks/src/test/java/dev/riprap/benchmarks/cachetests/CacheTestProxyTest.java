package dev.riprap.benchmarks.cachetests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.benchmarks.cachetests.Http1Front.Field;
import dev.riprap.benchmarks.cachetests.Http1Front.Request;
import dev.riprap.benchmarks.cachetests.Http1Front.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cache-tests harness relays what a reverse proxy relays, checked with raw HTTP/1.1 on
 * 127.0.0.1: the origin is an {@link Http1Front} too, so it can send any field (a {@code Date} of
 * its own included) and the test sees the requests exactly as forwarded.
 */
class CacheTestProxyTest {
  private static final String ORIGIN_DATE = "Tue, 01 Jan 2030 00:00:00 GMT";

  private final BlockingQueue<Request> forwarded = new LinkedBlockingQueue<>();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  @Test
  void forwardsMethodTargetBodyAndEndToEndFieldsButNoHopByHopFieldsNorThoseConnectionNames()
      throws Exception {
    CacheTestProxy proxy = proxy(-1, r -> answer(200, "ok"));

    String response =
        send(proxy, "PUT /config/a%20b?x=1&y=2 HTTP/1.1\r\nHost: example\r\n"
            + "Connection: close, X-Hop\r\nX-Hop: dropped\r\nKeep-Alive: timeout=5\r\n"
            + "TE: trailers\r\nProxy-Authorization: secret\r\nX-End: kept\r\nX-End: twice\r\n"
            + "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");

    assertThat(response).startsWith("HTTP/1.1 200 ");
    Request seen = forwarded.poll(10, TimeUnit.SECONDS);
    assertThat(seen).isNotNull();
    assertThat(seen.method()).isEqualTo("PUT");
    assertThat(seen.target()).isEqualTo("/config/a%20b?x=1&y=2");
    assertThat(new String(seen.body(), StandardCharsets.UTF_8)).isEqualTo("hello");
    assertThat(values(seen.fields(), "x-end")).containsExactly("kept", "twice");
    assertThat(values(seen.fields(), "content-type")).containsExactly("text/plain");
    assertThat(names(seen.fields()))
        .doesNotContain("x-hop", "keep-alive", "te", "proxy-authorization");
  }

  @Test
  void relaysStatusFieldsAndBodyAsTheOriginSentThemItsDateIncludedButNotItsHopByHopFields()
      throws Exception {
    CacheTestProxy proxy =
        proxy(
            -1,
            r ->
                new Response(
                    299,
                    List.of(
                        new Field("Date", ORIGIN_DATE),
                        new Field("Cache-Control", "max-age=1"),
                        new Field("Cache-Control", "must-revalidate"),
                        new Field("Connection", "X-Private"),
                        new Field("X-Private", "dropped"),
                        new Field("Upgrade", "h2c"),
                        new Field("X-Kept", "yes")),
                    "the body".getBytes(StandardCharsets.UTF_8)));

    Raw raw = Raw.parse(send(proxy, "GET /test/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));

    assertThat(raw.status).isEqualTo(299);
    assertThat(raw.values("date")).containsExactly(ORIGIN_DATE);
    assertThat(raw.values("cache-control")).containsExactly("max-age=1", "must-revalidate");
    assertThat(raw.values("x-kept")).containsExactly("yes");
    assertThat(raw.values("x-private")).isEmpty();
    assertThat(raw.values("upgrade")).isEmpty();
    assertThat(raw.values("content-length")).containsExactly("8");
    assertThat(raw.body).isEqualTo("the body");
  }

  @Test
  void relaysTheOriginsContentLengthAndNoBodyForHeadAndFor304() throws Exception {
    CacheTestProxy proxy =
        proxy(
            -1,
            r ->
                new Response(
                    r.target().equals("/not-modified") ? 304 : 200,
                    List.of(new Field("Content-Length", "5"), new Field("ETag", "\"a\"")),
                    new byte[0]));

    Raw head = Raw.parse(send(proxy, "HEAD /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    Raw notModified =
        Raw.parse(send(proxy, "GET /not-modified HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));

    assertThat(head.status).isEqualTo(200);
    assertThat(head.values("content-length")).containsExactly("5");
    assertThat(head.body).isEmpty();
    assertThat(notModified.status).isEqualTo(304);
    assertThat(notModified.values("etag")).containsExactly("\"a\"");
    assertThat(notModified.body).isEmpty();
  }

  @Test
  void decodesAChunkedRequestBodyBeforeForwardingIt() throws Exception {
    CacheTestProxy proxy = proxy(-1, r -> answer(201, "made"));

    String response =
        send(proxy, "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            + "Connection: close\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");

    assertThat(Raw.parse(response).status).isEqualTo(201);
    Request seen = forwarded.poll(10, TimeUnit.SECONDS);
    assertThat(new String(seen.body(), StandardCharsets.UTF_8)).isEqualTo("hello world");
    assertThat(names(seen.fields())).doesNotContain("transfer-encoding", "x-trailer");
  }

  @Test
  void answersTwoRequestsOnOnePersistentConnection() throws Exception {
    CacheTestProxy proxy = proxy(-1, r -> answer(200, r.target()));

    String both =
        send(proxy, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    assertThat(both).containsSubsequence("HTTP/1.1 200 ", "/one", "HTTP/1.1 200 ", "/two");
  }

  @Test
  void withTheCacheOnAFreshResponseIsServedFromTheStoreWithTheStoredDateAndAnAge()
      throws Exception {
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC));
    CacheTestProxy proxy =
        proxy(
            1 << 20,
            r ->
                new Response(
                    200,
                    List.of(new Field("Date", date), new Field("Cache-Control", "max-age=3600")),
                    "stored".getBytes(StandardCharsets.UTF_8)));
    String get = "GET /fresh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    Raw first = Raw.parse(send(proxy, get));
    Raw second = Raw.parse(send(proxy, get));

    assertThat(forwarded).hasSize(1);
    assertThat(second.body).isEqualTo("stored");
    assertThat(second.values("date")).containsExactly(date);
    assertThat(first.body).isEqualTo("stored");
    assertThat(second.values("age")).hasSize(1);
  }

  @Test
  void withATargetedFieldTheCacheFollowsItOverCacheControl() throws Exception {
    CacheTestProxy proxy =
        proxy(
            1 << 20,
            List.of("CDN-Cache-Control"),
            r ->
                new Response(
                    200,
                    List.of(
                        new Field("Cache-Control", "no-store"),
                        new Field("CDN-Cache-Control", "max-age=3600")),
                    "for the CDN".getBytes(StandardCharsets.UTF_8)));
    String get = "GET /targeted HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    send(proxy, get);
    Raw second = Raw.parse(send(proxy, get));

    assertThat(forwarded).hasSize(1);
    assertThat(second.body).isEqualTo("for the CDN");
  }

  @Test
  void answers502NamingTheFailureWhenTheOriginRefusesTheConnection() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    CacheTestProxy proxy =
        new CacheTestProxy(
            0, URI.create("http://127.0.0.1:" + closedPort), CacheTestProxy.client(-1, List.of()));
    closing.add(proxy);

    Raw raw = Raw.parse(send(proxy, "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));

    assertThat(raw.status).isEqualTo(502);
    assertThat(raw.body).contains("ConnectException");
  }

  @Test
  void refusesAMalformedRequestLineWith400AndClosesTheConnection() throws Exception {
    CacheTestProxy proxy = proxy(-1, r -> answer(200, "never"));

    Raw raw = Raw.parse(send(proxy, "NONSENSE\r\n\r\n"));

    assertThat(raw.status).isEqualTo(400);
    assertThat(raw.body).contains("bad request line: NONSENSE");
    assertThat(forwarded).isEmpty();
  }

  @Test
  void refusesAnOriginWithAPath() {
    assertThatThrownBy(
            () -> new CacheTestProxy(0, URI.create("http://127.0.0.1:1/base"), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "origin must be http://host[:port] with no path, query or fragment, was "
                + "http://127.0.0.1:1/base");
  }

  // ------------------------------------------------------------------ fixtures

  private CacheTestProxy proxy(long cacheBytes, Function<Request, Response> origin)
      throws IOException {
    return proxy(cacheBytes, List.of(), origin);
  }

  private CacheTestProxy proxy(
      long cacheBytes, List<String> targeted, Function<Request, Response> origin)
      throws IOException {
    Http1Front server =
        new Http1Front(
            0,
            r -> {
              forwarded.add(r);
              return origin.apply(r);
            });
    closing.add(server);
    CacheTestProxy proxy =
        new CacheTestProxy(
            0, URI.create("http://127.0.0.1:" + server.port()), CacheTestProxy.client(cacheBytes, targeted));
    closing.add(0, proxy);
    return proxy;
  }

  private static Response answer(int status, String body) {
    return new Response(status, List.of(), body.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes {@code request} as it is and reads until the proxy closes the connection. */
  private static String send(CacheTestProxy proxy, String request) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.uri().getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      return all.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private static List<String> values(List<Field> fields, String name) {
    return fields.stream().filter(f -> f.name().equalsIgnoreCase(name)).map(Field::value).toList();
  }

  private static List<String> names(List<Field> fields) {
    return fields.stream().map(f -> f.name().toLowerCase(Locale.ROOT)).toList();
  }

  /** One response as written on the wire. */
  private record Raw(int status, List<Field> fields, String body) {
    static Raw parse(String wire) {
      int end = wire.indexOf("\r\n\r\n");
      String[] lines = wire.substring(0, end).split("\r\n");
      List<Field> fields = new ArrayList<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        fields.add(new Field(lines[i].substring(0, colon), lines[i].substring(colon + 1).strip()));
      }
      return new Raw(Integer.parseInt(lines[0].split(" ")[1]), fields, wire.substring(end + 4));
    }

    List<String> values(String name) {
      return CacheTestProxyTest.values(fields, name);
    }
  }
}
