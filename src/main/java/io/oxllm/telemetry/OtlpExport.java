package io.oxllm.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.oxllm.Version;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything that sends to one {@code otlp_endpoint}: its HTTP sender, its span shipper and its
 * failure reports. A reload that changes the endpoint retires this one ({@link #close}: what it
 * holds is still sent, bounded) and opens another, so the worker never mixes two collectors in
 * one shipper. The worker thread calls {@link #add} and {@link #ship}; the metric exporter may
 * call {@link #sendMetrics} from the SDK's reader thread.
 */
final class OtlpExport {
  private final String endpoint;
  private final ExportFailures failures;
  private final OtlpHttpSender sender;
  private final SpanShipper shipper;
  // the last metrics export sent (the SDK's reader sends one at a time); retirement waits for it
  private volatile CompletableResultCode metricsSent = CompletableResultCode.ofSuccess();

  private OtlpExport(String endpoint, ExportFailures failures, OtlpHttpSender sender, SpanShipper shipper) {
    this.endpoint = endpoint;
    this.failures = failures;
    this.sender = sender;
    this.shipper = shipper;
  }

  /**
   * An export to {@code endpoint} (no trailing slash), run on {@code io} (telemetry's own event
   * loop, {@link TelemetryLoop}), sending {@code headers} with each request, whose spans carry
   * {@code resource}; the shipper's export completions go back to the worker through
   * {@code onWorker}. Failed exports and dropped spans are counted into {@code failed} and
   * {@code dropped}, the worker's totals, which outlive this export.
   */
  static OtlpExport open(ContextInternal io, String endpoint, Map<String, String> headers,
      Resource resource, Tuning t, Executor onWorker, AtomicLong failed, AtomicLong dropped) {
    ExportFailures failures = new ExportFailures(endpoint, t.failureReportMs(), System::currentTimeMillis, failed);
    // one connection more than span exports may hold, so a metric export never waits behind them
    OtlpHttpSender sender = new OtlpHttpSender(io, endpoint, headers, t.exportTimeout(),
        SpanShipper.MAX_IN_FLIGHT + 1);
    OtlpTraceEncoder encoder = new OtlpTraceEncoder(resource,
        InstrumentationScopeInfo.builder("io.oxllm.telemetry").setVersion(Version.VALUE).build());
    SpanShipper shipper = new SpanShipper(encoder, sender, failures, dropped, onWorker, System::nanoTime,
        t.spanLingerMs(), t.exportBackoffMinMs(), t.exportBackoffMaxMs());
    sender.onPartialSuccess((what, said) -> {
      if (what.equals("spans")) {
        shipper.rejected(said.rejected()); // counted as spans_dropped (a data point has no counter)
      }
      failures.partial(what, said);
    });
    return new OtlpExport(endpoint, failures, sender, shipper);
  }

  String endpoint() {
    return endpoint;
  }

  void add(RequestRecord r) {
    shipper.add(r);
  }

  void ship() {
    shipper.ship();
  }

  /** Posts one metrics export request; its outcome is counted and reported with the spans'. */
  CompletableResultCode sendMetrics(byte[] request) {
    CompletableResultCode done = sender.sendMetrics(request);
    metricsSent = done;
    done.whenComplete(() -> failures.record("metrics", done.isSuccess(), done.getFailureThrowable()));
    return done;
  }

  /** A metrics export that failed before it could be sent (marshalling); counted like any other. */
  CompletableResultCode metricsFailed(Throwable cause) {
    failures.record("metrics", false, cause);
    return CompletableResultCode.ofExceptionalFailure(cause);
  }

  /** Sends every span pending now (shutdown and retirement); completes when those exports have ended. */
  Future<Void> flush() {
    Promise<Void> done = Promise.promise();
    shipper.flush().whenComplete(done::tryComplete);
    return done.future();
  }

  /** Closes the connections; any export still under way fails. */
  Future<Void> shutdown() {
    return sender.shutdown();
  }

  /**
   * {@link #flush}, then {@link #shutdown} once that and a metrics export under way are done, or
   * after {@code boundMs} at most. (Shut down under a reload, a metrics export sent a moment
   * before was cut and counted as a failure.) Worker thread; nothing here blocks it (the exports
   * end on the sender's event loop).
   */
  Future<Void> close(long boundMs) {
    Promise<Void> metricsDone = Promise.promise();
    metricsSent.whenComplete(metricsDone::tryComplete);
    return Future.join(flush(), metricsDone.future()).<Void>mapEmpty().timeout(boundMs, TimeUnit.MILLISECONDS)
        .eventually(this::shutdown).otherwiseEmpty();
  }
}
