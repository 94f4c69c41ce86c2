package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How a URI is printed: scheme, host, port, path and query names; never userinfo or values. */
class RedactTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "http://user:secret@api.example:8080/items?api_key=k1&page=2#frag | http://api.example:8080/items?api_key=...&page=...",
    "https://api.example/v1/items                                   | https://api.example/v1/items",
    "https://token@api.example                                      | https://api.example",
    "http://api.example/search?q=&flag&x=a=b                         | http://api.example/search?q=...&flag&x=...",
    "http://[::1]:9000/p%20q?secret=%2Fa                             | http://[::1]:9000/p%20q?secret=...",
    "http://my_host:80/x?token=t                                     | http://my_host:80/x?token=...",
    "/relative/path?key=v                                            | /relative/path?key=...",
    "mailto:alice@example.com                                        | mailto:...",
  })
  void aUriKeepsWhatHelpsDebuggingAndLosesWhatMayBeACredential(String uri, String printed) {
    assertThat(Redact.uri(URI.create(uri))).isEqualTo(printed);
    assertThat(Redact.uri(uri)).isEqualTo(printed);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "http://user:pw@host:80/a b?key=v | http://host:80/a b?...",
    "http://user:pw@host/a b#x        | http://host/a b",
    "no scheme at all ?key=v          | no scheme at all ?...",
  })
  void textThatIsNoUriIsCutBeforeItsQueryAndLosesItsUserinfo(String text, String printed) {
    assertThat(Redact.uri(text)).isEqualTo(printed);
  }

  @ParameterizedTest
  @CsvSource({
    "http://u:p@API.Example:8080/x, api.example:8080",
    "http://api.example/x, api.example",
    "http://a@b@c.example:1/, c.example:1",
  })
  void theAuthorityIsHostAndPortLowerCase(String uri, String authority) {
    assertThat(Redact.authority(URI.create(uri))).isEqualTo(authority);
  }

  @ParameterizedTest
  @CsvSource({"file:/etc/passwd?x=1, file:/etc/passwd?x=..."})
  void aUriWithoutHostIsRefusedWithoutItsQueryValues(String uri, String printed) {
    assertThatThrownBy(() -> Redact.authority(URI.create(uri)))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("request URI has no host: " + printed);
  }
}
