package dev.riprap.http;

import java.net.http.HttpHeaders;
import java.util.List;
import java.util.Set;

/**
 * Whether a targeted cache-control field's value (RFC 9213, such as {@code CDN-Cache-Control})
 * is valid: a Structured Field Dictionary (RFC 8941 section 3.2) whose freshness directives are
 * Integers. An invalid field is ignored as a whole and {@code Cache-Control} decides instead
 * (RFC 9213 section 2.1), so the check is strict where {@link CacheControl}'s reading of {@code
 * Cache-Control} is lenient.
 */
final class TargetedField {
  /** Directives whose value must be an Integer (RFC 9213 section 2.1, RFC 9111 delta-seconds). */
  private static final Set<String> INTEGERS =
      Set.of("max-age", "s-maxage", "stale-while-revalidate", "stale-if-error");

  private final String s;
  private int i;

  private TargetedField(String s) {
    this.s = s;
  }

  /**
   * The directives of the first of {@code fields} the response carries with a valid value
   * (RFC 9213 section 2.1: an invalid one is ignored as a whole), or null when none does and
   * {@code Cache-Control} decides.
   */
  static CacheControl directives(HttpHeaders response, List<String> fields) {
    for (String field : fields) {
      List<String> lines = response.allValues(field);
      if (!lines.isEmpty() && valid(lines)) {
        return CacheControl.parse(lines);
      }
    }
    return null;
  }

  /** Whether the field lines, joined as one list, form a valid dictionary. */
  static boolean valid(List<String> lines) {
    return new TargetedField(String.join(",", lines)).dictionary();
  }

  private boolean dictionary() {
    skip(' ');
    if (i == s.length()) {
      return false; // an empty field is no field
    }
    while (true) {
      String key = key();
      if (key == null) {
        return false;
      }
      char type = 'b'; // a bare key is the boolean true
      if (i < s.length() && s.charAt(i) == '=') {
        i++;
        type = item();
        if (type == 0) {
          return false;
        }
      }
      if (INTEGERS.contains(key) && type != 'i') {
        return false;
      }
      if (!parameters()) {
        return false;
      }
      skipOws();
      if (i == s.length()) {
        return true;
      }
      if (s.charAt(i) != ',') {
        return false;
      }
      i++;
      skipOws();
      if (i == s.length()) {
        return false; // a trailing comma
      }
    }
  }

  /** {@code ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )}, or null. */
  private String key() {
    int start = i;
    if (i >= s.length() || !(lower(s.charAt(i)) || s.charAt(i) == '*')) {
      return null;
    }
    i++;
    while (i < s.length() && (lower(s.charAt(i)) || digit(s.charAt(i))
        || "_-.*".indexOf(s.charAt(i)) >= 0)) {
      i++;
    }
    return s.substring(start, i);
  }

  /**
   * A bare item: its type ({@code i} integer, {@code d} decimal, {@code s} string, {@code t}
   * token, {@code y} byte sequence, {@code b} boolean), or 0 when malformed.
   */
  private char item() {
    if (i >= s.length()) {
      return 0;
    }
    char c = s.charAt(i);
    if (c == '-' || digit(c)) {
      return number();
    }
    if (c == '"') {
      for (i++; i < s.length(); i++) {
        char d = s.charAt(i);
        if (d == '\\') {
          i++;
          if (i >= s.length() || (s.charAt(i) != '"' && s.charAt(i) != '\\')) {
            return 0;
          }
        } else if (d == '"') {
          i++;
          return 's';
        } else if (d < 0x20 || d > 0x7e) {
          return 0;
        }
      }
      return 0;
    }
    if (c == '*' || Character.isLetter(c) && c < 0x80) {
      for (i++; i < s.length() && (CacheControl.isTokenChar(s.charAt(i))
          || s.charAt(i) == ':' || s.charAt(i) == '/'); i++) {
        // token characters
      }
      return 't';
    }
    if (c == ':') {
      int end = s.indexOf(':', i + 1);
      if (end < 0) {
        return 0;
      }
      for (int k = i + 1; k < end; k++) {
        char b = s.charAt(k);
        if (!(Character.isLetterOrDigit(b) && b < 0x80 || b == '+' || b == '/' || b == '=')) {
          return 0;
        }
      }
      i = end + 1;
      return 'y';
    }
    if (c == '?' && i + 1 < s.length() && (s.charAt(i + 1) == '0' || s.charAt(i + 1) == '1')) {
      i += 2;
      return 'b';
    }
    return 0;
  }

  /** An Integer (at most 15 digits) or a Decimal (at most 12 digits, a dot, 1 to 3 digits). */
  private char number() {
    if (s.charAt(i) == '-') {
      i++;
    }
    int start = i;
    while (i < s.length() && digit(s.charAt(i))) {
      i++;
    }
    int whole = i - start;
    if (whole == 0) {
      return 0;
    }
    if (i < s.length() && s.charAt(i) == '.') {
      i++;
      int fracStart = i;
      while (i < s.length() && digit(s.charAt(i))) {
        i++;
      }
      int frac = i - fracStart;
      return whole <= 12 && frac >= 1 && frac <= 3 ? 'd' : 0;
    }
    return whole <= 15 ? 'i' : 0;
  }

  /** {@code *( ";" *SP key [ "=" bare-item ] )}. */
  private boolean parameters() {
    while (i < s.length() && s.charAt(i) == ';') {
      i++;
      skip(' ');
      if (key() == null) {
        return false;
      }
      if (i < s.length() && s.charAt(i) == '=') {
        i++;
        if (item() == 0) {
          return false;
        }
      }
    }
    return true;
  }

  private void skip(char c) {
    while (i < s.length() && s.charAt(i) == c) {
      i++;
    }
  }

  private void skipOws() {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
      i++;
    }
  }

  private static boolean lower(char c) {
    return c >= 'a' && c <= 'z';
  }

  private static boolean digit(char c) {
    return c >= '0' && c <= '9';
  }
}
