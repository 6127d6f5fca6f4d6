package io.oxllm.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import java.util.Collection;
import java.util.List;

/**
 * A metric reader that collects only when asked: what {@code /metrics} renders. Cumulative
 * temporality, as Prometheus expects. Collection is in-memory and thread-safe in the SDK, so it
 * may run on any thread while the worker records.
 */
final class PullMetricReader implements MetricReader {
  private volatile CollectionRegistration registration = CollectionRegistration.noop();
  private volatile boolean shutdown;

  @Override
  public void register(CollectionRegistration registration) {
    this.registration = registration;
  }

  /** Everything recorded so far; empty after shutdown. */
  Collection<MetricData> collect() {
    return shutdown ? List.of() : registration.collectAllMetrics();
  }

  @Override
  public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
    return AggregationTemporality.CUMULATIVE;
  }

  @Override
  public CompletableResultCode forceFlush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    shutdown = true;
    return CompletableResultCode.ofSuccess();
  }
}
