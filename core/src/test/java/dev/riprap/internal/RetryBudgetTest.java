package dev.riprap.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.riprap.RetryBudget;
import dev.riprap.testing.FakeTimeSource;
import dev.riprap.testing.Race;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {
  private final FakeTimeSource time = new FakeTimeSource();

  @Test
  void retriesMayAddTheConfiguredShareOfCalls() {
    RetryBudget budget =
        RetryBudget.builder().ratio(0.2).minRetriesPerSecond(0).timeSource(time).build();
    for (int i = 0; i < 100; i++) {
      budget.recordCall();
    }

    int granted = 0;
    while (budget.tryAcquireRetry()) {
      granted++;
    }

    assertThat(granted).isEqualTo(20);
    assertThat(budget.hasRetryToken()).isFalse();
  }

  @Test
  void theFloorLetsAQuietCallerRetry() {
    RetryBudget budget =
        RetryBudget.builder().ratio(0).minRetriesPerSecond(2).window(Duration.ofSeconds(10))
            .timeSource(time).build();

    int granted = 0;
    while (budget.tryAcquireRetry()) {
      granted++;
    }

    assertThat(granted).isEqualTo(20);
  }

  @Test
  void depositsAndWithdrawalsExpireWithTheWindow() {
    RetryBudget budget =
        RetryBudget.builder().ratio(1).minRetriesPerSecond(0).window(Duration.ofSeconds(10))
            .timeSource(time).build();
    budget.recordCall();
    assertThat(budget.tryAcquireRetry()).isTrue();
    assertThat(budget.tryAcquireRetry()).isFalse();

    time.advance(Duration.ofSeconds(11));
    budget.recordCall();

    assertThat(budget.balance()).isEqualTo(1.0);
    assertThat(budget.tryAcquireRetry()).isTrue();
  }

  @Test
  void everyCallCountsWhenManyThreadsRecordAtOnce() {
    RetryBudget budget =
        RetryBudget.builder().ratio(1).minRetriesPerSecond(0).window(Duration.ofSeconds(10))
            .timeSource(time).build();
    Race.Party caller = () -> {
      for (int i = 0; i < 10_000; i++) {
        budget.recordCall();
      }
    };

    try (Race race = new Race(4)) {
      race.round(caller, caller, caller, caller);
    }

    assertThat(budget.balance()).isEqualTo(40_000.0);
  }

  @Test
  void aCallInANewBucketCountsThereAfterTheOldCountsExpired() {
    RetryBudget budget =
        RetryBudget.builder().ratio(1).minRetriesPerSecond(0).window(Duration.ofSeconds(10))
            .timeSource(time).build();
    for (int i = 0; i < 5; i++) {
      budget.recordCall();
    }

    time.advance(Duration.ofSeconds(10));
    budget.recordCall();
    budget.recordCall();

    assertThat(budget.balance()).isEqualTo(2.0);
  }

  @Test
  void aRefundGivesBackTheTokenOfARetryNeverSentEvenAcrossABucketBoundary() {
    RetryBudget budget =
        RetryBudget.builder().ratio(0).minRetriesPerSecond(1).window(Duration.ofSeconds(2))
            .timeSource(time).build();
    assertThat(budget.tryAcquireRetry()).isTrue();
    assertThat(budget.tryAcquireRetry()).isTrue();
    assertThat(budget.hasRetryToken()).isFalse();

    budget.refundRetry();
    assertThat(budget.balance()).isEqualTo(1.0);
    assertThat(budget.tryAcquireRetry()).isTrue();
    time.advance(Duration.ofMillis(300)); // the next bucket: the withdrawal's is still counted
    budget.refundRetry();

    assertThat(budget.balance()).isEqualTo(1.0);
    time.advance(Duration.ofSeconds(3));
    assertThat(budget.balance()).isEqualTo(2.0);
  }
}
