package io.oxllm.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import io.oxllm.Version;
import io.oxllm.config.TelemetryConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Where the telemetry worker's records go: the metrics and the per-provider token totals (always),
 * the request log and the OTLP export (each while the {@code [telemetry]} table names one).
 * {@link #apply} opens what a table names and closes what it no longer does; {@link #drain} takes
 * the queued records and hands them to each sink; {@link #close} is the final flush, bounded by
 * {@code shutdownMs}. Worker thread only (the {@link TelemetryVerticle}'s), but for the counters and
 * {@link #metrics}, which any thread may read.
 */
final class RecordSinks {
  private static final int BATCH = 512;

  private final Telemetry telemetry;
  private final Tuning tuning;
  // telemetry's own event loop, which carries the exports' I/O
  private final ContextInternal io;
  // hands the span shipper's export completions back to the worker thread
  private final Executor onWorker;
  private final List<RequestRecord> batch = new ArrayList<>(BATCH);
  private final Resource resource;
  private final GenAiMetrics metrics;
  // the export to the current endpoint (null: none); read by the metric exporter's thread
  private volatile OtlpExport otlp;
  // counted by every export and log these sinks have had, a reload's retired ones included
  private final AtomicLong exportFailures = new AtomicLong();
  private final AtomicLong spansDropped = new AtomicLong();
  private final AtomicLong logLinesLost = new AtomicLong();
  private RequestLog log;
  private TelemetryConfig applied;
  private long processingErrors;

  /**
   * The metrics, open from now on; no log or export until {@link #apply}. Exports run on
   * {@code io} (telemetry's own event loop, {@link TelemetryLoop}) and hand their completions to
   * the worker through {@code onWorker}.
   */
  RecordSinks(Telemetry telemetry, ContextInternal io, Executor onWorker) {
    this.telemetry = telemetry;
    this.tuning = telemetry.tuning();
    this.io = io;
    this.onWorker = onWorker;
    resource = Resource.getDefault().merge(Resource.create(Attributes.of(
        AttributeKey.stringKey("service.name"), telemetry.config().serviceName(),
        AttributeKey.stringKey("service.version"), Version.VALUE)));
    // always there, exporting nothing while there is no endpoint: a reload may add one
    metrics = new GenAiMetrics(resource, new OtlpMetricExporter(() -> otlp), telemetry::providerGauges,
        telemetry::dropped, telemetry::configuredModels);
    metrics.watchRequestBodies(telemetry::requestBodiesHeld, telemetry::requestBodiesLimit);
    List<String> skipped = telemetry.otlpHeaders().skipped();
    if (!skipped.isEmpty()) {
      ExportFailures.LOG.log(Level.WARNING, OtlpHeaders.VARIABLE + ": left out, not valid headers for an export: "
          + String.join(", ", skipped));
    }
  }

  /** Opens the log and the export {@code c} names, closing those it no longer does. */
  void apply(TelemetryConfig c) {
    boolean sameLog = applied != null && applied.requestLog().equals(c.requestLog())
        && applied.requestLogMaxMb() == c.requestLogMaxMb();
    if (!sameLog) {
      if (log != null) {
        log.close();
      }
      log = c.requestLog().isEmpty() ? null : new RequestLog(Path.of(c.requestLog()), tuning.logMaxBytes(c),
          tuning.logLingerMs(), System::nanoTime, logLinesLost);
    }
    String endpoint = c.otlpEndpoint().replaceAll("/+$", "");
    OtlpExport current = otlp;
    if (current == null ? !endpoint.isEmpty() : !current.endpoint().equals(endpoint)) {
      otlp = endpoint.isEmpty() ? null : OtlpExport.open(io, endpoint,
          telemetry.otlpHeaders().headers(), resource, tuning, onWorker, exportFailures, spansDropped);
      if (current != null) {
        current.close(tuning.shutdownMs()); // sends what it held, on its own; bounded
      }
    }
    applied = c;
  }

  /** Whether there is an OTLP endpoint to export to now. */
  boolean exporting() {
    return otlp != null;
  }

  /** Takes up to {@code max} records off the queue and hands each to every sink; returns how many. */
  int drain(int max) {
    int total = 0;
    while (total < max) {
      batch.clear();
      int n = telemetry.drainTo(batch, Math.min(BATCH, max - total));
      if (n == 0) {
        break;
      }
      process(batch);
      total += n;
      telemetry.processed(n);
    }
    batch.clear();
    if (log != null) {
      log.writeLingering();
    }
    OtlpExport export = otlp;
    if (export != null) {
      export.ship();
    }
    return total;
  }

  /**
   * Hands a batch to each sink in turn (metrics, then the log, then spans) rather than each record
   * to every sink: a sink's own state (the metrics' storage, the log's encoder and chunk, the span
   * encoder's caches) then stays in cache across the batch instead of being evicted by the other
   * sinks' at every record. The records themselves (~300 bytes each, 512 at most) stay in cache
   * from the first pass to the last.
   */
  private void process(List<RequestRecord> records) {
    each(records, this::recordMetrics);
    RequestLog l = log;
    if (l != null) {
      each(records, l::write);
    }
    OtlpExport export = otlp;
    if (export != null) {
      each(records, export::add);
    }
  }

  private void recordMetrics(RequestRecord r) {
    telemetry.countTokens(r);
    metrics.record(r);
  }

  /** Hands every record to {@code sink}; one that fails there is lost to that sink alone. */
  private void each(List<RequestRecord> records, Consumer<RequestRecord> sink) {
    for (RequestRecord r : records) {
      try {
        sink.accept(r);
      } catch (RuntimeException | OutOfMemoryError e) {
        // an OutOfMemoryError here is direct memory refused to a span export (Bits.reserveMemory,
        // which -XX:+ExitOnOutOfMemoryError does not see): the exports under way give theirs back
        processingFailed(e);
      }
    }
  }

  /** A malformed record must not stop the worker, nor stop the other sinks getting it: reports the first only. */
  private void processingFailed(Throwable e) {
    if (processingErrors++ == 0) {
      ExportFailures.LOG.log(Level.WARNING, "telemetry: a request record could not be processed", e);
    }
  }

  /** The periodic OTLP metric export: to whatever endpoint is current, nothing while there is none. */
  void exportMetrics() {
    metrics.exportNow(); // its outcome is counted and reported by the export (ExportFailures)
  }

  /**
   * The final flush, after the last {@link #drain}: closes the log, sends the last span and metric
   * exports, then closes the span client; bounded by {@code shutdownMs}. Nothing blocks the worker
   * thread: the span exports' answers arrive on telemetry's loop.
   */
  Future<Void> close() {
    if (log != null) {
      log.close();
    }
    long boundMs = tuning.shutdownMs();
    OtlpExport last = otlp;
    Future<Void> spansDone = last == null ? Future.succeededFuture() : last.flush();
    // the final metric export is waited for (bounded): give the wait its own thread
    Promise<Void> metricsDone = Promise.promise();
    Thread metricsShutdown = new Thread(() -> {
      metrics.shutdown().join(boundMs, TimeUnit.MILLISECONDS);
      metricsDone.tryComplete();
    }, "oxllm-telemetry-shutdown");
    metricsShutdown.setDaemon(true);
    metricsShutdown.start();
    Future<Void> flushed = Future.join(spansDone, metricsDone.future()).<Void>mapEmpty()
        .timeout(boundMs, TimeUnit.MILLISECONDS);
    return flushed.eventually(() -> last == null ? Future.succeededFuture() : last.shutdown());
  }

  GenAiMetrics metrics() {
    return metrics;
  }

  /** Failed exports to every endpoint these sinks have had. */
  long exportFailures() {
    return exportFailures.get();
  }

  /** Spans dropped, by every endpoint these sinks have had. */
  long spansDropped() {
    return spansDropped.get();
  }

  /** Request log lines lost to I/O errors, in every log these sinks have had. */
  long logLinesLost() {
    return logLinesLost.get();
  }
}
