package dev.riprap.config;

import dev.riprap.ExternalLimiter;
import dev.riprap.TimeSource;
import java.util.List;
import java.util.Map;

/**
 * Lets properties configure an {@link ExternalLimiter} that lives in another module (riprap-bucket4j's
 * fleet-wide limiter): the provider names the keys it reads, checks their values and builds the
 * limiter of each policy. Core knows nothing of the backend; the application registers the provider,
 * with the backend's wiring (a store connection) inside it, on {@code
 * PolicyRegistry.Builder.limiterProvider}.
 *
 * <p>Keys: {@code riprap.defaults.rate-limiter.<name>.<setting>} and {@code
 * riprap.policies.<policy>.rate-limiter.<name>.<setting>}, where {@code <name>} is {@link #name()}
 * and {@code <setting>} one of {@link #settings()}. They follow the rules of every other key: a
 * policy's own keys override the defaults key by key; any of them turns the policy's rate limiter
 * on; {@code rate-limiter.enabled=false} turns it off; an unknown setting names the closest valid
 * key; they exclude {@code rate-limiter.paced-rate} and {@code rate-limiter.limit-for-period} in
 * one scope, and a policy's choice replaces the defaults' other choice.
 *
 * <p>Implementations must be thread-safe; a registry calls them while it builds.
 */
public interface LimiterProvider {
  /**
   * The word after {@code rate-limiter.} in this provider's keys, such as {@code distributed}.
   *
   * @return a lower-case word without dots
   */
  String name();

  /**
   * The settings this provider reads, in the order an error message lists them.
   *
   * @return the setting names, such as {@code permits} or {@code store-timeout}
   */
  List<String> settings();

  /**
   * Checks and converts one value, when the properties are parsed.
   *
   * @param setting one of {@link #settings()}
   * @param key the full key, for the message
   * @param raw the value as written
   * @return the value as {@link #limiter} takes it
   * @throws IllegalArgumentException {@code <key>: expected <form>, was '<raw>'}
   */
  Object parse(String setting, String key, String raw);

  /**
   * Builds the limiter of one policy from its values.
   *
   * @param policy the policy's name ({@code riprap.defaults} when the defaults are checked alone)
   * @param values the policy's values by setting, its own over the defaults', as {@link #parse}
   *     returned them; settings not given are absent
   * @param keys the full key each value came from, by setting, for messages
   * @param timeSource the registry's time source
   * @return the limiter
   * @throws IllegalStateException if the values do not make a limiter together (a required
   *     setting missing), naming the keys
   */
  ExternalLimiter limiter(
      String policy, Map<String, Object> values, Map<String, String> keys, TimeSource timeSource);
}
