package dev.riprap.http;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Set;

/** Whether a request carries a caller's credentials, for the cache's RFC 9111 §3.5 rule. */
final class Credentials {
  private Credentials() {}

  /**
   * Whether the request goes out with a caller's credentials: a header named in the settings, or
   * one the delegate adds on its own. Its {@code Authenticator} answers a 401 with {@code
   * Authorization} on a request this client never sees, so with one every request counts; its
   * {@code CookieHandler} adds {@code Cookie} when it holds cookies for the URI (and counts as
   * adding them if it fails to say).
   */
  static boolean carried(HttpRequest request, Set<String> credentialHeaders,
      HttpClient delegate) {
    for (String name : credentialHeaders) {
      if (request.headers().firstValue(name).isPresent()) {
        return true;
      }
    }
    if (delegate.authenticator().isPresent()) {
      return true;
    }
    java.net.CookieHandler cookies = delegate.cookieHandler().orElse(null);
    if (cookies == null) {
      return false;
    }
    try {
      for (List<String> values : cookies.get(request.uri(), request.headers().map()).values()) {
        if (!values.isEmpty()) {
          return true;
        }
      }
      return false;
    } catch (java.io.IOException | RuntimeException e) {
      return true;
    }
  }
}
