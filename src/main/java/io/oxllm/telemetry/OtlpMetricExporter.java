package io.oxllm.telemetry;

import io.opentelemetry.exporter.internal.otlp.metrics.MetricsRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * The OTLP metric exporter {@link GenAiMetrics#exportNow} pushes through: the SDK's own
 * marshaler writes the request ({@code MetricsRequestMarshaler}, exporter-common's internal type:
 * the pinned SDK version makes it safe, a version that drops it fails the build), and the current
 * {@link OtlpExport} posts it, so metrics need neither the JDK HTTP client nor its classes (why:
 * {@link OtlpHttpSender}). With no {@code otlp_endpoint} an export does nothing and succeeds; the
 * endpoint may come and go with a reload, the reader and its instruments stay. Cumulative
 * temporality and the default aggregations, as the SDK's {@code OtlpHttpMetricExporter}. Each
 * export's outcome is counted and reported with the spans' ({@link ExportFailures}).
 */
final class OtlpMetricExporter implements MetricExporter {
  private final Supplier<OtlpExport> target;

  /** @param target the export metrics go to now; null while there is no {@code otlp_endpoint} */
  OtlpMetricExporter(Supplier<OtlpExport> target) {
    this.target = target;
  }

  /** Called on the telemetry worker's thread (or the shutdown's), never an event loop: marshalling may take a while. */
  @Override
  public CompletableResultCode export(Collection<MetricData> metrics) {
    OtlpExport export = target.get();
    if (export == null) {
      return CompletableResultCode.ofSuccess();
    }
    try {
      MetricsRequestMarshaler request = MetricsRequestMarshaler.create(metrics);
      ByteArrayOutputStream out = new ByteArrayOutputStream(request.getBinarySerializedSize());
      request.writeBinaryTo(out);
      return export.sendMetrics(out.toByteArray());
    } catch (IOException | RuntimeException e) {
      return export.metricsFailed(e);
    }
  }

  @Override
  public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
    return AggregationTemporality.CUMULATIVE;
  }

  @Override
  public Aggregation getDefaultAggregation(InstrumentType instrumentType) {
    return Aggregation.defaultAggregation();
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess(); // nothing is held: each export is sent at once
  }

  /** The exports belong to the telemetry worker, which closes them after the final export. */
  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }
}
