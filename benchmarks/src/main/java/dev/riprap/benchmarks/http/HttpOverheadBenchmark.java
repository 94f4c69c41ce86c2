package dev.riprap.benchmarks.http;

import dev.riprap.http.ResilientHttpClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What {@code ResilientHttpClient.standard()} adds to each request, measured around a client that
 * answers at once ({@link StubHttpClient}: no network, no server, no JDK client threads): the
 * {@code stub} rows are the floor (the caller's body handler reading 64 bytes), the {@code riprap}
 * rows that plus everything Riprap does per request, sync and async. Run with {@code -prof gc}:
 * the bytes per request do not depend on the machine's load.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HttpOverheadBenchmark {
  private final HttpResponse.BodyHandler<byte[]> bytes = HttpResponse.BodyHandlers.ofByteArray();
  private HttpClient stub;
  private ResilientHttpClient riprap;
  private HttpRequest request;

  /** Builds the clients and the request (with a 10 s timeout, as the loopback benchmark's). */
  @Setup
  public void setUp() {
    byte[] body = new byte[64];
    Arrays.fill(body, (byte) 'x');
    stub = new StubHttpClient(body);
    riprap = ResilientHttpClient.builder().delegate(stub).build();
    request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:8080/64"))
        .timeout(Duration.ofSeconds(10)).GET().build();
  }

  /**
   * The stub alone, sync.
   *
   * @return the response
   * @throws IOException never
   * @throws InterruptedException never
   */
  @Benchmark
  public HttpResponse<byte[]> stubSend() throws IOException, InterruptedException {
    return stub.send(request, bytes);
  }

  /**
   * Riprap around the stub, sync.
   *
   * @return the response
   * @throws IOException never
   * @throws InterruptedException never
   */
  @Benchmark
  public HttpResponse<byte[]> riprapSend() throws IOException, InterruptedException {
    return riprap.send(request, bytes);
  }

  /**
   * The stub alone, async.
   *
   * @return the response
   */
  @Benchmark
  public HttpResponse<byte[]> stubSendAsync() {
    return stub.sendAsync(request, bytes).join();
  }

  /**
   * Riprap around the stub, async.
   *
   * @return the response
   */
  @Benchmark
  public HttpResponse<byte[]> riprapSendAsync() {
    return riprap.sendAsync(request, bytes).join();
  }
}
