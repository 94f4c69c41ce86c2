package dev.riprap.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SpellingTest {
  @Test
  void distanceCountsInsertionsDeletionsAndSubstitutions() {
    assertThat(Spelling.distance("max-attempt", "max-attempts")).isEqualTo(1);
    assertThat(Spelling.distance("inventroy", "inventory")).isEqualTo(2);
    assertThat(Spelling.distance("kitten", "sitting")).isEqualTo(3);
    assertThat(Spelling.distance("", "abc")).isEqualTo(3);
    assertThat(Spelling.distance("same", "same")).isZero();
  }

  @Test
  void theClosestCandidateWithinATypoIsSuggested() {
    assertThat(Spelling.closest("paymnts", List.of("inventory", "payments"))).contains("payments");
  }

  @Test
  void nothingIsSuggestedWhenNoCandidateIsClose() {
    assertThat(Spelling.closest("shipping", List.of("inventory", "payments"))).isEmpty();
    // Two edits to a two-letter name leave nothing of it: not a typo.
    assertThat(Spelling.closest("zz", List.of("ab"))).isEmpty();
  }

  @Test
  void aTieGoesToTheEarlierCandidate() {
    assertThat(Spelling.closest("cat", List.of("bat", "hat"))).contains("bat");
  }
}
