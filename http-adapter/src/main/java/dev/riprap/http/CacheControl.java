package dev.riprap.http;

import java.net.http.HttpHeaders;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A parsed {@code Cache-Control} field (RFC 9111 section 5.2): a list of directives, each a
 * case-blind name with an optional argument, a token or a quoted string. Every field line of the
 * message is read, in order, as one list (RFC 9110 section 5.3).
 *
 * <p>Parsed, never searched: {@code private} is a directive, not a substring of {@code
 * x-private-label}; a comma inside a quoted argument ({@code no-cache="Set-Cookie, X-Trace"}) does
 * not split it. A malformed directive (no name, an unterminated quote, junk after the argument)
 * is dropped and the next one read; nothing here throws on the field's content. When a directive
 * comes twice, the first occurrence counts (RFC 9111 section 4.2.1 allows that choice).
 *
 * <p>Immutable. Package-private: the stale-if-error store uses it, and a full cache can.
 */
final class CacheControl {
  static final CacheControl NONE = new CacheControl(Map.of());

  /**
   * Where delta-seconds saturate: RFC 9111 section 1.2.2 says a larger value is to be read as
   * 2^31.
   */
  static final long MAX_DELTA_SECONDS = 2_147_483_648L;

  /** Lower-case name to its argument, unquoted ({@code null} when it has none); first wins. */
  private final Map<String, String> directives;

  private CacheControl(Map<String, String> directives) {
    this.directives = directives;
  }

  /** The directives of every {@code Cache-Control} line of {@code headers}. */
  static CacheControl of(HttpHeaders headers) {
    return parse(headers.allValues("Cache-Control"));
  }

  /** The directives of these field lines, in order. */
  static CacheControl parse(List<String> lines) {
    Map<String, String> found = new LinkedHashMap<>();
    for (String line : lines) {
      new Reader(line, found).readAll();
    }
    return found.isEmpty() ? NONE : new CacheControl(Collections.unmodifiableMap(found));
  }

  /** Whether the directive is present, with or without an argument. */
  boolean has(String name) {
    return directives.containsKey(name.toLowerCase(Locale.ROOT));
  }

  /** The directive's argument, unquoted; empty when absent or given without one. */
  Optional<String> argument(String name) {
    return Optional.ofNullable(directives.get(name.toLowerCase(Locale.ROOT)));
  }

  /**
   * The directive's delta-seconds ({@code max-age=60}); empty when absent, without an argument or
   * not a count of seconds. A count past {@link #MAX_DELTA_SECONDS} is read as that.
   */
  OptionalLong seconds(String name) {
    return deltaSeconds(directives.get(name.toLowerCase(Locale.ROOT)));
  }

  /**
   * {@code text} as delta-seconds (RFC 9111 section 1.2.2: digits only, saturating at {@link
   * #MAX_DELTA_SECONDS}), as in {@code max-age} or the {@code Age} field; empty when null, empty or
   * anything but digits.
   */
  static OptionalLong deltaSeconds(String text) {
    if (text == null || text.isEmpty()) {
      return OptionalLong.empty();
    }
    long s = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return OptionalLong.empty();
      }
      s = Math.min(MAX_DELTA_SECONDS, s * 10 + (c - '0'));
    }
    return OptionalLong.of(s);
  }

  /**
   * Whether the directive is present with no field names: {@code no-cache} or {@code private} that
   * applies to the whole response, not only to the fields it lists.
   */
  boolean hasUnqualified(String name) {
    return has(name) && fieldNames(name).isEmpty();
  }

  /**
   * The field names a qualified {@code no-cache} or {@code private} lists ({@code
   * private="Set-Cookie, X-User"}), lower-case; empty when absent or unqualified.
   */
  Set<String> fieldNames(String name) {
    String v = directives.get(name.toLowerCase(Locale.ROOT));
    if (v == null) {
      return Set.of();
    }
    Set<String> names = new LinkedHashSet<>();
    for (String part : v.split(",")) {
      String n = part.trim();
      if (!n.isEmpty()) {
        names.add(n.toLowerCase(Locale.ROOT));
      }
    }
    return Collections.unmodifiableSet(names);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CacheControl && ((CacheControl) o).directives.equals(directives);
  }

  @Override
  public int hashCode() {
    return directives.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    directives.forEach((name, arg) -> {
      out.append(out.length() == 0 ? "" : ", ").append(name);
      if (arg != null) {
        out.append("=\"").append(arg.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
    });
    return out.toString();
  }

  /** Reads one field line: {@code #( token [ "=" ( token / quoted-string ) ] )}. */
  private static final class Reader {
    private final String s;
    private final Map<String, String> into;
    private int i;
    /** Set when the current directive's argument could not be read. */
    private boolean malformed;

    Reader(String s, Map<String, String> into) {
      this.s = s;
      this.into = into;
    }

    void readAll() {
      while (i < s.length()) {
        skipSpace();
        if (i < s.length() && s.charAt(i) == ',') {
          i++; // an empty list element, which the list syntax allows
          continue;
        }
        if (i < s.length()) {
          readDirective();
        }
      }
    }

    private void readDirective() {
      int start = i;
      while (i < s.length() && isTokenChar(s.charAt(i))) {
        i++;
      }
      String name = s.substring(start, i).toLowerCase(Locale.ROOT);
      String argument = null;
      malformed = false;
      skipSpace();
      if (!name.isEmpty() && i < s.length() && s.charAt(i) == '=') {
        i++;
        skipSpace();
        argument = i < s.length() && s.charAt(i) == '"' ? quoted() : token();
      }
      skipSpace();
      boolean ended = i >= s.length() || s.charAt(i) == ',';
      if (name.isEmpty() || malformed || !ended) {
        skipElement(); // drop the directive, read on from the next comma outside quotes
        return;
      }
      into.putIfAbsent(name, argument);
    }

    private String token() {
      int start = i;
      while (i < s.length() && isTokenChar(s.charAt(i))) {
        i++;
      }
      malformed = i == start;
      return s.substring(start, i);
    }

    private String quoted() {
      StringBuilder out = new StringBuilder();
      i++; // the opening quote
      while (i < s.length()) {
        char c = s.charAt(i++);
        if (c == '"') {
          return out.toString();
        }
        if (c == '\\' && i < s.length()) {
          c = s.charAt(i++);
        }
        out.append(c);
      }
      malformed = true; // no closing quote: the rest of the line was inside it
      return null;
    }

    private void skipElement() {
      boolean inQuotes = false;
      while (i < s.length()) {
        char c = s.charAt(i);
        if (inQuotes && c == '\\') {
          i += 2;
          continue;
        }
        if (c == '"') {
          inQuotes = !inQuotes;
        } else if (c == ',' && !inQuotes) {
          return;
        }
        i++;
      }
    }

    private void skipSpace() {
      while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
        i++;
      }
    }
  }

  /** Whether {@code c} may appear in a token (RFC 9110 section 5.6.2): a name, an argument. */
  static boolean isTokenChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }
}
