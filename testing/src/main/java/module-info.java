/**
 * Test support for code that uses Riprap: {@link dev.riprap.testing.FakeTimeSource}, a clock that
 * moves only when a test tells it to.
 */
module dev.riprap.testing {
  requires transitive dev.riprap.core;

  exports dev.riprap.testing;
}
