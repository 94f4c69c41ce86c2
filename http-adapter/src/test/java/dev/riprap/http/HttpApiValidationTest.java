package dev.riprap.http;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.riprap.PolicyRegistry;
import dev.riprap.annotation.Policy;
import dev.riprap.annotation.Retry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every mistake in a declarative interface fails in create(), naming interface, method, problem. */
class HttpApiValidationTest {
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static final URI BASE = URI.create("http://127.0.0.1:9/api");

  private static void assertRejected(
      Class<?> api, Class<? extends RuntimeException> type, String message) {
    assertRejected(HttpApi.builder(CLIENT, BASE).build(), api, type, message);
  }

  private static void assertRejected(
      HttpApi http, Class<?> api, Class<? extends RuntimeException> type, String message) {
    assertThatThrownBy(() -> http.create(api)).isExactlyInstanceOf(type).hasMessage(message);
  }

  /** Package-private: the proxy of a public interface, made in another package, cannot reach it. */
  static final class Item {
    public String name;
  }

  public interface ReturnsPackagePrivate {
    @GET("/items/{id}")
    Item item(@Path("id") String id);
  }

  @Test
  void aPublicInterfaceReturningAPackagePrivateTypeIsRejectedAtCreation() {
    assertRejected(
        ReturnsPackagePrivate.class,
        IllegalArgumentException.class,
        "ReturnsPackagePrivate.item(String): returns dev.riprap.http.HttpApiValidationTest$Item,"
            + " which is not public: the proxy of a public interface is made in another package"
            + " and could not cast the result at the first call (IllegalAccessError); make"
            + " HttpApiValidationTest.Item public or ReturnsPackagePrivate package-private");
  }

  interface VariableWithoutParameter {
    @GET("/items/{id}/{part}")
    String get(@Path("id") String id);
  }

  @Test
  void aTemplateVariableWithoutAParameterIsRejected() {
    assertRejected(
        VariableWithoutParameter.class,
        IllegalArgumentException.class,
        "VariableWithoutParameter.get(String): path variable {part} of '/items/{id}/{part}' has no"
            + " @Path parameter");
  }

  interface ParameterWithoutVariable {
    @GET("/items/{id}")
    String get(@Path("id") String id, @Path("part") String part);
  }

  @Test
  void aPathParameterWithoutAVariableIsRejected() {
    assertRejected(
        ParameterWithoutVariable.class,
        IllegalArgumentException.class,
        "ParameterWithoutVariable.get(String, String): @Path(\"part\") names no variable of the path"
            + " template '/items/{id}'");
  }

  interface Unclosed {
    @GET("/items/{id")
    String get(@Path("id") String id);
  }

  @Test
  void anUnclosedVariableIsRejected() {
    assertRejected(
        Unclosed.class,
        IllegalArgumentException.class,
        "Unclosed.get(String): @GET path template '/items/{id' has an unclosed '{'");
  }

  interface NoVerb {
    String get();
  }

  @Test
  void aMethodWithoutAnHttpMethodIsRejected() {
    assertRejected(
        NoVerb.class,
        IllegalArgumentException.class,
        "NoVerb.get(): no HTTP method; annotate it with @GET, @POST, @PUT, @DELETE, @PATCH or @HEAD");
  }

  interface TwoVerbs {
    @GET("/a")
    @POST("/a")
    String get();
  }

  @Test
  void twoHttpMethodsAreAContradiction() {
    assertRejected(
        TwoVerbs.class, IllegalStateException.class, "TwoVerbs.get(): carries both @GET and @POST");
  }

  interface Unannotated {
    @GET("/a")
    String get(String q);
  }

  @Test
  void aParameterWithoutARoleIsRejected() {
    assertRejected(
        Unannotated.class,
        IllegalArgumentException.class,
        "Unannotated.get(String): parameter 0 (String) has no @Path, @Query, @Header or @Body");
  }

  interface TwoRoles {
    @GET("/a")
    String get(@Query("q") @Header("X-Q") String q);
  }

  @Test
  void aParameterWithTwoRolesIsAContradiction() {
    assertRejected(
        TwoRoles.class,
        IllegalStateException.class,
        "TwoRoles.get(String): parameter 0 (String) carries @Query and @Header");
  }

  interface BodyOnGet {
    @GET("/a")
    String get(@Body String body);
  }

