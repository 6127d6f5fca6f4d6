package io.oxllm.telemetry;

import io.oxllm.config.TelemetryConfig;
import java.time.Duration;
import java.util.function.Function;

/**
 * The worker's timings and limits. Production values come from the config and fixed defaults;
 * tests shrink them (a metric interval below one second, a rotation size below one megabyte).
 *
 * @param minDrainMs the shortest wait between two drains ({@link DrainPace})
 * @param maxDrainMs the longest, while the queue is quiet
 * @param metricInterval OTLP metric export period ({@code metrics_interval_secs})
 * @param logMaxBytes request log rotation size; 0: {@code request_log_max_mb} of the config in
 *     force (a reload may change it), which is what production uses
 * @param exportTimeout one OTLP export's limits, spans and metrics alike: to connect, and the
 *     longest silence while sending or awaiting the answer
 * @param failureReportMs how often a failure streak is logged at most
 * @param shutdownMs the most the final flush may take
 * @param statePollMs how often the worker asks the routing verticle for provider states
 * @param spanLingerMs the longest a span waits for its export request to fill before it is sent
 * @param exportBackoffMinMs after a failed span export nothing is sent for this long, doubling
 *     with each further failure up to {@code exportBackoffMaxMs}; a success resets it
 * @param exportBackoffMaxMs the longest such pause
 * @param logLingerMs the longest a request log line waits in its chunk before it is written
 *     ({@link RequestLog})
 */
record Tuning(long minDrainMs, long maxDrainMs, Duration metricInterval, long logMaxBytes,
    Duration exportTimeout, long failureReportMs, long shutdownMs, long statePollMs,
    long spanLingerMs, long exportBackoffMinMs, long exportBackoffMaxMs, long logLingerMs) {

  /** The export timeout's variable, as the OpenTelemetry SDKs read it (milliseconds). */
  static final String TIMEOUT_VARIABLE = "OTEL_EXPORTER_OTLP_TIMEOUT";
  static final long DEFAULT_EXPORT_TIMEOUT_MS = 2_000;

  static Tuning of(TelemetryConfig c, Function<String, String> env) {
    return new Tuning(1, 50, Duration.ofSeconds(c.metricsIntervalSecs()), 0,
        Duration.ofMillis(exportTimeoutMs(env.apply(TIMEOUT_VARIABLE))), 60_000, 3_000, 1_000, 1_000, 100, 5_000, 1_000);
  }

  /**
   * {@code OTEL_EXPORTER_OTLP_TIMEOUT} in milliseconds when set to a whole number from 1, else
   * 2 s (with a warning when set to anything else). Shorter than the SDKs' 10 s on purpose: an
   * export waiting holds one of four slots, and the final flush at shutdown is bounded anyway; a
   * collector that answers slower than 2 s (an audit's lost most spans) can be given longer.
   */
  static long exportTimeoutMs(String value) {
    if (value == null || value.isBlank()) {
      return DEFAULT_EXPORT_TIMEOUT_MS;
    }
    try {
      long ms = Long.parseLong(value.strip());
      if (ms >= 1 && ms <= Integer.MAX_VALUE) {
        return ms;
      }
    } catch (NumberFormatException notANumber) {
      // below
    }
    ExportFailures.LOG.log(System.Logger.Level.WARNING, TIMEOUT_VARIABLE + " is not a number of milliseconds from 1: \""
        + value + "\"; exports time out after " + DEFAULT_EXPORT_TIMEOUT_MS + " ms");
    return DEFAULT_EXPORT_TIMEOUT_MS;
  }

  /** The request log's rotation size under config {@code c}. */
  long logMaxBytes(TelemetryConfig c) {
    return logMaxBytes > 0 ? logMaxBytes : c.requestLogMaxMb() * 1024 * 1024;
  }

  Tuning withMetricInterval(Duration d) {
    return new Tuning(minDrainMs, maxDrainMs, d, logMaxBytes, exportTimeout, failureReportMs, shutdownMs, statePollMs,
        spanLingerMs, exportBackoffMinMs, exportBackoffMaxMs, logLingerMs);
  }

  Tuning withLogMaxBytes(long bytes) {
    return new Tuning(minDrainMs, maxDrainMs, metricInterval, bytes, exportTimeout, failureReportMs, shutdownMs, statePollMs,
        spanLingerMs, exportBackoffMinMs, exportBackoffMaxMs, logLingerMs);
  }

  Tuning withDrainMs(long min, long max) {
    return new Tuning(min, max, metricInterval, logMaxBytes, exportTimeout, failureReportMs, shutdownMs, statePollMs,
        spanLingerMs, exportBackoffMinMs, exportBackoffMaxMs, logLingerMs);
  }

  Tuning withFailureReportMs(long ms) {
    return new Tuning(minDrainMs, maxDrainMs, metricInterval, logMaxBytes, exportTimeout, ms, shutdownMs, statePollMs,
        spanLingerMs, exportBackoffMinMs, exportBackoffMaxMs, logLingerMs);
  }
}
