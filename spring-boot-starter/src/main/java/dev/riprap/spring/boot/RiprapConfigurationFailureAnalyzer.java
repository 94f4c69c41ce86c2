package dev.riprap.spring.boot;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns an {@link InvalidRiprapConfigurationException} into Spring Boot's start-up report: the
 * description is Riprap's message, the action says where the keys are listed.
 */
final class RiprapConfigurationFailureAnalyzer
    extends AbstractFailureAnalyzer<InvalidRiprapConfigurationException> {
  @Override
  protected FailureAnalysis analyze(Throwable root, InvalidRiprapConfigurationException cause) {
    return new FailureAnalysis(
        "Riprap's configuration is invalid: " + cause.getMessage(),
        "Correct the riprap.* key named above where it is set (application.yml, application"
            + ".properties, a profile, a system property). The keys and their forms are listed in"
            + " Riprap's docs/configuration.md; IDEs complete them from the starter's metadata.",
        cause);
  }
}
