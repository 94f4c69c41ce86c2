package dev.riprap.config;

import java.util.Collection;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds the likely intended spelling of a mistyped name, for "did you mean" error messages: the
 * candidate with the smallest edit distance, if it is close enough to be a typo.
 */
public final class Spelling {
  private Spelling() {}

  /**
   * The candidate closest to {@code input} by Levenshtein distance (insertions, deletions and
   * substitutions, case-sensitive), if that distance is at most a third of the candidate's length
   * and at least 1 is allowed for short names (at most 3 for names of 9 characters or more, so a
   * typo is recognised but an unrelated word is not). Ties go to the earliest candidate.
   *
   * @param input the mistyped name
   * @param candidates the valid names, in order of preference
   * @return the closest candidate, or empty if none is close
   * @throws NullPointerException if an argument is null
   */
  public static Optional<String> closest(String input, Collection<String> candidates) {
    Objects.requireNonNull(input, "input");
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : candidates) {
      int d = distance(input, candidate);
      if (d < bestDistance && d <= allowed(candidate)) {
        best = candidate;
        bestDistance = d;
      }
    }
    return Optional.ofNullable(best);
  }

  private static int allowed(String candidate) {
    return Math.max(1, Math.min(3, candidate.length() / 3));
  }

  /**
   * The Levenshtein distance between two strings.
   *
   * @param a one string
   * @param b the other
   * @return the number of single-character edits that turn {@code a} into {@code b}
   */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
