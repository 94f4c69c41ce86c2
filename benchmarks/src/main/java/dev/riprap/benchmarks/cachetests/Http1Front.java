package dev.riprap.benchmarks.cachetests;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The proxy's side facing the suite's client: a small HTTP/1.1 server on 127.0.0.1 that hands
 * each request, body read, to a {@link Handler} and writes its {@link Response} with the fields
 * exactly as given. Not the JDK {@code HttpServer}: that one writes its own {@code Date} on every
 * response, and a cache must relay the stored {@code Date} (the suite's {@code other-date-update}
 * tests). Persistent connections, {@code Content-Length} and chunked request bodies; one thread
 * per connection; an idle connection is closed after {@link #IDLE_MILLIS}.
 */
final class Http1Front implements AutoCloseable {
  /** A field, name as received. */
  record Field(String name, String value) {}

  /** A request, its body read whole. */
  record Request(String method, String target, List<Field> fields, byte[] body) {}

  /**
   * A response. {@code Content-Length} is written from {@code body} except where a response has
   * no body (1xx, 204, 304, an answer to HEAD): then the fields say it, as the origin did.
   */
  record Response(int status, List<Field> fields, byte[] body) {}

  /** Answers one request; a {@link RuntimeException} becomes a 500. */
  @FunctionalInterface
  interface Handler {
    Response handle(Request request);
  }

  /** How long a connection may wait for its next request: longer than the suite's pauses. */
  static final int IDLE_MILLIS = 60_000;

  /** Caps on what one request may hold, so a broken client cannot exhaust the heap. */
  private static final int MAX_LINE = 64 * 1024;

  private static final int MAX_FIELDS = 256;
  private static final int MAX_BODY = 64 * 1024 * 1024;

  private static final Map<Integer, String> REASONS =
      Map.ofEntries(
          Map.entry(200, "OK"), Map.entry(201, "Created"), Map.entry(204, "No Content"),
          Map.entry(206, "Partial Content"), Map.entry(301, "Moved Permanently"),
          Map.entry(302, "Found"), Map.entry(304, "Not Modified"), Map.entry(400, "Bad Request"),
          Map.entry(404, "Not Found"), Map.entry(413, "Content Too Large"),
          Map.entry(500, "Internal Server Error"), Map.entry(502, "Bad Gateway"),
          Map.entry(503, "Service Unavailable"));

  private final ServerSocket socket;
  private final ExecutorService threads;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Handler handler;

  /**
   * Listens on 127.0.0.1.
   *
   * @param port the port, 0 for a free one
   * @param handler answers each request
   * @throws IOException if the port cannot be bound
   */
  Http1Front(int port, Handler handler) throws IOException {
    this.handler = handler;
    socket = new ServerSocket();
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
    threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "cache-test-proxy");
              t.setDaemon(true);
              return t;
            });
    threads.execute(this::accept);
  }

  /** The port listened on. */
  int port() {
    return socket.getLocalPort();
  }

  private void accept() {
    while (!socket.isClosed()) {
      try {
        Socket s = socket.accept();
        open.add(s);
        threads.execute(() -> serve(s));
      } catch (IOException e) {
        if (!socket.isClosed()) {
          System.err.println("cache-test-proxy: accept failed: " + e);
        }
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      s.setSoTimeout(IDLE_MILLIS);
      s.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(s.getInputStream());
      OutputStream out = new BufferedOutputStream(s.getOutputStream());
      boolean more = true;
      while (more) {
        String line = readLine(in);
        if (line == null) {
          return; // the client closed between requests
        }
        if (line.isEmpty()) {
          continue; // RFC 9112 section 2.2: ignore an empty line before a request line
        }
        Request request;
        boolean keepAlive;
        try {
          String[] parts = line.split(" ", -1);
          if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
            throw new BadRequest(400, "bad request line: " + line);
          }
          List<Field> fields = readFields(in);
          keepAlive = parts[2].equals("HTTP/1.1") && !hasToken(fields, "connection", "close");
          if (hasToken(fields, "expect", "100-continue")) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
          }
          request = new Request(parts[0], parts[1], fields, readBody(in, fields));
        } catch (BadRequest e) {
          byte[] text = (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
          write(out, "GET", new Response(e.status, List.of(), text), false);
          return;
        }
        Response response;
        try {
          response = handler.handle(request);
        } catch (RuntimeException e) {
          byte[] text = (e + "\n").getBytes(StandardCharsets.UTF_8);
          response = new Response(500, List.of(), text);
        }
        write(out, request.method(), response, keepAlive);
        more = keepAlive;
      }
    } catch (SocketTimeoutException | SocketException e) {
      // idle too long, or the client went away: nothing to answer
    } catch (IOException e) {
      System.err.println("cache-test-proxy: connection failed: " + e);
    } finally {
      open.remove(s);
    }
  }

  private static void write(OutputStream out, String method, Response r, boolean keepAlive)
      throws IOException {
    StringBuilder head = new StringBuilder(256);
    head.append("HTTP/1.1 ").append(r.status()).append(' ')
        .append(REASONS.getOrDefault(r.status(), "")).append("\r\n");
    for (Field f : r.fields()) {
      head.append(f.name()).append(": ").append(f.value()).append("\r\n");
    }
    boolean bodiless =
        method.equals("HEAD") || r.status() < 200 || r.status() == 204 || r.status() == 304;
    if (!bodiless) {
      head.append("Content-Length: ").append(r.body().length).append("\r\n");
    }
    if (!keepAlive) {
      head.append("Connection: close\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (!bodiless) {
      out.write(r.body());
    }
    out.flush();
  }

  /** A request this server refuses, with the status to answer. */
  private static final class BadRequest extends IOException {
    private static final long serialVersionUID = 1L;
    final int status;

    BadRequest(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private static List<Field> readFields(InputStream in) throws IOException {
    List<Field> fields = new ArrayList<>();
    for (String line = readLine(in); ; line = readLine(in)) {
      if (line == null) {
        throw new BadRequest(400, "connection closed in the header section");
      }
      if (line.isEmpty()) {
        return fields;
      }
      if (fields.size() == MAX_FIELDS) {
        throw new BadRequest(400, "more than " + MAX_FIELDS + " header fields");
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        throw new BadRequest(400, "bad header line: " + line);
      }
      fields.add(new Field(line.substring(0, colon), line.substring(colon + 1).strip()));
    }
  }

  private static byte[] readBody(InputStream in, List<Field> fields) throws IOException {
    Optional<String> coding = last(fields, "transfer-encoding");
    if (coding.isPresent()) {
      if (!coding.get().toLowerCase(Locale.ROOT).endsWith("chunked")) {
        throw new BadRequest(400, "a request body must end with the chunked coding");
      }
      return readChunked(in);
    }
    List<String> lengths =
        fields.stream()
            .filter(f -> f.name().equalsIgnoreCase("content-length"))
            .map(Field::value)
            .distinct()
            .toList();
    if (lengths.isEmpty()) {
      return new byte[0];
    }
    if (lengths.size() > 1) {
      throw new BadRequest(400, "conflicting Content-Length: " + lengths);
    }
    long length;
    try {
      length = Long.parseLong(lengths.get(0));
    } catch (NumberFormatException e) {
      throw new BadRequest(400, "bad Content-Length: " + lengths.get(0));
    }
    if (length < 0 || length > MAX_BODY) {
      throw new BadRequest(413, "Content-Length must be 0 to " + MAX_BODY + ", was " + length);
    }
    return readExactly(in, (int) length);
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String line = readLine(in);
      if (line == null) {
        throw new BadRequest(400, "connection closed in a chunked body");
      }
      int ext = line.indexOf(';');
      String hex = (ext < 0 ? line : line.substring(0, ext)).strip();
      int size;
      try {
        size = Integer.parseInt(hex, 16);
      } catch (NumberFormatException e) {
        throw new BadRequest(400, "bad chunk size: " + line);
      }
      if (size < 0 || body.size() + (long) size > MAX_BODY) {
        throw new BadRequest(413, "a chunked body above " + MAX_BODY + " bytes");
      }
      if (size == 0) {
        readFields(in); // trailer section, dropped
        return body.toByteArray();
      }
      body.write(readExactly(in, size));
      if (!"".equals(readLine(in))) {
        throw new BadRequest(400, "a chunk not followed by CRLF");
      }
    }
  }

  private static byte[] readExactly(InputStream in, int n) throws IOException {
    byte[] bytes = in.readNBytes(n);
    if (bytes.length != n) {
      throw new BadRequest(400, "body ended after " + bytes.length + " of " + n + " bytes");
    }
    return bytes;
  }

  /** A line without its CRLF (or bare LF), or null at the end of the stream before any byte. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) {
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
      }
      if (line.size() == MAX_LINE) {
        throw new BadRequest(400, "a line longer than " + MAX_LINE + " bytes");
      }
      line.write(b);
    }
    int n = line.size();
    byte[] bytes = line.toByteArray();
    return new String(bytes, 0, n > 0 && bytes[n - 1] == '\r' ? n - 1 : n,
        StandardCharsets.ISO_8859_1);
  }

  private static Optional<String> last(List<Field> fields, String name) {
    Optional<String> found = Optional.empty();
    for (Field f : fields) {
      if (f.name().equalsIgnoreCase(name)) {
        found = Optional.of(f.value());
      }
    }
    return found;
  }

  private static boolean hasToken(List<Field> fields, String name, String token) {
    for (Field f : fields) {
      if (f.name().equalsIgnoreCase(name)) {
        for (String t : f.value().split(",")) {
          if (t.strip().equalsIgnoreCase(token)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** Stops listening, closes every connection (exchanges in flight end) and the threads. */
  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing: nothing more to do
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException e) {
        // closing
      }
    }
    threads.shutdownNow();
  }
}
