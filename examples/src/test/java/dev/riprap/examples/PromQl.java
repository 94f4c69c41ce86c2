package dev.riprap.examples;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A parser for the PromQL a dashboard uses: vector selectors with label matchers and ranges,
 * functions, aggregations with {@code by}/{@code without} (before or after the argument), binary
 * operators with {@code bool}, {@code on}/{@code ignoring} and {@code group_left}/{@code
 * group_right}, numbers, strings and parentheses. It refuses anything else with the offset and
 * what it expected, so a typo in a dashboard fails the test. What it keeps is what the test
 * checks: every selector (metric name and label names) and every label list, with the selectors
 * it applies to.
 */
final class PromQl {
  /** A vector selector: its metric name and the label names its matchers use. */
  record Selector(String metric, Set<String> labels) {}

  /** A label list ({@code by}, {@code without}, {@code on}, ...) and the selectors beneath it. */
  record Grouping(String keyword, Set<String> labels, List<Selector> selectors) {}

  /** What a parsed expression queries. */
  record Parsed(List<Selector> selectors, List<Grouping> groupings) {}

  private static final Set<String> AGGREGATIONS =
      Set.of("sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk",
          "quantile", "count_values", "group");
  private static final Set<String> PARAMETERIZED = Set.of("topk", "bottomk", "quantile",
      "count_values");
  private static final Set<String> FUNCTIONS =
      Set.of("rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile",
          "abs", "ceil", "floor", "round", "clamp", "clamp_min", "clamp_max", "sort", "sort_desc",
          "time", "vector", "scalar", "label_replace", "label_join", "absent", "changes",
          "resets", "avg_over_time", "max_over_time", "min_over_time", "sum_over_time",
          "count_over_time", "last_over_time", "timestamp");
  private static final Set<String> KEYWORDS =
      Set.of("by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
          "and", "or", "unless");
  private static final List<String> OPERATORS =
      List.of("==", "!=", ">=", "<=", ">", "<", "+", "-", "*", "/", "%", "^");

  private final String src;
  private int pos;
  private final List<Selector> selectors = new ArrayList<>();
  private final List<Grouping> groupings = new ArrayList<>();

  private PromQl(String src) {
    this.src = src;
  }

  /**
   * Parses {@code expr}.
   *
   * @throws IllegalArgumentException naming the offset and what was expected, if it is not PromQL
   *     this parser knows
   */
  static Parsed parse(String expr) {
    PromQl p = new PromQl(expr);
    p.expression();
    p.skipSpace();
    if (p.pos != expr.length()) {
      throw p.error("end of expression");
    }
    return new Parsed(List.copyOf(p.selectors), List.copyOf(p.groupings));
  }

  private IllegalArgumentException error(String expected) {
    return new IllegalArgumentException(
        "expected " + expected + " at offset " + pos + " of <" + src + ">, found <"
            + src.substring(pos, Math.min(src.length(), pos + 20)) + ">");
  }

