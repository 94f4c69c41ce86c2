package dev.riprap.http;

import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;

/**
 * The failure a caller gets after retries ran out: of the last attempt's own type where that type
 * can be made again (so {@code catch (ConnectException e)} still catches a retried connection
 * refusal), its message naming the request, the attempts, the host and the policy, the last
 * attempt's exception as its cause and the earlier attempts' failures as suppressed (bounded by
 * the core: a {@code RetriesExhaustedException} and up to four earlier failures).
 */
final class Exhausted {
  private Exhausted() {}

  /**
   * {@code last} again, as a new exception of its own class with {@code message} when that class
   * is public with a public {@code (String)} constructor and accepts a cause (the JDK's {@code
   * ConnectException}, {@code HttpTimeoutException}, {@code EOFException}, {@code IOException} and
   * most others); otherwise {@code last} itself, which then carries the same suppressed failures.
   */
  static Throwable of(Throwable last, String message) {
    Class<?> type = last.getClass();
    if (!Modifier.isPublic(type.getModifiers()) || last instanceof HttpRejectedException
        || last instanceof HttpCallTimeoutException) {
      return last;
    }
    Throwable copy;
    try {
      Constructor<?> c = type.getConstructor(String.class);
      copy = (Throwable) c.newInstance(message + ": " + last);
      copy.initCause(last);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      // No such constructor, or the cause is fixed already: the last failure as it is.
      return last;
    }
    copy.setStackTrace(last.getStackTrace());
    for (Throwable s : last.getSuppressed()) {
      copy.addSuppressed(s);
    }
    return copy;
  }
}
