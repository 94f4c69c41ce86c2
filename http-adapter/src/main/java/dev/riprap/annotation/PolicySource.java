package dev.riprap.annotation;

import java.util.Collection;

/** Where {@link Policy @Policy} names are resolved: a policy registry, seen through two methods. */
interface PolicySource {
  /**
   * The policy called {@code name}.
   *
   * @param name the name, one of {@link #names()}
   * @return the policy
   */
  dev.riprap.Policy policy(String name);

  /**
   * The names of every policy known.
   *
   * @return the names
   */
  Collection<String> names();
}
