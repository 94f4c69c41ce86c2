package dev.riprap.benchmarks.faults;

import dev.riprap.benchmarks.http.HttpPeers;
import dev.riprap.endpoint.EndpointGroup;
import dev.riprap.event.EndpointEjected;
import dev.riprap.event.EndpointEvent;
import dev.riprap.event.EndpointRestored;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.ResilientHttpClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The clients compared against several replicas of one upstream, each sending through one {@link
 * CountingHttpClient} so that every attempt is counted the same way:
 *
 * <ul>
 *   <li>{@code raw}: the JDK client, the caller picking a replica round robin per call;
 *   <li>{@code resilience4j}, {@code failsafe}: what a user of those libraries writes today, one
 *       {@link HttpPeers} client (retry, breaker and bulkhead with the numbers of Riprap's {@code
 *       standard()}) per replica, the caller picking a replica round robin per call; a retry goes
 *       to the same replica, an open breaker fails the call;
 *   <li>{@code riprap}: one {@link ResilientHttpClient} with the replicas as a service ({@code
 *       endpoints(...)}, the group's defaults and {@link HttpPolicy#standard()} unless a scenario
 *       says otherwise), the caller sending to {@code http://upstream/...}.
 * </ul>
 */
final class ReplicaPeers {
  /** The service name the Riprap client's requests use. */
  static final String SERVICE = "upstream";
  /** The names of the clients in the order they run, the unprotected one first. */
  static final List<String> NAMES = HttpPeers.NAMES;

  private ReplicaPeers() {}

  /** A client calling the replicas, with what it saw of their ejections. */
  interface Caller extends AutoCloseable {
    /**
     * Sends a GET for {@code path} to one of the replicas, through this client's protection.
     *
     * @param path an absolute path
     * @param timeout the request's timeout
     * @return the final status
     * @throws Exception the transport's or the protection's exception
     */
    int get(String path, Duration timeout) throws Exception;

    /**
     * The endpoint events the client published, each with the {@link System#nanoTime()} it was
     * seen at; empty for clients that do not eject.
     *
     * @return the events, oldest first
     */
    default List<Seen> events() {
      return List.of();
    }

    @Override
    default void close() {}
  }

  /**
   * An endpoint event and when it was seen.
   *
   * @param nanos a {@link System#nanoTime()} reading
   * @param event the event
   */
  record Seen(long nanos, EndpointEvent event) {
    /**
     * The port of the endpoint the event is about.
     *
     * @return the port
     */
    int port() {
      String name = event instanceof EndpointEjected e ? e.endpoint()
          : event instanceof EndpointRestored r ? r.endpoint() : null;
      return name == null ? -1 : URI.create(name).getPort();
    }
  }

  /**
   * A fresh client of the given kind.
   *
   * @param name one of {@link #NAMES}
   * @param replicas the replicas' addresses, {@code http://127.0.0.1:port}
   * @param http the counting client every request goes through
   * @param group Riprap's endpoint-group settings (ignored by the others)
   * @param policy Riprap's policy for the service's requests (ignored by the others)
   * @return the client
   * @throws IllegalArgumentException for an unknown name
   */
  static Caller create(String name, List<URI> replicas, CountingHttpClient http,
      Consumer<EndpointGroup.Builder<URI>> group, HttpPolicy policy) {
    switch (name) {
      case "raw":
        return roundRobin(replicas, List.of(HttpPeers.raw(http)));
      case "resilience4j":
        return roundRobin(replicas, perReplica(replicas, () -> HttpPeers.resilience4j(http)));
      case "failsafe":
        return roundRobin(replicas, perReplica(replicas, () -> HttpPeers.failsafe(http)));
      case "riprap":
        return riprap(replicas, http, group, policy);
      default:
        throw new IllegalArgumentException("unknown client '" + name + "', expected one of " + NAMES);
    }
  }

  private static List<HttpPeers.Client> perReplica(
      List<URI> replicas, Supplier<HttpPeers.Client> peer) {
    List<HttpPeers.Client> out = new ArrayList<>();
    for (int i = 0; i < replicas.size(); i++) {
      out.add(peer.get());
    }
    return out;
  }

  /**
   * The caller's round robin: call {@code n} goes to replica {@code n mod size} through that
   * replica's client ({@code clients} has one per replica, or one for all).
   */
  private static Caller roundRobin(List<URI> replicas, List<HttpPeers.Client> clients) {
    AtomicInteger next = new AtomicInteger();
    return new Caller() {
      @Override
      public int get(String path, Duration timeout) throws Exception {
        int i = Math.floorMod(next.getAndIncrement(), replicas.size());
        HttpPeers.Client client = clients.get(clients.size() == 1 ? 0 : i);
        return client.send(request(replicas.get(i).resolve(path), timeout)).statusCode();
      }

      @Override
      public void close() {
        clients.forEach(HttpPeers.Client::close);
      }
    };
  }

  private static Caller riprap(List<URI> replicas, HttpClient http,
      Consumer<EndpointGroup.Builder<URI>> group, HttpPolicy policy) {
    ResilientHttpClient client = ResilientHttpClient.builder()
        .delegate(http)
        .policy(policy)
        .endpoints(SERVICE, replicas, group)
        .build();
    List<Seen> events = new CopyOnWriteArrayList<>();
    client.events().subscribe(EndpointEvent.class, e -> events.add(new Seen(System.nanoTime(), e)));
    URI base = URI.create("http://" + SERVICE);
    return new Caller() {
      @Override
      public int get(String path, Duration timeout) throws Exception {
        return client.send(request(base.resolve(path), timeout),
            HttpResponse.BodyHandlers.ofByteArray()).statusCode();
      }

      @Override
      public List<Seen> events() {
        return events;
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }

  private static HttpRequest request(URI uri, Duration timeout) {
    return HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
  }
}
