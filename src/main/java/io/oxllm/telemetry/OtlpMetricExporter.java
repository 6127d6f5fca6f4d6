package io.oxllm.telemetry;

import io.opentelemetry.exporter.internal.otlp.metrics.MetricsRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.data.MetricData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * Sends {@link GenAiMetrics}' collection over OTLP: the SDK's own marshaler writes the request
 * ({@code MetricsRequestMarshaler}, exporter-common's internal type: the pinned SDK version makes
 * it safe, a version that drops it fails the build), and the current {@link OtlpExport} posts it,
 * so metrics need neither the JDK HTTP client nor its classes (why: {@link OtlpHttpSender}). With
 * no {@code otlp_endpoint} an export does nothing (not even the collection) and succeeds; the
 * endpoint may come and go with a reload. Each export's outcome, a failure to collect or marshal
 * included, is counted and reported with the spans' ({@link ExportFailures}).
 */
final class OtlpMetricExporter {
  private final Supplier<OtlpExport> target;

  /** @param target the export metrics go to now; null while there is no {@code otlp_endpoint} */
  OtlpMetricExporter(Supplier<OtlpExport> target) {
    this.target = target;
  }

  /**
   * Collects and sends the metrics; completes with the export. Called on the telemetry worker's
   * thread (or the shutdown's), never an event loop: marshalling may take a while.
   */
  CompletableResultCode export(Supplier<Collection<MetricData>> metrics) {
    OtlpExport export = target.get();
    if (export == null) {
      return CompletableResultCode.ofSuccess();
    }
    try {
      MetricsRequestMarshaler request = MetricsRequestMarshaler.create(metrics.get());
      ByteArrayOutputStream out = new ByteArrayOutputStream(request.getBinarySerializedSize());
      request.writeBinaryTo(out);
      return export.sendMetrics(out.toByteArray());
    } catch (IOException | RuntimeException e) {
      return export.metricsFailed(e);
    }
  }
}
