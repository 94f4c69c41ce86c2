package dev.riprap.http;

import dev.riprap.internal.Check;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Settings of the client's HTTP cache ({@link ClientSettings#cache(CacheSettings)}): an in-memory
 * RFC 9111 cache bounded by bytes. Immutable; each {@code with...} method returns new settings,
 * checked at once.
 *
 * <pre>{@code
 * ResilientHttpClient client = ResilientHttpClient.builder()
 *     .cache(CacheSettings.of(64 * 1024 * 1024)           // 64 MiB in all
 *         .withMaxEntryBytes(512 * 1024)                   // no response above 512 KiB is kept
 *         .withCredentialHeaders("X-Api-Key"))             // an answer to a key is the key's
 *     .build();
 * }</pre>
 *
 * <p>Defaults, and why: entries up to {@code min(maxBytes, 1 MiB)} (a larger body is streamed to
 * the caller untouched: copying a download into the heap to keep it would cost more than it
 * spares); heuristic freshness on (RFC 9111 section 4.2.2: 10% of the time since {@code
 * Last-Modified}, what browsers and CDNs do); no extra key headers; {@code Authorization} and
 * {@code Cookie} are credentials; <b>shared</b> semantics, since one client usually serves many
 * end users ({@code private} answers are not kept, {@code s-maxage} and {@code proxy-revalidate}
 * apply, an answer to credentials is kept only when the response says it may be shared).
 * docs/caching.md has every rule.
 */
public final class CacheSettings {
  /** The default cap of {@link #maxEntryBytes()}: 1 MiB. */
  static final long DEFAULT_MAX_ENTRY = 1024 * 1024;
  /** The credentials every request may carry: RFC 9111 names the first, browsers send the second. */
  private static final Set<String> ALWAYS = Set.of("authorization", "cookie");

  private final long maxBytes;
  private final long maxEntryBytes;
  private final boolean heuristicFreshness;
  private final Set<String> keyHeaders;
  private final Set<String> credentialHeaders;
  private final boolean shared;
  private final List<String> targetedFields;

  private CacheSettings(long maxBytes, long maxEntryBytes, boolean heuristicFreshness,
      Set<String> keyHeaders, Set<String> credentialHeaders, boolean shared,
      List<String> targetedFields) {
    this.maxBytes = maxBytes;
    this.maxEntryBytes = maxEntryBytes;
    this.heuristicFreshness = heuristicFreshness;
    this.keyHeaders = keyHeaders;
    this.credentialHeaders = credentialHeaders;
    this.shared = shared;
    this.targetedFields = targetedFields;
  }

  /**
   * A shared cache of at most {@code maxBytes} (bodies plus stored header fields), with the
   * defaults above.
   *
   * @param maxBytes the most bytes kept in all, at least 1
   * @return the settings
   * @throws IllegalArgumentException if {@code maxBytes} is below 1
   */
  public static CacheSettings of(long maxBytes) {
    Check.requireArgument(maxBytes >= 1, "cache maxBytes", ">= 1", maxBytes);
    return new CacheSettings(maxBytes, Math.min(maxBytes, DEFAULT_MAX_ENTRY), true,
        Collections.emptySet(), ALWAYS, true, List.of());
  }

  /**
   * These settings with another bound on one entry: a response whose body and header fields
   * exceed it is not kept (it streams to the caller untouched, copied only up to this bound).
   * A stored body is one byte array, so the bound is capped at {@code Integer.MAX_VALUE - 8}
   * bytes (just under 2 GiB, the largest array a JVM reliably allocates): a larger value is read
   * as that, and a body over it streams to the caller untouched and is not kept.
   *
   * @param bytes 1 to {@link #maxBytes()}; above {@code Integer.MAX_VALUE - 8} read as that
   * @return new settings
   * @throws IllegalArgumentException if out of range
   */
  public CacheSettings withMaxEntryBytes(long bytes) {
    Check.requireArgument(bytes >= 1 && bytes <= maxBytes, "cache maxEntryBytes",
        "1 to maxBytes (" + maxBytes + ")", bytes);
    return new CacheSettings(maxBytes, Math.min(bytes, HttpCache.LARGEST_BODY),
        heuristicFreshness, keyHeaders, credentialHeaders, shared, targetedFields);
  }

  /**
   * These settings with heuristic freshness on or off. When on (the default), a response with no
   * explicit lifetime but a {@code Last-Modified} and a status RFC 9110 calls heuristically
   * cacheable (200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501) is fresh for 10% of its age
   * at the time it was sent; when off, such a response is kept but validated before each use.
   *
   * @param on whether heuristic freshness applies
   * @return new settings
   */
  public CacheSettings withHeuristicFreshness(boolean on) {
    return new CacheSettings(maxBytes, maxEntryBytes, on, keyHeaders, credentialHeaders, shared,
        targetedFields);
  }

  /**
   * These settings with more request headers that select a stored response, as if every
   * response named them in {@code Vary} (for example {@code X-Tenant}, when the origin answers by
   * tenant but does not say so).
   *
   * @param names header field names, compared case-blind
   * @return new settings with these names added to {@link #keyHeaders()}
   * @throws IllegalArgumentException if a name is not a valid header field name
   * @throws NullPointerException if {@code names} or one of them is null
   */
  public CacheSettings withKeyHeaders(String... names) {
    return new CacheSettings(maxBytes, maxEntryBytes, heuristicFreshness,
        headerNames("cache keyHeaders", keyHeaders, names), credentialHeaders, shared,
        targetedFields);
  }

