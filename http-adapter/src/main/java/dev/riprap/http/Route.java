package dev.riprap.http;

import java.util.Locale;
import java.util.regex.Pattern;

/** A route: requests whose method and path match get their own policy. */
final class Route {
  final String method;
  final String pattern;
  final Pattern regex;
  final HttpPolicy policy;

  Route(String method, String pattern, HttpPolicy policy) {
    this.method = method;
    this.pattern = pattern;
    this.regex = compile(pattern);
    this.policy = policy;
  }

  static String checkMethod(String method) {
    if (method.equals("*")) {
      return method;
    }
    if (method.isEmpty() || !method.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
      throw new IllegalArgumentException(
          "method must be an upper-case HTTP method such as GET, or * for any, was '" + method
              + "'");
    }
    return method;
  }

  /** {@code **} matches anything, {@code *} anything within one path segment; the rest literally. */
  static Pattern compile(String pattern) {
    if (!pattern.startsWith("/")) {
      throw new IllegalArgumentException(
          "path pattern must start with '/', was '" + pattern + "'");
    }
    StringBuilder re = new StringBuilder();
    int i = 0;
    while (i < pattern.length()) {
      char c = pattern.charAt(i);
      if (c == '*') {
        if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
          re.append(".*");
          i += 2;
        } else {
          re.append("[^/]*");
          i++;
        }
      } else {
        int j = i;
        while (j < pattern.length() && pattern.charAt(j) != '*') {
          j++;
        }
        re.append(Pattern.quote(pattern.substring(i, j)));
        i = j;
      }
    }
    return Pattern.compile(re.toString());
  }

  boolean matches(String requestMethod, String path) {
    return (method.equals("*") || method.equals(requestMethod.toUpperCase(Locale.ROOT)))
        && regex.matcher(path).matches();
  }

  @Override
  public String toString() {
    return method + " " + pattern + " -> " + policy.name();
  }
}
