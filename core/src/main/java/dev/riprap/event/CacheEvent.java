package dev.riprap.event;

import java.time.Instant;
import java.util.Map;

/**
 * What the HTTP client's cache did for one request (riprap-http's {@code
 * ResilientHttpClient.Builder.cache}): published on the per-host policy of the request, tagged
 * {@code host} and {@code policy}. One event per decision; the outcomes are a fixed set, so a
 * metric per outcome has bounded cardinality.
 *
 * @param policy the per-host policy's name
 * @param tags the policy's tags
 * @param time when the cache decided, by the client's time source
 * @param outcome what it did
 */
public record CacheEvent(String policy, Map<String, String> tags, Instant time, Outcome outcome)
    implements PolicyEvent {
  /** What the cache did. */
  public enum Outcome {
    /** A fresh stored response was served; nothing was sent upstream. */
    HIT,
    /** Nothing usable was stored: the request went upstream. */
    MISS,
    /** A stored response was validated upstream and the origin answered 304: it was served. */
    REVALIDATED,
    /**
     * A stored response was validated upstream and the origin sent a new response instead, or a
     * 304 naming another validator (then the request was sent again unconditionally).
     */
    CHANGED,
    /**
     * The request waited for another request to the same URI already upstream, and was served
     * what that one stored.
     */
    COALESCED,
    /**
     * A stale response was served at once while one background request refreshes it ({@code
     * stale-while-revalidate}).
     */
    STALE_WHILE_REVALIDATE,
    /** A stale response was served because the upstream failed or the client refused the call. */
    STALE_IF_ERROR
  }
}
