package io.oxllm.telemetry;

import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Counts failed OTLP exports (spans and metrics) and reports them in a few log lines rather than
 * one per batch: a WARNING when a failure streak starts, at most one more per {@code intervalMs}
 * while it lasts (with how many failed meanwhile), and an INFO when an export succeeds again.
 * Called from the exporters' threads, hence synchronized; it runs once per batch, never per request.
 */
final class ExportFailures {
  static final System.Logger LOG = System.getLogger("oxllm.telemetry");

  private final String endpoint;
  private final long intervalMs;
  private final LongSupplier clockMs;
  private final AtomicLong failures;
  private final AtomicLong reports = new AtomicLong();
  private boolean failing;
  private long lastReportMs;
  private long sinceReport;

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
      if (failing) {
        failing = false;
        report(Level.INFO, "OTLP export to " + endpoint + " works again (" + sinceReport + " more failed since the last report)");
      }
      return;
    }
    failures.incrementAndGet();
    sinceReport++;
    if (!failing) {
      failing = true;
      sinceReport = 0;
      report(Level.WARNING, "OTLP export of " + what + " to " + endpoint + " failed: " + describe(cause)
          + "; failed batches are dropped (not retried), next report in " + intervalMs / 1000 + " s at most");
    } else if (now - lastReportMs >= intervalMs) {
      report(Level.WARNING, "OTLP export to " + endpoint + " still failing: " + sinceReport
          + " more batches dropped since the last report; last error: " + describe(cause));
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
