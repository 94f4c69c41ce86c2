package dev.riprap.benchmarks.http;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parses {@code --key value} pairs, with defaults; every key must have a value. */
public final class Args {
  private Args() {}

  /**
   * Parses {@code args}.
   *
   * @param args the command line
   * @param defaults values for keys not given
   * @return the options, defaults first overridden by the command line
   * @throws IllegalArgumentException for a word that is not {@code --key} or a key without a value
   */
  public static Map<String, String> parse(String[] args, Map<String, String> defaults) {
    Map<String, String> out = new LinkedHashMap<>(defaults);
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "expected --key value pairs, got '" + args[i] + "' at position " + i);
      }
      out.put(args[i].substring(2), args[i + 1]);
    }
    return out;
  }
}