  @Test
  void aBodyOnAGetIsAContradiction() {
    assertRejected(
        BodyOnGet.class, IllegalStateException.class, "BodyOnGet.get(String): a @GET request has no @Body");
  }

  interface RestrictedHeader {
    @GET("/a")
    String get(@Header("Host") String host);
  }

  @Test
  void aHeaderTheJdkRefusesIsRejected() {
    assertRejected(
        RestrictedHeader.class,
        IllegalArgumentException.class,
        "RestrictedHeader.get(String): @Header(\"Host\") cannot be sent by java.net.http: restricted"
            + " header name: \"Host\"");
  }

  interface OddResponse {
    @GET("/a")
    HttpResponse<Integer> get();
  }

  @Test
  void anUnsupportedResponseBodyTypeIsRejected() {
    assertRejected(
        OddResponse.class,
        IllegalArgumentException.class,
        "OddResponse.get(): returns HttpResponse<Integer>; expected HttpResponse<String>,"
            + " HttpResponse<byte[]> or HttpResponse<Void>");
  }

  interface RetriedPost {
    @POST("/orders")
    @Retry(maxAttempts = 3)
    String order(@Body String order);
  }

  @Test
  void aRetriedPostWithoutIdempotentIsAContradiction() {
    assertRejected(
        RetriedPost.class,
        IllegalStateException.class,
        "RetriedPost.order(String): @Retry would resend a POST, which is not idempotent; add"
            + " @Idempotent (each call then carries an Idempotency-Key) or remove the retry");
  }

  @Retry(maxAttempts = 2)
  interface RetriedInterface {
    @GET("/orders")
    String orders();

    @PATCH("/orders/{id}")
    String amend(@Path("id") String id, @Body String change);
  }

  @Test
  void anInterfaceRetryOverAPatchIsAContradiction() {
    assertRejected(
        RetriedInterface.class,
        IllegalStateException.class,
        "RetriedInterface.amend(String, String): @Retry on the interface would resend a PATCH,"
            + " which is not idempotent; add @Idempotent (each call then carries an"
            + " Idempotency-Key) or remove the retry");
  }

  interface RegistryRetriedPost {
    @POST("/orders")
    @Policy("payments")
    String order(@Body String order);
  }

  @Test
  void aPostOnARetryingRegistryPolicyIsAContradiction() {
    PolicyRegistry registry =
        PolicyRegistry.builder()
            .policy("payments", p -> p.retry(3, Duration.ofMillis(10), Duration.ofMillis(10)))
            .build();
    assertRejected(
        HttpApi.builder(CLIENT, BASE).registry(registry).build(),
        RegistryRetriedPost.class,
        IllegalStateException.class,
        "RegistryRetriedPost.order(String): @Policy(\"payments\"), which retries, would resend a"
            + " POST, which is not idempotent; add @Idempotent (each call then carries an"
            + " Idempotency-Key) or remove the retry");
  }

  interface HugeProbes {
    @GET("/items")
    @dev.riprap.annotation.CircuitBreaker(halfOpenCalls = 2_000_000_000)
    String items();
  }

  interface EndlessTimeout {
    @GET("/items")
    @dev.riprap.annotation.Timeout(total = "PT9999999999999999999H")
    String items();
  }

  @Test
  void hugeAnnotationValuesAreRefusedWithTheirLimit() {
    assertRejected(
        HugeProbes.class,
        IllegalArgumentException.class,
        "HugeProbes.items(): @CircuitBreaker halfOpenCalls must be in [1, 100000], was"
            + " 2000000000");
    assertRejected(
        EndlessTimeout.class,
        IllegalArgumentException.class,
        "EndlessTimeout.items(): @Timeout total: expected a duration of at most 292 billion"
            + " years, was 'PT9999999999999999999H'");
  }

  interface NeedsCodec {
    @GET("/a")
    java.util.Map<String, Integer> get();
  }

  @Test
  void aTypeThatNeedsACodecIsRejectedWithoutOne() {
    HttpApi noCodec = HttpApi.builder(CLIENT, BASE).withoutCodec().build();
    assertRejected(
        noCodec,
        NeedsCodec.class,
        IllegalArgumentException.class,
        "NeedsCodec.get(): returns Map<String, Integer>, which needs a BodyCodec; put"
            + " jackson-databind on the classpath or set HttpApi.Builder.codec");
  }

