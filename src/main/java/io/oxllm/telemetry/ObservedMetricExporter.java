package io.oxllm.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import java.util.Collection;

/**
 * The OTLP metric exporter with each export's outcome reported to {@link ExportFailures}: the
 * {@code PeriodicMetricReader} only logs a failure at FINE, so without this a dead collector
 * would go unnoticed for metrics. Everything else is delegated.
 */
final class ObservedMetricExporter implements MetricExporter {
  private final MetricExporter delegate;
  private final ExportFailures failures;

  ObservedMetricExporter(MetricExporter delegate, ExportFailures failures) {
    this.delegate = delegate;
    this.failures = failures;
  }

  @Override
  public CompletableResultCode export(Collection<MetricData> metrics) {
    CompletableResultCode result = delegate.export(metrics);
    result.whenComplete(() -> failures.record("metrics", result.isSuccess(), result.getFailureThrowable()));
    return result;
  }

  @Override
  public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
    return delegate.getAggregationTemporality(instrumentType);
  }

  @Override
  public Aggregation getDefaultAggregation(InstrumentType instrumentType) {
    return delegate.getDefaultAggregation(instrumentType);
  }

  @Override
  public MemoryMode getMemoryMode() {
    return delegate.getMemoryMode();
  }

  @Override
  public CompletableResultCode flush() {
    return delegate.flush();
  }

  @Override
  public CompletableResultCode shutdown() {
    return delegate.shutdown();
  }
}
