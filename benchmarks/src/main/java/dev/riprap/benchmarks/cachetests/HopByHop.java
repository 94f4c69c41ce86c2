package dev.riprap.benchmarks.cachetests;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which header fields a reverse proxy must not forward: RFC 9110 section 7.6.1's connection
 * options. The fixed hop-by-hop fields, every field the message's own {@code Connection} names,
 * and the fields the two ends of the relay write themselves.
 */
final class HopByHop {
  /**
   * Fields that describe one connection, never the message (RFC 9110 sections 7.6.1, 7.8, 11.7;
   * {@code Keep-Alive} and {@code Proxy-Connection} are the older connection options RFC 9110
   * says an intermediary should still remove).
   */
  private static final Set<String> CONNECTION_FIELDS =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "proxy-authenticate",
          "proxy-authorization");

  /**
   * Request fields the JDK {@code HttpClient} writes itself and refuses from the caller ({@code
   * Host} from the URI, {@code Content-Length} from the body, {@code Expect}: the proxy has read
   * the whole body already).
   */
  private static final Set<String> CLIENT_WRITES = Set.of("host", "content-length", "expect");

  /**
   * Response fields the proxy's front writes itself: {@code Content-Length}, from the body it
   * relays (for a response without a body the proxy copies the origin's, see {@link
   * CacheTestProxy}).
   */
  private static final Set<String> FRONT_WRITES = Set.of("content-length");

  private HopByHop() {}

  /**
   * The request fields not to forward to the origin.
   *
   * @param connection the values of the request's {@code Connection} fields
   * @return the names (lower case) not to forward
   */
  static Set<String> requestExclusions(List<String> connection) {
    return exclusions(connection, CLIENT_WRITES);
  }

  /**
   * The response fields not to relay to the client.
   *
   * @param connection the values of the response's {@code Connection} fields
   * @return the names (lower case) not to relay
   */
  static Set<String> responseExclusions(List<String> connection) {
    return exclusions(connection, FRONT_WRITES);
  }

  private static Set<String> exclusions(List<String> connection, Set<String> endWrites) {
    Set<String> out = new TreeSet<>(CONNECTION_FIELDS);
    out.addAll(endWrites);
    for (String value : connection) {
      for (String option : value.split(",")) {
        String trimmed = option.strip();
        if (!trimmed.isEmpty()) {
          out.add(trimmed.toLowerCase(Locale.ROOT));
        }
      }
    }
    return out;
  }
}
