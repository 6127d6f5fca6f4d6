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

/**
 * The OTLP metric exporter the {@code PeriodicMetricReader} pushes through: the SDK's own
 * marshaler writes the request ({@code MetricsRequestMarshaler}, exporter-common's internal type:
 * the pinned SDK version makes it safe, a version that drops it fails the build), and
 * {@link OtlpHttpSender} posts it, so metrics need neither the JDK HTTP client nor its classes
 * (why: {@link OtlpHttpSender}). Cumulative temporality and the default aggregations, as the SDK's
 * {@code OtlpHttpMetricExporter}. Each export's outcome goes to {@link ExportFailures}: the reader
 * only logs a failure at FINE, so without this a dead collector would go unnoticed for metrics.
 */
final class OtlpMetricExporter implements MetricExporter {
  private final OtlpHttpSender sender;
  private final ExportFailures failures;

  OtlpMetricExporter(OtlpHttpSender sender, ExportFailures failures) {
    this.sender = sender;
    this.failures = failures;
  }

  /** Called on the reader's thread (or the shutdown's), never an event loop: marshalling may take a while. */
  @Override
  public CompletableResultCode export(Collection<MetricData> metrics) {
    CompletableResultCode result;
    try {
      MetricsRequestMarshaler request = MetricsRequestMarshaler.create(metrics);
      ByteArrayOutputStream out = new ByteArrayOutputStream(request.getBinarySerializedSize());
      request.writeBinaryTo(out);
      result = sender.sendMetrics(out.toByteArray());
    } catch (IOException | RuntimeException e) {
      result = CompletableResultCode.ofExceptionalFailure(e);
    }
    CompletableResultCode done = result;
    done.whenComplete(() -> failures.record("metrics", done.isSuccess(), done.getFailureThrowable()));
    return done;
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

  /** The sender belongs to the telemetry worker, which closes it after the final export. */
  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }
}
