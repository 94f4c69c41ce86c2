package dev.riprap.lifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects what one class logs through {@link System.Logger} (whose default backend is {@code
 * java.util.logging}), for assertions on what the lifecycle code reports; while attached, the
 * records are not printed. Close it to detach.
 */
final class CapturedLog extends Handler implements AutoCloseable {
  private final Logger logger;
  private final List<LogRecord> records = new ArrayList<>();
  private final boolean usedParentHandlers;

  private CapturedLog(Class<?> type) {
    this.logger = Logger.getLogger(type.getName());
    setLevel(Level.ALL);
    usedParentHandlers = logger.getUseParentHandlers();
    logger.setUseParentHandlers(false);
    logger.addHandler(this);
  }

  static CapturedLog of(Class<?> type) {
    return new CapturedLog(type);
  }

  @Override
  public synchronized void publish(LogRecord r) {
    records.add(r);
  }

  /** The records that carry a throwable, as their thrown throwable. */
  synchronized List<Throwable> thrown() {
    return records.stream().filter(r -> r.getThrown() != null).map(LogRecord::getThrown).toList();
  }

  /** The messages of the records, in order. */
  synchronized List<String> messages() {
    return records.stream().map(LogRecord::getMessage).toList();
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    logger.removeHandler(this);
    logger.setUseParentHandlers(usedParentHandlers);
  }
}
