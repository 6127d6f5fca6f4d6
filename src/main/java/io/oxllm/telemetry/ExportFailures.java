package io.oxllm.telemetry;

import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Counts failed OTLP exports (spans and metrics) and reports them in a few log lines rather than
 * one per batch: at most one WARNING per {@code intervalMs} while exports fail (when a streak starts,
 * then with how many failed meanwhile), and an INFO when an export succeeds after a streak that was
 * reported. A streak that starts within {@code intervalMs} of the last line is counted into the
 * next one instead of logged: a collector failing every other export had a WARNING and an INFO a
 * second (a telemetry audit). Called from the exporters' threads, hence synchronized; it runs once
 * per batch, never per request.
 */
final class ExportFailures {
  static final System.Logger LOG = System.getLogger("oxllm.telemetry");

  private final String endpoint;
  private final long intervalMs;
  private final LongSupplier clockMs;
  private final AtomicLong failures;
  private final AtomicLong reports = new AtomicLong();
  private boolean failing;
  private boolean reportedStreak; // the current streak's failures have been logged
  private long lastReportMs;
  private long sinceReport; // failed batches not in a log line yet
  private long lastPartialMs;
  private long partialsSinceReport = -1; // -1: none reported yet

  /** @param failures where failed exports are counted (the worker's total, across endpoints) */
  ExportFailures(String endpoint, long intervalMs, LongSupplier clockMs, AtomicLong failures) {
    this.endpoint = endpoint;
    this.failures = failures;
    this.intervalMs = intervalMs;
    this.clockMs = clockMs;
  }

  /** Records how one export ended; {@code what} is "spans" or "metrics". */
  synchronized void record(String what, boolean ok, Throwable cause) {
    long now = clockMs.getAsLong();
    if (ok) {
      if (failing && reportedStreak) {
        report(Level.INFO, "OTLP export to " + endpoint + " works again (" + sinceReport + " more failed since the last report)");
      }
      failing = false;
      reportedStreak = false;
      return;
    }
    failures.incrementAndGet();
    sinceReport++;
    boolean due = reports.get() == 0 || now - lastReportMs >= intervalMs;
    if (!failing) {
      failing = true;
      if (due) {
        long before = sinceReport - 1; // of streaks too close to the last line to have one
        reportedStreak = true;
        report(Level.WARNING, "OTLP export of " + what + " to " + endpoint + " failed: " + describe(cause)
            + (before > 0 ? " (" + before + " more failed since the last report)" : "")
            + "; failed batches are dropped (not retried), next report in " + intervalMs / 1000 + " s at most");
      }
    } else if (due) {
      reportedStreak = true;
      report(Level.WARNING, "OTLP export to " + endpoint + " still failing: " + sinceReport
          + " more batches dropped since the last report; last error: " + describe(cause));
    }
  }

  /**
   * A collector took only part of an export ({@link PartialSuccess}): a WARNING with its reason, at
   * most one per {@code intervalMs}, saying how many more came meanwhile. No failure: the rest of
   * the export was taken, and OTLP says not to retry the rejected part.
   */
  synchronized void partial(String what, PartialSuccess said) {
    long now = clockMs.getAsLong();
    partialsSinceReport++;
    if (partialsSinceReport == 0 || now - lastPartialMs >= intervalMs) {
      lastPartialMs = now;
      long more = partialsSinceReport;
      partialsSinceReport = 0;
      reports.incrementAndGet();
      LOG.log(Level.WARNING, "OTLP export of " + what + " to " + endpoint + " partly refused: " + said.rejected()
          + " rejected" + (said.message().isEmpty() ? "" : " (" + said.message() + ")")
          + (more > 0 ? "; " + more + " more partly refused exports since the last report" : "")
          + "; next report in " + intervalMs / 1000 + " s at most");
    }
  }

  private void report(Level level, String message) {
    lastReportMs = clockMs.getAsLong();
    sinceReport = 0;
    reports.incrementAndGet();
    LOG.log(level, message);
  }

  /** Log lines written about failures (and recoveries) since start. */
  long reports() {
    return reports.get();
  }

  /** The collector's status, or the cause chain's classes and messages (a refused connect has no message). */
  static String describe(Throwable cause) {
    if (cause == null) {
      return "no detail";
    }
    if (cause instanceof OtlpHttpSender.CollectorStatusException s) {
      return s.getMessage();
    }
    StringBuilder out = new StringBuilder();
    int depth = 0;
    for (Throwable t = cause; t != null && depth < 5; t = t.getCause() == t ? null : t.getCause(), depth++) {
      out.append(out.length() == 0 ? "" : " <- ").append(t.getClass().getSimpleName());
      if (t.getMessage() != null) {
        out.append(": ").append(t.getMessage());
      }
    }
    return out.toString();
  }
}
