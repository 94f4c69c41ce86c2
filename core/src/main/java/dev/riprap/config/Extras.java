package dev.riprap.config;

import dev.riprap.config.RiprapProperties.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The values of the registered {@link LimiterProvider}s' keys ({@code rate-limiter.<provider>.<setting>}),
 * by scope: the defaults, or one policy. Filled while the properties are parsed, read-only after.
 */
final class Extras {
  private static final String PREFIX = "rate-limiter.";

  private final List<LimiterProvider> providers;
  /** Scope prefix ({@code riprap.defaults.}, {@code riprap.policies.<name>.}) to values. */
  private final Map<String, Map<String, Value>> scopes = new HashMap<>();

  Extras(List<LimiterProvider> providers) {
    this.providers = providers;
  }

  /**
   * Reads one entry if its key suffix is a provider's setting.
   *
   * @return false when no provider has the setting
   * @throws IllegalArgumentException when the provider refuses the value
   */
  boolean read(String scopePrefix, String suffix, String key, String raw) {
    for (LimiterProvider p : providers) {
      String head = PREFIX + p.name() + ".";
      if (suffix.startsWith(head) && p.settings().contains(suffix.substring(head.length()))) {
        String setting = suffix.substring(head.length());
        scopes.computeIfAbsent(scopePrefix, k -> new TreeMap<>())
            .put(p.name() + "." + setting, Value.extra(p, setting, key, raw));
        return true;
      }
    }
    return false;
  }

  /** The values of one scope, keyed {@code <provider>.<setting>}. */
  Map<String, Value> scope(String scopePrefix) {
    Map<String, Value> values = scopes.get(scopePrefix);
    return values == null ? Map.of() : Collections.unmodifiableMap(values);
  }

  /** Every provider key suffix, for "did you mean" and the list of valid settings. */
  List<String> suffixes() {
    List<String> all = new ArrayList<>();
    for (LimiterProvider p : providers) {
      for (String s : p.settings()) {
        all.add(PREFIX + p.name() + "." + s);
      }
    }
    return all;
  }

  LimiterProvider provider(String name) {
    for (LimiterProvider p : providers) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    throw new IllegalStateException("no limiter provider named " + name);
  }
}
