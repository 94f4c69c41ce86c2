package dev.riprap.http;

import dev.riprap.internal.Check;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The checks of logical services ({@link ClientSettings#endpoints}) and the one rule that turns a
 * request to {@code http://<service>/path?query} into the request to one endpoint.
 */
final class Services {
  /** One RFC 1123 label: letters, digits and hyphens, not starting or ending with a hyphen. */
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private Services() {}

  /**
   * {@code service} lower-cased, checked to be a host name: RFC 1123 labels separated by dots, at
   * most 253 characters, with a letter somewhere (so never an IPv4 address).
   */
  static String name(String service) {
    Objects.requireNonNull(service, "service");
    String s = service.toLowerCase(Locale.ROOT);
    boolean valid = !s.isEmpty() && s.length() <= 253 && s.chars().anyMatch(Character::isLetter);
    for (String label : s.split("\\.", -1)) {
      valid &= LABEL.matcher(label).matches();
    }
    Check.requireArgument(valid, "service", "a host name (letters, digits, hyphens and dots)",
        "'" + service + "'");
    return s;
  }

  /**
   * The endpoints of {@code service}, each an absolute {@code http} or {@code https} URI with a
   * host and nothing after its port but an optional {@code /}; at least one.
   */
  static List<URI> endpoints(String service, List<URI> endpoints) {
    Objects.requireNonNull(endpoints, "endpoints");
    String key = "service '" + service + "': endpoints";
    Check.requireArgument(!endpoints.isEmpty(), key, "at least one endpoint", "[]");
    List<URI> out = new ArrayList<>(endpoints.size());
    for (int i = 0; i < endpoints.size(); i++) {
      URI e = endpoints.get(i);
      Check.requireArgument(e != null, key, "non-null", "null at index " + i);
      String scheme = e.getScheme() == null ? "" : e.getScheme().toLowerCase(Locale.ROOT);
      String path = e.getRawPath();
      boolean valid = !e.isOpaque() && (scheme.equals("http") || scheme.equals("https"))
          && e.getHost() != null && e.getRawUserInfo() == null && e.getRawQuery() == null
          && e.getRawFragment() == null && (path == null || path.isEmpty() || path.equals("/"));
      Check.requireArgument(valid, key,
          "absolute http or https URIs with a host and no userinfo, path, query or fragment",
          Redact.uri(e) + " at index " + i);
      Check.requireArgument(!e.getHost().equalsIgnoreCase(service), key,
          "endpoints whose host is not the service's own name", Redact.uri(e) + " at index " + i);
      out.add(URI.create(scheme + "://" + e.getRawAuthority()));
    }
    return out;
  }

  /**
   * Refuses {@code endpoints} of {@code service} whose host is another service's name (a request
   * to it would mean the service, never the endpoint), and a service named like another's
   * endpoint host.
   */
  static void disjoint(String service, List<URI> endpoints, Map<String, List<URI>> others) {
    for (Map.Entry<String, List<URI>> o : others.entrySet()) {
      if (o.getKey().equals(service)) {
        continue;
      }
      for (URI e : endpoints) {
        Check.requireArgument(!e.getHost().equalsIgnoreCase(o.getKey()),
            "service '" + service + "': endpoints", "hosts that are no service's name",
            e + ", whose host is the service '" + o.getKey() + "'");
      }
      for (URI e : o.getValue()) {
        Check.requireArgument(!e.getHost().equalsIgnoreCase(service), "service",
            "a name that is no endpoint's host", "'" + service + "', the host of " + e
                + " of the service '" + o.getKey() + "'");
      }
    }
  }

  /** The request to {@code endpoint}: its scheme, host and port, the request's path and query. */
  static URI target(URI endpoint, URI request) {
    String path = request.getRawPath() == null ? "" : request.getRawPath();
    String query = request.getRawQuery() == null ? "" : "?" + request.getRawQuery();
    return URI.create(endpoint.getScheme() + "://" + endpoint.getRawAuthority() + path + query);
  }

  /** The authority an endpoint's messages, tags and policy name show. */
  static String authority(URI endpoint) {
    return Redact.authority(endpoint);
  }
}
