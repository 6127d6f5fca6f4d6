package io.oxllm.telemetry;

import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.exporter.internal.http.HttpExporter;
import io.opentelemetry.exporter.internal.http.HttpExporterBuilder;
import io.opentelemetry.exporter.internal.marshal.Marshaler;
import io.opentelemetry.exporter.internal.marshal.Serializer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Sends export requests that {@link OtlpTraceEncoder} wrote through the SDK's own OTLP/HTTP
 * exporter (the same {@code HttpExporter} and JDK sender {@code OtlpHttpSpanExporter} uses: its
 * headers, content type, timeouts and failure reporting), minus its span marshalling. That
 * exporter is in the SDK's {@code internal} package: the pinned SDK version makes it safe, and a
 * version that changes it fails the build, not an export.
 */
final class OtlpTraceSender implements SpanShipper.Sender {
  private final HttpExporter<Marshaler> exporter;

  /** No retries (a failed batch is dropped), the given timeout, no exporter self-metrics. */
  OtlpTraceSender(String tracesUrl, Duration timeout) {
    this.exporter = new HttpExporterBuilder<>("otlp", "span", tracesUrl)
        .setEndpoint(tracesUrl)
        .setTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .setConnectTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .setRetryPolicy(null)
        .setMeterProvider(MeterProvider::noop)
        .build();
  }

  @Override
  public CompletableResultCode send(byte[] request, int spans) {
    return exporter.export(new Encoded(request), spans);
  }

  CompletableResultCode shutdown() {
    return exporter.shutdown();
  }

  /** A protobuf message already encoded: its bytes are written as they are. */
  private static final class Encoded extends Marshaler {
    private final byte[] bytes;

    Encoded(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public int getBinarySerializedSize() {
      return bytes.length;
    }

    @Override
    protected void writeTo(Serializer output) throws IOException {
      output.writeSerializedMessage(bytes, "");
    }
  }
}
