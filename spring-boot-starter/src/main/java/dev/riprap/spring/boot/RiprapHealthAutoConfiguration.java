package dev.riprap.spring.boot;

import dev.riprap.health.HealthMonitor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Actuator health from the {@link HealthMonitor} bean: the contributors {@code riprap}, {@code
 * riprapLiveness} and {@code riprapReadiness} (see {@link RiprapHealthIndicator}). Unless the
 * application configures the groups itself, {@code riprapLiveness} joins the {@code liveness} group
 * and {@code riprapReadiness} the {@code readiness} group ({@code
 * RiprapHealthGroupsEnvironmentPostProcessor}). {@code management.health.riprap.enabled=false}
 * turns all three off.
 */
@AutoConfiguration(after = RiprapAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(HealthMonitor.class)
public class RiprapHealthAutoConfiguration {
  // @ConditionalOnEnabledHealthIndicator sits on each bean, not on the class: a class-level
  // condition is loaded even when the class's @ConditionalOnClass fails, and without Actuator's
  // health module it cannot be.

  /**
   * The whole report, as the contributor {@code riprap}.
   *
   * @param monitor the monitor
   * @return the indicator
   */
  @Bean
  @ConditionalOnEnabledHealthIndicator("riprap")
  @ConditionalOnMissingBean(name = "riprapHealthIndicator")
  public RiprapHealthIndicator riprapHealthIndicator(HealthMonitor monitor) {
    return new RiprapHealthIndicator(monitor, RiprapHealthIndicator.View.REPORT);
  }

  /**
   * Liveness, as the contributor {@code riprapLiveness}.
   *
   * @param monitor the monitor
   * @return the indicator
   */
  @Bean
  @ConditionalOnEnabledHealthIndicator("riprap")
  @ConditionalOnMissingBean(name = "riprapLivenessHealthIndicator")
  public RiprapHealthIndicator riprapLivenessHealthIndicator(HealthMonitor monitor) {
    return new RiprapHealthIndicator(monitor, RiprapHealthIndicator.View.LIVENESS);
  }

  /**
   * Readiness, as the contributor {@code riprapReadiness}.
   *
   * @param monitor the monitor
   * @return the indicator
   */
  @Bean
  @ConditionalOnEnabledHealthIndicator("riprap")
  @ConditionalOnMissingBean(name = "riprapReadinessHealthIndicator")
  public RiprapHealthIndicator riprapReadinessHealthIndicator(HealthMonitor monitor) {
    return new RiprapHealthIndicator(monitor, RiprapHealthIndicator.View.READINESS);
  }
}
