package dev.riprap.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.riprap.Policy;
import dev.riprap.PolicyRegistry;
import dev.riprap.RejectedException;
import dev.riprap.RejectionReason;
import dev.riprap.event.RetryScheduled;
import dev.riprap.health.HealthMonitor;
import dev.riprap.http.HttpPolicy;
import dev.riprap.http.ResilientHttpClient;
import dev.riprap.lifecycle.GracefulShutdown;
import dev.riprap.lifecycle.ShutdownReport;
import dev.riprap.micrometer.RiprapMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The starter's beans in a real Spring context, without a web server. */
class RiprapAutoConfigurationTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  RiprapAutoConfiguration.class, RiprapMetricsAutoConfiguration.class));

  @Test
  void riprapKeysOfTheEnvironmentBecomeTheRegistrysPolicies() {
    runner
        .withPropertyValues(
            "riprap.defaults.attempt-timeout=2s",
            "riprap.policies.inventory.retry.max-attempts=2",
            "riprap.policies.inventory.retry.wait-duration=1ms",
            "riprap.policies.payments.retry.enabled=false",
            "other.key=ignored")
        .run(
            context -> {
              PolicyRegistry registry = context.getBean(PolicyRegistry.class);
              assertThat(registry.names()).containsExactly("inventory", "payments");
              Policy inventory = registry.policy("inventory");
              assertThat(inventory.attemptTimeout()).contains(Duration.ofSeconds(2));
              int[] calls = {0};
              assertThatThrownBy(
                      () ->
                          inventory.call(
                              () -> {
                                calls[0]++;
                                throw new IllegalStateException("down");
                              }))
                  .hasMessageContaining("down");
              assertThat(calls[0]).isEqualTo(2);
            });
  }

  @Test
  void anUnknownKeyFailsTheStartNamingTheClosestKey() {
    runner
        .withPropertyValues("riprap.policies.inventory.retry.max-attempt=3")
        .run(
            context -> {
              Throwable failure = context.getStartupFailure();
              assertThat(failure).hasRootCauseInstanceOf(IllegalArgumentException.class);
              InvalidRiprapConfigurationException invalid = invalid(failure);
              assertThat(invalid)
                  .hasMessage(
                      "Unknown key 'riprap.policies.inventory.retry.max-attempt': did you mean"
                          + " 'riprap.policies.inventory.retry.max-attempts'?");
              FailureAnalysis analysis = new RiprapConfigurationFailureAnalyzer().analyze(failure);
              assertThat(analysis.getDescription())
                  .isEqualTo("Riprap's configuration is invalid: " + invalid.getMessage());
              assertThat(analysis.getAction()).contains("docs/configuration.md");
            });
  }

  @Test
  void keysAreTakenAsWrittenNotRelaxed() {
    runner
        .withPropertyValues("riprap.policies.inventory.retry.maxAttempts=3")
        .run(
            context ->
                assertThat(invalid(context.getStartupFailure()))
                    .hasMessage(
                        "Unknown key 'riprap.policies.inventory.retry.maxAttempts': did you mean"
                            + " 'riprap.policies.inventory.retry.max-attempts'?"));
  }

  @Test
  void aBadValueFailsTheStartWithRipapsMessage() {
    runner
        .withPropertyValues("riprap.policies.inventory.attempt-timeout=abc")
        .run(
            context ->
                assertThat(invalid(context.getStartupFailure()))
                    .hasMessage(
                        "riprap.policies.inventory.attempt-timeout: expected a positive duration"
                            + " such as 250ms, 2s or PT2S, was 'abc'"));
  }

  @Test
  void conflictingSettingsFailTheStartNamingBothKeys() {
    runner
        .withPropertyValues(
            "riprap.policies.inventory.attempt-timeout=5s", "riprap.defaults.total-timeout=2s")
        .run(
            context ->
                assertThat(invalid(context.getStartupFailure()))
                    .hasCauseInstanceOf(IllegalStateException.class)
                    .hasMessage(
                        "Policy 'inventory': attempt timeout (5s) must not exceed total timeout"
                            + " (2s) (from riprap.policies.inventory.attempt-timeout=5s,"
                            + " riprap.defaults.total-timeout=2s)"));
  }

  @Test
  void customizersAddPoliciesInCodeAndChangeTheHttpClient() {
    runner
        .withPropertyValues("riprap.policies.inventory.bulkhead.max-concurrent-calls=3")
        .withBean(
            RiprapRegistryCustomizer.class,
            () -> registry -> registry.policy("payments", p -> p.bulkhead(10)))
        .withBean(
            RiprapHttpClientCustomizer.class,
            () -> client -> client.policy(HttpPolicy.builder("pricing").maxRetries(1).build()))
        .run(
            context -> {
              assertThat(context.getBean(PolicyRegistry.class).names())
                  .containsExactly("inventory", "payments");
              ResilientHttpClient client = context.getBean(ResilientHttpClient.class);
              assertThat(client.policy().name()).isEqualTo("pricing");
              assertThat(client.connectTimeout()).contains(Duration.ofSeconds(10));
            });
  }

  @Test
  void everyBeanGivesWayToTheApplications() {
    PolicyRegistry own = PolicyRegistry.builder().build();
    ResilientHttpClient ownClient = ResilientHttpClient.standard();
    HealthMonitor ownHealth = new HealthMonitor();
    runner
        .withBean(PolicyRegistry.class, () -> own)
        .withBean(ResilientHttpClient.class, () -> ownClient)
        .withBean(HealthMonitor.class, () -> ownHealth)
        .withPropertyValues("riprap.policies.ignored.retry.max-attempts=oops")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(PolicyRegistry.class)).isSameAs(own);
              assertThat(context.getBean(ResilientHttpClient.class)).isSameAs(ownClient);
              assertThat(context.getBean(HealthMonitor.class)).isSameAs(ownHealth);
            });
  }

  @Test
  void metricsAreBoundWhenAMeterRegistryBeanIsPresent() {
    runner
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withPropertyValues("riprap.policies.inventory.bulkhead.max-concurrent-calls=3")
        .run(
            context -> {
              assertThat(context).hasSingleBean(RiprapMetrics.class);
              context.getBean(PolicyRegistry.class).policy("inventory").call(() -> "stock");
              MeterRegistry meters = context.getBean(MeterRegistry.class);
              assertThat(meters.get(RiprapMetrics.CALLS).tag("policy", "inventory").timer().count())
                  .isEqualTo(1);
            });
  }

  @Test
  void withoutAMeterRegistryOrWithoutRiprapMicrometerNothingIsBound() {
    runner.run(context -> assertThat(context).doesNotHaveBean(RiprapMetrics.class));
    runner
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withClassLoader(new FilteredClassLoader(RiprapMetrics.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean("riprapMetrics");
            });
  }

  @Test
  void withoutActuatorHealthOrSpringsHttpClientsTheRestStillStarts() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                RiprapAutoConfiguration.class,
                RiprapHttpClientsAutoConfiguration.class,
                RiprapHealthAutoConfiguration.class,
                RiprapMetricsAutoConfiguration.class))
        .withClassLoader(
            new FilteredClassLoader(
                "org.springframework.boot.health",
                "org.springframework.boot.http.client",
                "org.springframework.web.client",
                "feign"))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(PolicyRegistry.class);
              assertThat(context).hasSingleBean(ResilientHttpClient.class);
              assertThat(context).doesNotHaveBean(RiprapHealthIndicator.class);
              assertThat(context).doesNotHaveBean(RiprapRestClientCustomizer.class);
            });
  }

  @Test
  void theThreeHealthContributorsAreOnUnlessTurnedOff() {
    ApplicationContextRunner withHealth =
        runner.withConfiguration(AutoConfigurations.of(RiprapHealthAutoConfiguration.class));
    withHealth.run(
        context ->
            assertThat(context.getBeansOfType(RiprapHealthIndicator.class).keySet())
                .containsExactlyInAnyOrder(
                    "riprapHealthIndicator",
                    "riprapLivenessHealthIndicator",
                    "riprapReadinessHealthIndicator"));
    withHealth
        .withPropertyValues("management.health.riprap.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(RiprapHealthIndicator.class));
  }

  @Test
  void theDrainIsBoundedByTheShutdownPhaseTimeout() {
    runner
        .withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=7s")
        .run(
            context ->
                assertThat(context.getBean(RiprapOutboundDrain.class).timeout())
                    .isEqualTo(Duration.ofSeconds(7)));
    runner
        .withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=0s")
        .run(
            context ->
                assertThat(context.getStartupFailure())
                    .rootCause()
                    .hasMessage(
                        "spring.lifecycle.timeout-per-shutdown-phase: expected a positive duration"
                            + " for Riprap's outbound drain, was '0s'"));
  }

  @Test
  void closingTheContextTurnsReadinessOffThenDrainsTheCallsInFlight() throws Exception {
    CountDownLatch waiting = new CountDownLatch(1);
    RiprapOutboundDrain[] drain = new RiprapOutboundDrain[1];
    HealthMonitor[] health = new HealthMonitor[1];
    PolicyRegistry[] registry = new PolicyRegistry[1];
    CompletableFuture<String> inFlight = new CompletableFuture<>();
    runner
        .withPropertyValues(
            // A failed first attempt waits an hour before its retry: only the drain can end it.
            "riprap.policies.inventory.retry.max-attempts=3",
            "riprap.policies.inventory.retry.wait-duration=1h",
            "riprap.policies.inventory.retry.jitter=0",
            "spring.lifecycle.timeout-per-shutdown-phase=10s")
        .run(
            context -> {
              drain[0] = context.getBean(RiprapOutboundDrain.class);
              health[0] = context.getBean(HealthMonitor.class);
              registry[0] = context.getBean(PolicyRegistry.class);
              registry[0].events().subscribe(RetryScheduled.class, e -> waiting.countDown());
              Policy inventory = registry[0].policy("inventory");
              Thread caller =
                  new Thread(
                      () -> {
                        try {
                          inFlight.complete(
                              inventory.call(
                                  () -> {
                                    throw new IOException("connection reset");
                                  }));
                        } catch (Throwable t) {
                          inFlight.completeExceptionally(t);
                        }
                      });
              caller.setDaemon(true);
              caller.start();
              assertThat(waiting.await(10, TimeUnit.SECONDS)).isTrue();
              assertThat(health[0].isReady()).isTrue();
            });
    // The runner closed the context: readiness went false, the drain cut the wait short.
    assertThat(health[0].isReady()).isFalse();
    assertThatThrownBy(() -> inFlight.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IOException.class);
    List<ShutdownReport.StepResult> drained =
        drain[0].lastReport().orElseThrow().steps(GracefulShutdown.Phase.DRAIN_OUTBOUND);
    assertThat(drained)
        .extracting(ShutdownReport.StepResult::name)
        .containsExactly("policy registry", "http client");
    ShutdownReport.StepResult policies = drained.get(0);
    assertThat(policies.status()).isEqualTo(ShutdownReport.Status.COMPLETED);
    assertThat(policies.drain().retriesCutShort()).isEqualTo(1);
    assertThat(policies.drain().stillRunning()).isZero();
    assertThatThrownBy(() -> registry[0].policy("inventory").call(() -> "late"))
        .isInstanceOfSatisfying(
            RejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.SHUTTING_DOWN));
  }

  @Test
  void aCallStillRunningAtThePhaseTimeoutIsReportedAndTheShutdownGoesOn() throws Exception {
    CountDownLatch inCall = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    RiprapOutboundDrain[] drain = new RiprapOutboundDrain[1];
    try {
      runner
          .withPropertyValues(
              "riprap.policies.inventory.bulkhead.max-concurrent-calls=3",
              "spring.lifecycle.timeout-per-shutdown-phase=200ms")
          .run(
              context -> {
                drain[0] = context.getBean(RiprapOutboundDrain.class);
                Policy inventory = context.getBean(PolicyRegistry.class).policy("inventory");
                Thread caller =
                    new Thread(
                        () -> {
                          try {
                            inventory.call(
                                () -> {
                                  inCall.countDown();
                                  finish.await();
                                  return "stock";
                                });
                          } catch (Exception e) {
                            // the test only looks at the drain
                          }
                        });
                caller.setDaemon(true);
                caller.start();
                assertThat(inCall.await(10, TimeUnit.SECONDS)).isTrue();
              });
      ShutdownReport report = drain[0].lastReport().orElseThrow();
      // Both stopped admitting before the registry's wait used the whole phase timeout.
      assertThat(report.steps(GracefulShutdown.Phase.STOP_ACCEPTING))
          .extracting(ShutdownReport.StepResult::name, ShutdownReport.StepResult::status)
          .containsExactly(
              tuple("policy registry", ShutdownReport.Status.COMPLETED),
              tuple("http client", ShutdownReport.Status.COMPLETED));
      ShutdownReport.StepResult registryStep =
          report.steps(GracefulShutdown.Phase.DRAIN_OUTBOUND).get(0);
      // Returned at the deadline: reported incomplete, or overrun when it ended just past it.
      assertThat(registryStep.status())
          .isIn(ShutdownReport.Status.INCOMPLETE, ShutdownReport.Status.OVERRUN);
      assertThat(registryStep.drain().stillRunning()).isEqualTo(1);
      assertThat(report.isClean()).isFalse();
    } finally {
      finish.countDown();
    }
  }

  static InvalidRiprapConfigurationException invalid(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof InvalidRiprapConfigurationException invalid) {
        return invalid;
      }
    }
    throw new AssertionError("no InvalidRiprapConfigurationException in " + failure, failure);
  }

  /** A limiter provider of the kind riprap-bucket4j registers: a fixed number of permits. */
  static final class CountingLimiterProvider implements dev.riprap.config.LimiterProvider {
    @Override
    public String name() {
      return "counting";
    }

    @Override
    public List<String> settings() {
      return List.of("permits");
    }

    @Override
    public Object parse(String setting, String key, String raw) {
      try {
        return Integer.parseInt(raw);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(key + ": expected a whole number, was '" + raw + "'");
      }
    }

    @Override
    public dev.riprap.ExternalLimiter limiter(
        String policy,
        java.util.Map<String, Object> values,
        java.util.Map<String, String> keys,
        dev.riprap.TimeSource timeSource) {
      java.util.concurrent.atomic.AtomicInteger left =
          new java.util.concurrent.atomic.AtomicInteger((Integer) values.get("permits"));
      return new dev.riprap.ExternalLimiter() {
        @Override
        public long acquire(long remainingNanos) {
          return left.getAndDecrement() > 0 ? 0 : REFUSED;
        }

        @Override
        public java.util.concurrent.CompletionStage<Long> acquireAsync(long remainingNanos) {
          return CompletableFuture.completedFuture(acquire(remainingNanos));
        }
      };
    }
  }

  @Test
  void aLimiterProviderBeanMakesItsKeysValidAndLimitsThePolicy() {
    runner
        .withBean(CountingLimiterProvider.class)
        .withPropertyValues("riprap.policies.quota.rate-limiter.counting.permits=2")
        .run(
            context -> {
              Policy quota = context.getBean(PolicyRegistry.class).policy("quota");
              assertThat(quota.call(() -> "a")).isEqualTo("a");
              assertThat(quota.call(() -> "b")).isEqualTo("b");
              assertThatThrownBy(() -> quota.call(() -> "c"))
                  .isInstanceOf(RejectedException.class)
                  .extracting(e -> ((RejectedException) e).reason())
                  .isEqualTo(RejectionReason.RATE_LIMITED);
            });
  }

  @Test
  void withoutTheProviderBeanItsKeysAreUnknownKeys() {
    runner
        .withPropertyValues("riprap.policies.quota.rate-limiter.counting.permits=2")
        .run(
            context ->
                assertThat(invalid(context.getStartupFailure()))
                    .hasMessageStartingWith(
                        "Unknown key 'riprap.policies.quota.rate-limiter.counting.permits'"));
  }
}
