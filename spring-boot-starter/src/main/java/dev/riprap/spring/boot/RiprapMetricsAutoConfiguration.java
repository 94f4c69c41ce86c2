package dev.riprap.spring.boot;

import dev.riprap.PolicyRegistry;
import dev.riprap.micrometer.MeterBinding;
import dev.riprap.micrometer.RiprapMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Riprap's meters in the application's {@link MeterRegistry}, when {@code riprap-micrometer} is on
 * the class path and a {@code MeterRegistry} bean exists (Spring Boot makes one with Actuator). The
 * {@link RiprapMetrics} bean is bound to the {@code PolicyRegistry} bean, and, as a {@code
 * PolicyObserver}, is told of the {@code ResilientHttpClient} bean's hosts, so per-host meters come
 * and go with them. The meter names are {@code RiprapMetrics}' own (see {@code
 * docs/operations.md}).
 */
@AutoConfiguration(
    after = RiprapAutoConfiguration.class,
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"
    })
@ConditionalOnClass({RiprapMetrics.class, MeterRegistry.class})
@ConditionalOnBean(MeterRegistry.class)
public class RiprapMetricsAutoConfiguration {
  /**
   * Riprap's metrics in the registry.
   *
   * @param meters the meter registry
   * @return the metrics
   */
  @Bean
  @ConditionalOnMissingBean
  public RiprapMetrics riprapMetrics(MeterRegistry meters) {
    return new RiprapMetrics(meters);
  }

  /**
   * The meters of every policy registry bean (ours, or the application's, however many): their
   * policies' primitives, calls and retries, later policies included. Closed (meters removed) with
   * the context.
   *
   * @param metrics the metrics
   * @param registries the policy registries
   * @return one binding of them all
   */
  @Bean
  @ConditionalOnBean(PolicyRegistry.class)
  @ConditionalOnMissingBean(name = "riprapPolicyRegistryMeters")
  public MeterBinding riprapPolicyRegistryMeters(
      RiprapMetrics metrics, ObjectProvider<PolicyRegistry> registries) {
    List<MeterBinding> bindings = registries.orderedStream().map(metrics::bind).toList();
    return () -> bindings.forEach(MeterBinding::close);
  }
}
