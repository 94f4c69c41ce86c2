package dev.riprap.health;

/** Hand-written JSON output, so that core needs no JSON library. */
final class Json {
  private Json() {}

  /**
   * Appends {@code s} as a JSON string literal: quotes, backslashes and control characters escaped
   * (RFC 8259 section 7), and U+2028/U+2029 too, so the output is also safe inside JavaScript.
   */
  static StringBuilder string(StringBuilder out, String s) {
    if (s == null) {
      return out.append("null");
    }
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"');
  }

  /** Appends a number; non-finite values (which JSON cannot carry) become {@code null}. */
  static StringBuilder number(StringBuilder out, double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      return out.append("null");
    }
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return out.append((long) d);
    }
    return out.append(d);
  }
}
