package dev.riprap.annotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A proxy of a public interface lives in a package of its own (the JDK's dynamic proxy module), so
 * it can name only public types in its code: the cast of a method's result, and the catch clauses
 * for its declared checked exceptions. A type it cannot reach would fail with {@code
 * IllegalAccessError} at the first call, after the target already ran; these checks make it fail
 * when the proxy is made. Parameter types, generic type arguments and unchecked exceptions appear
 * nowhere in that code and are fine.
 */
class ProxyAccessTest {

  /** Package-private: a proxy in another package cannot cast to it. */
  static class Hidden {}

  /** A package-private checked exception. */
  static class HiddenException extends Exception {
    private static final long serialVersionUID = 1L;
  }

  /** A package-private unchecked exception: proxies catch RuntimeException before it. */
  static class HiddenUnchecked extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  /** Protected, which the class file records as public: reachable from any package. */
  protected static class Shielded {}

  public interface ReturnsHidden {
    Hidden find(String id);
  }

  public interface ReturnsHiddenArray {
    @Retry(maxAttempts = 2, delay = "1ms")
    Hidden[][] all();
  }

  public interface ThrowsHidden {
    String load() throws HiddenException;
  }

  interface PackageSuper {
    Hidden inherited();
  }

  public interface InheritsHidden extends PackageSuper {
    String own();
  }

  public interface Fine {
    void accept(Hidden h);

    List<Hidden> list();

    Shielded shielded();

    String unchecked() throws HiddenUnchecked;

    String covered() throws Exception, HiddenException;

    int primitive();
  }

  /** Package-private: its proxy is made in this package and reaches everything here. */
  interface PackagePrivate {
    Hidden find();

    String load() throws HiddenException;
  }

  @Test
  void aPublicInterfaceReturningAPackagePrivateTypeIsRefusedAtCreation() {
    ReturnsHidden target = id -> new Hidden();

    assertThatThrownBy(() -> Resilient.proxy(ReturnsHidden.class, target))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("ReturnsHidden.find(String): returns "
            + "dev.riprap.annotation.ProxyAccessTest$Hidden, which is not public: the proxy of a "
            + "public interface is made in another package and could not cast the result at the "
            + "first call (IllegalAccessError); make ProxyAccessTest.Hidden public or "
            + "ReturnsHidden package-private");
  }

  @Test
  void anArrayOfAPackagePrivateTypeIsRefusedAtCreation() {
    ReturnsHiddenArray target = () -> new Hidden[0][];

    assertThatThrownBy(() -> Resilient.proxy(ReturnsHiddenArray.class, target))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("ReturnsHiddenArray.all(): returns "
            + "dev.riprap.annotation.ProxyAccessTest$Hidden[][], which is not public");
  }

  @Test
  void aDeclaredPackagePrivateCheckedExceptionIsRefusedAtCreation() {
    ThrowsHidden target = () -> "x";

    assertThatThrownBy(() -> Resilient.proxy(ThrowsHidden.class, target))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("ThrowsHidden.load(): declares "
            + "dev.riprap.annotation.ProxyAccessTest$HiddenException, which is not public: the "
            + "proxy of a public interface is made in another package and could not catch it "
            + "when the call throws a checked exception (IllegalAccessError); make "
            + "ProxyAccessTest.HiddenException public or ThrowsHidden package-private");
  }

  @Test
  void aMethodInheritedFromAPackagePrivateInterfaceIsCheckedToo() {
    assertThatThrownBy(() -> Resilient.proxy(InheritsHidden.class, new InheritsHidden() {
      @Override
      public String own() {
        return "own";
      }

      @Override
      public Hidden inherited() {
        return new Hidden();
      }
    }))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("InheritsHidden.inherited(): returns "
            + "dev.riprap.annotation.ProxyAccessTest$Hidden, which is not public");
  }

  @Test
  void typesTheProxyNeverNamesAreAccepted() {
    Fine target = new Fine() {
      @Override
      public void accept(Hidden h) {}

      @Override
      public List<Hidden> list() {
        return List.of(new Hidden());
      }

      @Override
      public Shielded shielded() {
        return new Shielded();
      }

      @Override
      public String unchecked() {
        throw new HiddenUnchecked();
      }

      @Override
      public String covered() throws Exception {
        throw new HiddenException();
      }

      @Override
      public int primitive() {
        return 7;
      }
    };

    Fine proxy = Resilient.proxy(Fine.class, target);

    proxy.accept(new Hidden());
    assertThat(proxy.list()).hasSize(1);
    assertThat(proxy.shielded()).isInstanceOf(Shielded.class);
    assertThatThrownBy(proxy::unchecked).isExactlyInstanceOf(HiddenUnchecked.class);
    assertThatThrownBy(proxy::covered).isExactlyInstanceOf(HiddenException.class);
    assertThat(proxy.primitive()).isEqualTo(7);
  }

  @Test
  void aPackagePrivateInterfaceMayUseItsPackagesTypes() throws Exception {
    PackagePrivate target = new PackagePrivate() {
      @Override
      public Hidden find() {
        return new Hidden();
      }

      @Override
      public String load() throws HiddenException {
        throw new HiddenException();
      }
    };

    PackagePrivate proxy = Resilient.proxy(PackagePrivate.class, target);

    assertThat(proxy.find()).isInstanceOf(Hidden.class);
    assertThatThrownBy(proxy::load).isExactlyInstanceOf(HiddenException.class);
  }
}
