package io.oxllm.telemetry;

import static io.oxllm.telemetry.E2eGateway.SOON;
import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.oxllm.config.TelemetryConfig;
import io.oxllm.testing.OtlpReceiver;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Retiring an export (a reload changed the endpoint) lets what it has under way finish. */
@ExtendWith(VertxExtension.class)
class OtlpExportTest {

  @Test
  void aMetricsExportUnderWayWhenTheExportIsRetiredIsNotCut(Vertx vertx) {
    // a reload with metrics_interval_secs = 1 cut one this way: TelemetryReloadTest saw export_failures 1
    OtlpReceiver collector = await(OtlpReceiver.start(vertx));
    Promise<Void> answer = Promise.promise();
    collector.holdAnswersUntil(answer.future());
    TelemetryLoop loop = new TelemetryLoop(vertx);
    AtomicLong failed = new AtomicLong();
    TelemetryConfig c = TelemetryFixtures.config(collector.endpoint(), 16, "");
    OtlpExport export = OtlpExport.open(loop.context(), collector.endpoint(), Map.of(), Resource.getDefault(),
        TelemetryFixtures.fast(c), Runnable::run, failed, new AtomicLong());
    CompletableResultCode sent = export.sendMetrics(ExportMetricsServiceRequest.getDefaultInstance().toByteArray());
    until(SOON, collector::requests, n -> n == 1, "the export reached the collector");

    Future<Void> closed = export.close(5_000);
    vertx.setTimer(300, id -> answer.complete()); // the collector answers after the retirement began
    await(closed);
    assertTrue(sent.isSuccess(), () -> "cut: " + sent.getFailureThrowable());
    assertEquals(0, failed.get());
    await(loop.shutdown());
    await(collector.close());
  }
}
