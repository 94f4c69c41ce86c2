package dev.riprap.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.Policy;
import dev.riprap.RetriesExhaustedException;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Mode;
import dev.riprap.testing.Mode.Outcome;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * When a policy gives up retrying, the caller still gets the last attempt's own exception, and
 * can tell from its suppressed exceptions which policy gave up, after how many attempts, and what
 * the earlier attempts failed with (a bounded number of them). Issue 10, "exhausted retries".
 */
class RetryExhaustedTest {
  /** The most suppressed exceptions a policy may attach, however many attempts it made. */
  private static final int SUPPRESSED_BOUND = 10;

  private final FakeTimeSource time = new FakeTimeSource();
  private final List<IOException> failures = new ArrayList<>();

  private Policy policy(int maxAttempts) {
    return Policy.builder("inventory")
        .timeSource(time)
        .asyncExecutor(Runnable::run)
        .retry(RetryConfig.custom().maxAttempts(maxAttempts).waitDuration(Duration.ofMillis(1)).build())
        .build();
  }

  private String failing() throws IOException {
    IOException e = new IOException("attempt " + (failures.size() + 1) + " failed");
    failures.add(e);
    throw e;
  }

  private static List<RetriesExhaustedException> exhausted(Throwable t) {
    return Arrays.stream(t.getSuppressed())
        .filter(RetriesExhaustedException.class::isInstance)
        .map(RetriesExhaustedException.class::cast)
        .collect(Collectors.toList());
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theLastAttemptsOwnExceptionCarriesThePolicyTheAttemptsAndTheEarlierFailures(Mode mode) {
    Outcome<String> out = mode.call(policy(3), time, this::failing);

    assertThat(failures).hasSize(3);
    assertThat(out.failure).as("the last attempt's own exception").isSameAs(failures.get(2));
    assertThat(out.failure.getSuppressed()).as("suppressed in the last attempt's exception")
        .contains(failures.get(0), failures.get(1));
    assertThat(exhausted(out.failure)).singleElement().satisfies(e -> {
      assertThat(e.policyName()).isEqualTo("inventory");
      assertThat(e.attempts()).isEqualTo(3);
      assertThat(e).hasMessage("Policy 'inventory' gave up after 3 attempts");
    });
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void fiftyAttemptsKeepABoundedNumberOfEarlierFailures(Mode mode) {
    Outcome<String> out = mode.call(policy(50), time, this::failing);

    assertThat(failures).hasSize(50);
    assertThat(out.failure).isSameAs(failures.get(49));
    assertThat(out.failure.getSuppressed()).as("suppressed in the last attempt's exception")
        .hasSizeLessThanOrEqualTo(SUPPRESSED_BOUND);
    assertThat(exhausted(out.failure)).singleElement()
        .extracting(RetriesExhaustedException::attempts).isEqualTo(50);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void oneExceptionThrownByEveryAttemptOfEveryCallNeitherSuppressesItselfNorGrows(Mode mode) {
    IOException shared = new IOException("always the same");
    Policy policy = policy(3);

    Outcome<String> first = mode.call(policy, time, () -> {
      throw shared;
    });
    for (int call = 0; call < 20; call++) {
      mode.call(policy, time, () -> {
        throw shared;
      });
    }

    assertThat(first.failure).isSameAs(shared);
    assertThat(shared.getSuppressed()).as("suppressed in the shared exception")
        .doesNotContain(shared)
        .hasSizeLessThanOrEqualTo(SUPPRESSED_BOUND);
    assertThat(exhausted(shared)).as("the record of who gave up").isNotEmpty();
  }
}
