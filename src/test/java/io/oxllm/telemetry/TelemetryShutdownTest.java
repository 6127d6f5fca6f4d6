package io.oxllm.telemetry;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.metrics.v1.Metric;
import io.oxllm.config.TelemetryConfig;
import io.oxllm.testing.OtlpReceiver;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Undeploying the worker flushes: the last records' spans and a final metric export reach the
 * collector; then telemetry's own event-loop thread ends.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TelemetryShutdownTest {
  @Test
  void theFinalFlushExportsPendingSpansAndMetrics(Vertx vertx) {
    OtlpReceiver collector = await(OtlpReceiver.start(vertx));
    TelemetryConfig c = TelemetryFixtures.config(collector.endpoint(), 1024, "");
    Set<Thread> before = loopThreads();
    // an hour between metric exports: only the one at shutdown can deliver them
    TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c,
        Tuning.of(c, name -> null).withMetricInterval(Duration.ofHours(1)));
    Set<Thread> started = loopThreads();
    started.removeAll(before);
    assertEquals(1, started.size(), "the worker's deployment started telemetry's loop: " + started);
    long now = Telemetry.epochNanos();
    for (int i = 0; i < 700; i++) { // more than one span batch
      assertTrue(running.telemetry().offer(TelemetryFixtures.ok("s-" + i, now)));
    }
    long stopMs = running.stop();

    assertEquals(1400, collector.spans().size(), "700 request spans and 700 attempt spans, all flushed");
    Set<String> names = collector.metrics().stream().map(Metric::getName).collect(Collectors.toSet());
    assertTrue(names.contains("gen_ai.client.token.usage"), names::toString);
    assertTrue(stopMs < 3_000, "flush to a live collector took " + stopMs + " ms");
    assertTrue(TelemetryFixtures.ends(started.iterator().next()), "telemetry's loop outlived the undeploy");
  }

  private static Set<Thread> loopThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals(TelemetryLoop.THREAD))
        .collect(Collectors.toCollection(HashSet::new));
  }
}
