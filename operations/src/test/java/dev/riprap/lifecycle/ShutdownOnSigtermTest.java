package dev.riprap.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** A real JVM receives SIGTERM while serving slow requests: all of them get their full response. */
class ShutdownOnSigtermTest {
  private static final int REQUESTS = 3;

  @Test
  @EnabledOnOs({OS.LINUX, OS.MAC}) // ProcessHandle.destroy() sends SIGTERM there
  void everyRequestInFlightAtSigtermGetsItsFullResponseAndTheJvmExitsWithinTheDeadline()
      throws Exception {
    String classpath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child =
        new ProcessBuilder(
                java.toString(),
                "-cp",
                classpath,
                "-Dsun.net.httpserver.nodelay=true",
                SlowServiceMain.class.getName())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                }
              } catch (java.io.IOException e) {
                lines.add("read failed: " + e);
              }
            },
            "child-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      String portLine = lines.poll(30, TimeUnit.SECONDS);
      assertThat(portLine).startsWith("port ");
      URI slow = URI.create("http://127.0.0.1:" + portLine.substring(5) + "/slow");
      HttpClient client = HttpClient.newHttpClient();
      List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
      for (int i = 0; i < REQUESTS; i++) {
        inFlight.add(
            client.sendAsync(
                HttpRequest.newBuilder(slow).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      for (int i = 0; i < REQUESTS; i++) {
        assertThat(lines.poll(30, TimeUnit.SECONDS)).isEqualTo("accepted");
      }

      // SIGTERM. Through the handle: Process.destroy() also closes our end of the child's stdout,
      // and we still want to read how its shutdown went.
      assertThat(child.toHandle().destroy()).isTrue();

      String full = SlowServiceMain.CHUNK.repeat(SlowServiceMain.CHUNKS);
      for (CompletableFuture<HttpResponse<String>> f : inFlight) {
        HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).hasSize(full.length()).isEqualTo(full);
      }
      assertThat(child.waitFor(10, TimeUnit.SECONDS))
          .as("the child exits within its 5 s deadline plus the hard-bound grace")
          .isTrue();
      assertThat(child.exitValue()).isEqualTo(143); // 128 + SIGTERM
      reader.join(10_000);
      assertThat(lines)
          .containsExactly(
              "shutdown clean inbound DrainReport[inFlightAtStart=3, completed=3, retriesCutShort=0,"
                  + " stillRunning=0, took=" + extractTook(lines) + "]");
    } finally {
      child.destroyForcibly();
    }
  }

  private static String extractTook(BlockingQueue<String> lines) {
    String line = lines.peek();
    if (line == null || !line.contains("took=")) {
      return "<missing>";
    }
    return line.substring(line.indexOf("took=") + 5, line.length() - 1);
  }
}