  private void skipSpace() {
    while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
      pos++;
    }
  }

  private boolean peek(String token) {
    skipSpace();
    return src.startsWith(token, pos);
  }

  private boolean accept(String token) {
    if (peek(token)) {
      pos += token.length();
      return true;
    }
    return false;
  }

  private void expect(String token) {
    if (!accept(token)) {
      throw error("'" + token + "'");
    }
  }

  private String identifier() {
    skipSpace();
    int start = pos;
    while (pos < src.length()
        && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_'
            || src.charAt(pos) == ':')) {
      pos++;
    }
    if (start == pos || Character.isDigit(src.charAt(start))) {
      pos = start;
      throw error("a name");
    }
    return src.substring(start, pos);
  }

  private boolean peekKeyword(String word) {
    skipSpace();
    if (!src.startsWith(word, pos)) {
      return false;
    }
    int end = pos + word.length();
    return end == src.length()
        || !(Character.isLetterOrDigit(src.charAt(end)) || src.charAt(end) == '_');
  }

  private boolean acceptKeyword(String word) {
    if (peekKeyword(word)) {
      pos += word.length();
      return true;
    }
    return false;
  }

  private void expression() {
    int firstSelector = selectors.size();
    unary();
    while (true) {
      String op = binaryOperator();
      if (op == null) {
        return;
      }
      acceptKeyword("bool");
      List<Grouping> matching = new ArrayList<>();
      for (String k : List.of("on", "ignoring")) {
        if (acceptKeyword(k)) {
          matching.add(new Grouping(k, labelList(), null));
        }
      }
      for (String k : List.of("group_left", "group_right")) {
        if (acceptKeyword(k)) {
          matching.add(new Grouping(k, peek("(") ? labelList() : Set.of(), null));
        }
      }
      unary();
      for (Grouping g : matching) {
        groupings.add(new Grouping(g.keyword(), g.labels(),
            List.copyOf(selectors.subList(firstSelector, selectors.size()))));
      }
    }
  }

  private String binaryOperator() {
    for (String word : List.of("and", "or", "unless")) {
      if (acceptKeyword(word)) {
        return word;
      }
    }
    for (String op : OPERATORS) {
      if (accept(op)) {
        return op;
      }
    }
    return null;
  }

  private void unary() {
    if (!accept("-")) {
      accept("+");
    }
    primary();
    rangeAndOffset();
  }

  private void rangeAndOffset() {
    if (accept("[")) {
      duration();
      if (accept(":")) {
        if (!peek("]")) {
          duration();
        }
      }
      expect("]");
    }
    if (acceptKeyword("offset")) {
      accept("-");
      duration();
    }
  }

  private void duration() {
    skipSpace();
    int start = pos;
    while (pos < src.length() && src.substring(pos).matches("(?s)^\\d+(ms|s|m|h|d|w|y).*")) {
      pos += src.substring(pos).replaceFirst("(?s)^(\\d+(ms|s|m|h|d|w|y)).*", "$1").length();
    }
    if (start == pos) {
      throw error("a duration");
    }
  }

  private void primary() {
    skipSpace();
    if (pos >= src.length()) {
      throw error("an expression");
    }
    char c = src.charAt(pos);
    if (c == '(') {
      pos++;
      expression();
      expect(")");
    } else if (c == '"' || c == '\'') {
      string();
    } else if (Character.isDigit(c) || c == '.') {
      number();
    } else if (c == '{') {
      selector(null);
    } else {
      String name = identifier();
      if (AGGREGATIONS.contains(name) && (peek("(") || peekKeyword("by")
          || peekKeyword("without"))) {
        aggregation(name);
      } else if (peek("(")) {
        if (!FUNCTIONS.contains(name)) {
          throw new IllegalArgumentException("unknown function " + name + " in <" + src + ">");
        }
        expect("(");
        if (!peek(")")) {
          argument();
          while (accept(",")) {
            argument();
          }
        }
        expect(")");
      } else if (KEYWORDS.contains(name)) {
        throw new IllegalArgumentException("keyword " + name + " where a metric was expected in <"
            + src + ">");
      } else {
        selector(name);
      }
    }
  }

  private void argument() {
    skipSpace();
    if (peek("\"") || peek("'")) {
      string();
    } else {
      expression();
    }
  }

  private void aggregation(String op) {
    Set<String> labels = null;
    String keyword = null;
    if (peekKeyword("by") || peekKeyword("without")) {
      keyword = identifier();
      labels = labelList();
    }
    int firstSelector = selectors.size();
    expect("(");
    if (PARAMETERIZED.contains(op)) {
      argument();
      expect(",");
    }
    expression();
    expect(")");
    if (keyword == null && (peekKeyword("by") || peekKeyword("without"))) {
      keyword = identifier();
      labels = labelList();
    }
    if (keyword != null) {
      groupings.add(new Grouping(keyword, labels,
          List.copyOf(selectors.subList(firstSelector, selectors.size()))));
    }
  }

  private Set<String> labelList() {
    expect("(");
    Set<String> labels = new LinkedHashSet<>();
    if (!peek(")")) {
      labels.add(identifier());
      while (accept(",")) {
        if (peek(")")) {
          break;
        }
        labels.add(identifier());
      }
    }
    expect(")");
    return labels;
  }

  private void selector(String metric) {
    Set<String> labels = new LinkedHashSet<>();
    String name = metric;
    if (accept("{")) {
      while (!accept("}")) {
        String label = identifier();
        if (!(accept("=~") || accept("!~") || accept("!=") || accept("="))) {
          throw error("a label matcher operator");
        }
        String value = string();
        if (label.equals("__name__")) {
          name = value;
        } else {
          labels.add(label);
        }
        if (!accept(",")) {
          expect("}");
          break;
        }
      }
    }
    if (name == null) {
      throw error("a metric name");
    }
    selectors.add(new Selector(name, labels));
  }

  private String string() {
    skipSpace();
    char quote = src.charAt(pos);
    if (quote != '"' && quote != '\'') {
      throw error("a string");
    }
    StringBuilder out = new StringBuilder();
    pos++;
    while (pos < src.length() && src.charAt(pos) != quote) {
      if (src.charAt(pos) == '\\') {
        pos++;
      }
      out.append(src.charAt(pos++));
    }
    expect(String.valueOf(quote));
    return out.toString();
  }

  private void number() {
    int start = pos;
    while (pos < src.length()
        && (Character.isDigit(src.charAt(pos)) || ".eE".indexOf(src.charAt(pos)) >= 0)) {
      pos++;
    }
    try {
      Double.parseDouble(src.substring(start, pos));
    } catch (NumberFormatException e) {
      pos = start;
      throw error("a number");
    }
  }
}
