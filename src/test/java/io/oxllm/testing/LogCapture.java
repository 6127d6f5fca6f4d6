package io.oxllm.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records every java.util.logging record (where Vert.x and oxllm log by default) while open:
 * each as its message plus every throwable of its cause chain, i.e. everything a console or file
 * handler would write. Close it to detach.
 */
public final class LogCapture extends Handler implements AutoCloseable {
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Logger root = Logger.getLogger("");

  private LogCapture() {}

  public static LogCapture start() {
    LogCapture c = new LogCapture();
    c.root.addHandler(c);
    return c;
  }

  @Override
  public void publish(LogRecord r) {
    StringBuilder text = new StringBuilder(r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage());
    for (Throwable t = r.getThrown(); t != null; t = t.getCause()) {
      text.append('\n').append(t);
    }
    lines.add(text.toString());
  }

  /** What was logged so far. */
  public List<String> records() {
    return List.copyOf(lines);
  }

  @Override
  public void flush() {
  }

  @Override
  public void close() {
    root.removeHandler(this);
  }
}
