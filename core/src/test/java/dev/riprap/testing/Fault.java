package dev.riprap.testing;

/**
 * What user code run by a policy throws in the fault tests: an unchecked exception, or one of the
 * Errors a library must survive (not an {@code OutOfMemoryError}: nothing survives that reliably).
 */
public enum Fault {
  /** A bug in user code: an unchecked exception. */
  RUNTIME_EXCEPTION {
    @Override
    public Throwable create(String message) {
      return new UserBug(message);
    }
  },
  /** An Error of the user's own. */
  ERROR {
    @Override
    public Throwable create(String message) {
      return new UserError(message);
    }
  },
  /** A failed assertion in user code, as a test's listener may throw. */
  ASSERTION_ERROR {
    @Override
    public Throwable create(String message) {
      return new AssertionError(message);
    }
  },
  /** Runaway recursion in user code. */
  STACK_OVERFLOW {
    @Override
    public Throwable create(String message) {
      return new StackOverflowError(message);
    }
  };

  /**
   * A new throwable of this kind.
   *
   * @param message its message
   * @return the throwable, a {@link RuntimeException} or an {@link Error}
   */
  public abstract Throwable create(String message);

  /**
   * Throws {@code t}, which must be unchecked; declared to return so a lambda can {@code throw} it.
   *
   * @param t a {@link RuntimeException} or an {@link Error}
   * @return never
   */
  public static RuntimeException raise(Throwable t) {
    if (t instanceof Error) {
      throw (Error) t;
    }
    throw (RuntimeException) t;
  }

  /** An unchecked exception thrown by user code. */
  public static final class UserBug extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UserBug(String message) {
      super(message);
    }
  }

  /** An Error thrown by user code. */
  public static final class UserError extends Error {
    private static final long serialVersionUID = 1L;

    UserError(String message) {
      super(message);
    }
  }
}