  /**
   * These settings with more request headers treated as credentials, like {@code Authorization}
   * (RFC 9111 section 3.5): in a shared cache the answer to a request carrying one is kept only
   * if the response says it may be shared ({@code public}, {@code s-maxage} or {@code
   * must-revalidate}).
   *
   * @param names header field names, compared case-blind
   * @return new settings with these names added to {@link #credentialHeaders()}
   * @throws IllegalArgumentException if a name is not a valid header field name
   * @throws NullPointerException if {@code names} or one of them is null
   */
  public CacheSettings withCredentialHeaders(String... names) {
    return new CacheSettings(maxBytes, maxEntryBytes, heuristicFreshness, keyHeaders,
        headerNames("cache credentialHeaders", credentialHeaders, names), shared,
        targetedFields);
  }

  /**
   * These settings with private-cache semantics: for a client that acts for one end user only.
   * Then {@code private} responses are kept, {@code s-maxage} and {@code proxy-revalidate} do not
   * apply, and answers to requests with credentials are kept.
   *
   * @return new settings
   */
  public CacheSettings asPrivate() {
    return new CacheSettings(maxBytes, maxEntryBytes, heuristicFreshness, keyHeaders,
        credentialHeaders, false, targetedFields);
  }

  /**
   * These settings with targeted cache-control fields (RFC 9213), for a client that acts as a CDN
   * or reverse proxy: {@code withTargetedFields("CDN-Cache-Control")}. When a response carries
   * one of them with a valid value, the first in this order decides how it is cached, in place of
   * its {@code Cache-Control} and {@code Expires}. Default none: a client is no CDN, and its
   * origin's {@code Cache-Control} is addressed to it.
   *
   * @param names header field names, in the order they are tried, replacing any set before
   * @return new settings
   * @throws IllegalArgumentException if a name is not a valid header field name
   * @throws NullPointerException if {@code names} or one of them is null
   */
  public CacheSettings withTargetedFields(String... names) {
    headerNames("cache targetedFields", Set.of(), names); // checks each name
    List<String> fields = new ArrayList<>();
    for (String n : names) { // in the order given: the order of precedence
      String lower = n.toLowerCase(Locale.ROOT);
      if (!fields.contains(lower)) {
        fields.add(lower);
      }
    }
    return new CacheSettings(maxBytes, maxEntryBytes, heuristicFreshness, keyHeaders,
        credentialHeaders, shared, Collections.unmodifiableList(fields));
  }

  /**
   * The targeted cache-control fields obeyed before {@code Cache-Control} (RFC 9213), lower-case,
   * in order. Default none.
   *
   * @return an unmodifiable list
   */
  public List<String> targetedFields() {
    return targetedFields;
  }

  /**
   * The most bytes kept in all.
   *
   * @return the bound, at least 1
   */
  public long maxBytes() {
    return maxBytes;
  }

  /**
   * The largest entry kept (body and header fields). Default {@code min(maxBytes, 1 MiB)}; never
   * above {@code Integer.MAX_VALUE - 8} (see {@link #withMaxEntryBytes(long)}).
   *
   * @return the bound
   */
  public long maxEntryBytes() {
    return maxEntryBytes;
  }

  /**
   * Whether heuristic freshness applies. Default true.
   *
   * @return the setting
   */
  public boolean heuristicFreshness() {
    return heuristicFreshness;
  }

  /**
   * The request headers that select a stored response beyond those its {@code Vary} names,
   * lower-case. Default none.
   *
   * @return an unmodifiable set
   */
  public Set<String> keyHeaders() {
    return keyHeaders;
  }

  /**
   * The request headers that mark a request as carrying a caller's credentials, lower-case;
   * always {@code authorization} and {@code cookie}.
   *
   * @return an unmodifiable set
   */
  public Set<String> credentialHeaders() {
    return credentialHeaders;
  }

  /**
   * Whether the cache follows the rules of a shared cache. Default true.
   *
   * @return false after {@link #asPrivate()}
   */
  public boolean shared() {
    return shared;
  }

  @Override
  public String toString() {
    return "CacheSettings{maxBytes=" + maxBytes + ", maxEntryBytes=" + maxEntryBytes
        + ", heuristicFreshness=" + heuristicFreshness + ", keyHeaders=" + keyHeaders
        + ", credentialHeaders=" + credentialHeaders + ", targetedFields=" + targetedFields + ", "
        + (shared ? "shared" : "private") + '}';
  }

  /** {@code current} plus {@code names}, lower-case, each checked as a field name. */
  static Set<String> headerNames(String setting, Set<String> current, String... names) {
    Set<String> all = new TreeSet<>(current);
    for (String n : Objects.requireNonNull(names, "names")) {
      Objects.requireNonNull(n, setting + " name");
      Check.requireArgument(isToken(n), setting,
          "header field names (letters, digits and !#$%&'*+-.^_`|~)", "'" + n + "'");
      all.add(n.toLowerCase(Locale.ROOT));
    }
    return Collections.unmodifiableSet(all);
  }

  private static boolean isToken(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (!CacheControl.isTokenChar(s.charAt(i))) {
        return false;
      }
    }
    return !s.isEmpty();
  }
}
