package dev.riprap.http;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * URIs as Riprap prints them in exception messages, events, metric tags and logs: what helps
 * debugging (scheme, host, port, path, the names of query parameters), never what may be a
 * credential. As OkHttp's {@code HttpUrl.redact()} does, the userinfo ({@code user:secret@}) and the
 * fragment are removed; unlike it, the path stays, and each query parameter keeps its name with its
 * value replaced by {@value #HIDDEN}: {@code http://user:secret@api:8080/items?api_key=k&page=2}
 * prints as {@code http://api:8080/items?api_key=...&page=...}. A parameter without {@code =} is
 * printed as it is (it has no value to hide).
 */
final class Redact {
  /** What a query value is replaced with: ASCII, so it survives every log encoding. */
  static final String HIDDEN = "...";

  private Redact() {}

  /**
   * {@code uri} without userinfo, query values or fragment.
   *
   * @throws NullPointerException if {@code uri} is null
   */
  static String uri(URI uri) {
    if (uri.isOpaque()) {
      return uri.getScheme() + ":" + HIDDEN; // mailto:someone@host: all of it is the secret part
    }
    StringBuilder out = new StringBuilder();
    if (uri.getScheme() != null) {
      out.append(uri.getScheme()).append(':');
    }
    if (uri.getRawAuthority() != null) {
      out.append("//").append(hostAndPort(uri.getRawAuthority()));
    }
    if (uri.getRawPath() != null) {
      out.append(uri.getRawPath());
    }
    if (uri.getRawQuery() != null) {
      out.append('?').append(query(uri.getRawQuery()));
    }
    return out.toString();
  }

  /**
   * {@code text}, a URI that may not parse, without userinfo, query values or fragment: parsed when
   * it parses, else cut before its query with the userinfo of its authority removed.
   *
   * @throws NullPointerException if {@code text} is null
   */
  static String uri(String text) {
    try {
      return uri(new URI(text));
    } catch (URISyntaxException e) {
      int end = firstOf(text, '?', '#');
      String head = text.substring(0, end);
      int start = head.indexOf("://");
      if (start >= 0) {
        int authorityEnd = firstOf(head.substring(start + 3), '/', '\\') + start + 3;
        head = head.substring(0, start + 3)
            + hostAndPort(head.substring(start + 3, authorityEnd)) + head.substring(authorityEnd);
      }
      return end < text.length() && text.charAt(end) == '?' ? head + "?" + HIDDEN : head;
    }
  }

  /**
   * The host and port of {@code uri}'s authority, lower-case, without its userinfo: the name a
   * host goes by in tags, policy names and messages.
   *
   * @throws IllegalArgumentException if {@code uri} has no authority
   */
  static String authority(URI uri) {
    String a = uri.getRawAuthority();
    if (a == null) {
      throw new IllegalArgumentException("request URI has no host: " + uri(uri));
    }
    return hostAndPort(a).toLowerCase(Locale.ROOT);
  }

  /** An authority without its userinfo ({@code @} cannot occur in a host or a port). */
  static String hostAndPort(String authority) {
    return authority.substring(authority.lastIndexOf('@') + 1);
  }

  private static String query(String raw) {
    StringBuilder out = new StringBuilder(raw.length());
    int from = 0;
    while (from <= raw.length()) {
      int amp = raw.indexOf('&', from);
      int end = amp < 0 ? raw.length() : amp;
      int eq = raw.indexOf('=', from);
      if (eq >= 0 && eq < end) {
        out.append(raw, from, eq + 1).append(HIDDEN);
      } else {
        out.append(raw, from, end);
      }
      if (amp < 0) {
        break;
      }
      out.append('&');
      from = amp + 1;
    }
    return out.toString();
  }

  private static int firstOf(String s, char a, char b) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == a || s.charAt(i) == b) {
        return i;
      }
    }
    return s.length();
  }
}
