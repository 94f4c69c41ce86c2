package dev.riprap.http;

import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which stored variant of a URI a request selects (RFC 9111 section 4.1): the request's values of
 * the fields the stored response's {@code Vary} names, compared after normalizing.
 */
final class Variants {
  /** Request fields whose values compare case-blind (RFC 9110 sections 12.5.1 to 12.5.4). */
  private static final Set<String> CASE_BLIND =
      Set.of("accept", "accept-charset", "accept-encoding", "accept-language");

  private Variants() {}

  /** The field names the response's {@code Vary} lists, lower-case ({@code *} included). */
  static Set<String> names(HttpHeaders response) {
    Set<String> names = new java.util.TreeSet<>();
    for (String line : response.allValues("Vary")) {
      for (String part : line.split(",")) {
        String n = part.trim();
        if (!n.isEmpty()) {
          names.add(n.toLowerCase(Locale.ROOT));
        }
      }
    }
    return names;
  }

  /**
   * What selects a response stored for {@code request}: the request's values of the fields the
   * response's {@code Vary} names and of the cache's key headers.
   */
  static Map<String, String> selecting(HttpRequest request, HttpHeaders response,
      Set<String> keyHeaders) {
    Set<String> names = names(response);
    names.addAll(keyHeaders);
    return values(request, names);
  }

  /**
   * The request's value of each of {@code names}, normalized as RFC 9111 §4.1 allows: all its
   * field lines joined by commas, whitespace around each element removed, the Accept fields'
   * values in lower case (their syntax is case-blind). {@code null} for a
   * header the request does not send, so "absent" matches only "absent".
   */
  static Map<String, String> values(HttpRequest request, Set<String> names) {
    Map<String, String> values = new TreeMap<>();
    for (String name : names) {
      List<String> lines = request.headers().allValues(name);
      if (lines.isEmpty()) {
        values.put(name, null);
        continue;
      }
      StringBuilder v = new StringBuilder();
      for (String line : lines) {
        for (String element : line.split(",")) {
          v.append(v.length() == 0 ? "" : ",").append(element.trim());
        }
      }
      // The Accept fields' values (media types, codings, language tags) are case-blind.
      values.put(name, CASE_BLIND.contains(name) ? v.toString().toLowerCase(Locale.ROOT)
          : v.toString());
    }
    return values;
  }
}