  interface DefaultWithVerb {
    @GET("/a")
    default String get() {
      return "";
    }
  }

  @Test
  void anHttpMethodOnADefaultMethodIsAContradiction() {
    assertRejected(
        DefaultWithVerb.class,
        IllegalStateException.class,
        "DefaultWithVerb.get(): is a default method, so its @GET would never be sent");
  }

  @Test
  void aBaseUriWithAQueryIsRejectedWithoutShowingItsCredentials() {
    assertThatThrownBy(() -> HttpApi.builder(CLIENT, URI.create("http://u:pw@h/api?key=s3cret")))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "baseUri must be an absolute http or https URI without query or fragment, was"
                + " http://h/api?key=...");
  }

  @Test
  void aBaseUriWithAFragmentIsRejectedShowingThatItHasOne() {
    assertThatThrownBy(() -> HttpApi.builder(CLIENT, URI.create("http://h/api#part")))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "baseUri must be an absolute http or https URI without query or fragment, was"
                + " http://h/api#...");
  }

  interface Checked {
    @GET("/a")
    String get() throws IOException;
  }

  @Test
  void aValidInterfaceMakesAClientWithoutSending() {
    // Port 9 (discard) is never contacted: creation sends nothing.
    org.assertj.core.api.Assertions.assertThat(HttpApi.create(Checked.class, CLIENT, BASE))
        .isInstanceOf(Checked.class);
  }

  // ---------------------------------------------------------------- @Retry over a ResilientHttpClient

  interface RetryOnListed {
    @GET("/items")
    @Retry(retryOn = IOException.class)
    String items();
  }

  interface AbortOnListed {
    @GET("/items")
    @Retry(abortOn = HttpStatusException.class)
    String items();
  }

  interface TooManyAttempts {
    @GET("/items")
    @Retry(maxAttempts = 12)
    String items();
  }

  @Retry
  interface AttemptTimeoutOverTheRoutesTotal {
    @GET("/items")
    @dev.riprap.annotation.Timeout("45s")
    String items();
  }

  @Test
  void overAResilientClientTheClientsClassifierDecidesSoRetryOnAndAbortOnAreRefused() {
    try (ResilientHttpClient client = ResilientHttpClient.standard()) {
      HttpApi http = HttpApi.builder(client, BASE).build();
      assertRejected(http, RetryOnListed.class, IllegalArgumentException.class,
          "RetryOnListed.items(): @Retry retryOn cannot apply to an HttpApi method over a"
              + " ResilientHttpClient: its requests are retried by the client, whose"
              + " HttpClassifier decides which failures are transient; remove it, or set the"
              + " client's classifier");
      assertRejected(http, AbortOnListed.class, IllegalArgumentException.class,
          "AbortOnListed.items(): @Retry abortOn cannot apply to an HttpApi method over a"
              + " ResilientHttpClient: its requests are retried by the client, whose"
              + " HttpClassifier decides which failures are transient; remove it, or set the"
              + " client's classifier");
    }
    // Over another HttpClient the method-level retry applies them, as for any proxy.
    org.assertj.core.api.Assertions.assertThat(HttpApi.create(RetryOnListed.class, CLIENT, BASE))
        .isInstanceOf(RetryOnListed.class);
  }

  @Test
  void overAResilientClientMoreAttemptsThanTheClientMakesAreRefused() {
    try (ResilientHttpClient client = ResilientHttpClient.standard()) {
      assertRejected(HttpApi.builder(client, BASE).build(), TooManyAttempts.class,
          IllegalArgumentException.class,
          "TooManyAttempts.items(): @Retry maxAttempts must be in [1, 11], was 12");
    }
  }

  @Test
  void anAttemptTimeoutOverTheRoutesTotalTimeoutIsAContradiction() {
    try (ResilientHttpClient client = ResilientHttpClient.standard()) {
      assertRejected(HttpApi.builder(client, BASE).build(), AttemptTimeoutOverTheRoutesTotal.class,
          IllegalStateException.class,
          "AttemptTimeoutOverTheRoutesTotal.items(): @Timeout value (45s) must not exceed the total"
              + " timeout (30s) of the client's policy 'default'; set @Timeout total as well");
    }
  }
}
