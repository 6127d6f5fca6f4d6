package io.oxllm.telemetry;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.oxllm.testing.OtlpReceiver;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.junit5.VertxExtension;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The span and metric client against a real OTLP/HTTP receiver: it sends exactly the bytes it is
 * given, and an export asked for on the telemetry worker runs and ends on the sender's own event
 * loop, so its steps never wake the worker (only its end is handed back, by the shipper) and never
 * take a request path's event loop; that loop's thread ends with its shutdown.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OtlpHttpSenderTest {
  private record Ended(boolean success, Throwable failure, Thread thread, boolean onEventLoop) {}

  @Test
  void anExportAskedForOnTheWorkerSendsItsBytesAndEndsOnTheSendersEventLoop(Vertx vertx) {
    OtlpReceiver collector = await(OtlpReceiver.start(vertx));
    TelemetryLoop loop = new TelemetryLoop(vertx);
    OtlpHttpSender sender = senderTo(collector, loop, Map.of());
    OtlpTraceEncoder.Encoded request = twoSpansThenGarbage();

    String[] worker = new String[1];
    Ended ended = await(sendFromAWorker(vertx, collector, sender, request, worker));

    assertTrue(ended.success(), () -> "export failed: " + ended.failure());
    assertEquals(0, collector.rejected(), "only the request's bytes were sent (the rest does not parse)");
    assertEquals(2, collector.spans().size(), "the request's and the attempt's span, decoded by the receiver");
    assertTrue(ended.onEventLoop(), "ended on " + ended.thread());
    assertNotEquals(worker[0], ended.thread().getName(), "the export's steps ran off the worker thread");
    assertEquals(TelemetryLoop.THREAD, ended.thread().getName(), "telemetry's loop, not a request path's");
    assertTrue(ended.thread().isAlive());
    await(sender.shutdown());
    await(loop.shutdown());
    assertTrue(TelemetryFixtures.ends(ended.thread()), ended.thread() + " outlived its shutdown");
    CompletableResultCode late = sender.send(request, 2); // the SDK's reader may still ask
    assertTrue(late.isDone() && !late.isSuccess(), "after the loop ended, an export fails at once");
  }

  @Test
  void theHeadersFromTheEnvironmentGoWithEveryExport(Vertx vertx) {
    OtlpReceiver collector = await(OtlpReceiver.start(vertx));
    Map<String, String> headers = OtlpHeaders.parse("x-api-key = s3cret%2Cpart , user-agent=custom").headers();
    TelemetryLoop loop = new TelemetryLoop(vertx);
    OtlpHttpSender sender = senderTo(collector, loop, headers);
    CompletableResultCode spans = sender.send(twoSpansThenGarbage(), 2);
    CompletableResultCode metrics = sender.sendMetrics(new byte[0]); // an empty ExportMetricsServiceRequest
    assertTrue(spans.join(5, TimeUnit.SECONDS).isSuccess() && metrics.join(5, TimeUnit.SECONDS).isSuccess());
    assertEquals(2, collector.headers().size());
    for (io.vertx.core.MultiMap h : collector.headers()) {
      assertEquals(List.of("s3cret,part"), h.getAll("x-api-key"), h::toString);
      assertEquals(List.of("custom"), h.getAll("user-agent"), "replaces ours, once");
      assertEquals("application/x-protobuf", h.get("content-type"));
    }
    await(sender.shutdown());
    await(loop.shutdown());
  }

  @Test
  void aCollectorAnsweringAnErrorFailsTheExportWithItsStatus(Vertx vertx) {
    OtlpReceiver collector = await(OtlpReceiver.start(vertx, OtlpReceiver.Mode.FAIL_503));
    TelemetryLoop loop = new TelemetryLoop(vertx);
    OtlpHttpSender sender = senderTo(collector, loop, Map.of());
    Ended ended = await(sendFromAWorker(vertx, collector, sender, twoSpansThenGarbage(), new String[1]));

    assertFalse(ended.success());
    OtlpHttpSender.CollectorStatusException e =
        assertInstanceOf(OtlpHttpSender.CollectorStatusException.class, ended.failure());
    assertEquals(503, e.status);
    assertTrue(ended.onEventLoop(), "ended on " + ended.thread());
    await(sender.shutdown());
    await(loop.shutdown());
  }

  @Test
  void aPartialSuccessIsToldWithWhatWasRejectedAndWhy(Vertx vertx) {
    // OTLP: a collector that takes part of an export says so in a 200; it went unseen (a telemetry audit)
    OtlpReceiver collector = await(OtlpReceiver.start(vertx, OtlpReceiver.Mode.PARTIAL));
    TelemetryLoop loop = new TelemetryLoop(vertx);
    OtlpHttpSender sender = senderTo(collector, loop, Map.of());
    List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
    sender.onPartialSuccess((what, said) -> told.add(what + " " + said.rejected() + " " + said.message()));
    assertTrue(sender.send(twoSpansThenGarbage(), 2).join(5, TimeUnit.SECONDS).isSuccess(), "the rest was taken");
    assertTrue(sender.sendMetrics(new byte[0]).join(5, TimeUnit.SECONDS).isSuccess());
    assertEquals(List.of("spans 1 span too old", "metrics 2 "), told);
    collector.mode(OtlpReceiver.Mode.ANSWER);
    assertTrue(sender.send(twoSpansThenGarbage(), 2).join(5, TimeUnit.SECONDS).isSuccess());
    assertEquals(2, told.size(), "an answer with no partial success tells nothing");
    await(sender.shutdown());
    await(loop.shutdown());
  }

  @Test
  void anAnswerWhoseBodyStallsFailsTheExportWithinTheTimeoutAndFreesItsConnection(Vertx vertx) {
    // a 200 whose body stopped short of its length held the export's connection for good: the
    // four slots taken, nothing exported, nothing logged (a telemetry re-audit)
    OtlpReceiver collector = await(OtlpReceiver.start(vertx, OtlpReceiver.Mode.STALL_BODY));
    TelemetryLoop loop = new TelemetryLoop(vertx);
    OtlpHttpSender sender = senderTo(collector, loop, Map.of()); // 2 s, two connections
    long start = System.nanoTime();
    List<CompletableResultCode> stalled = List.of(sender.send(twoSpansThenGarbage(), 2),
        sender.send(twoSpansThenGarbage(), 2), sender.sendMetrics(new byte[0]));
    for (CompletableResultCode r : stalled) {
      assertFalse(r.join(10, TimeUnit.SECONDS).isSuccess(), "failed, not left waiting");
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(ms >= 1_900 && ms < 8_000, "failed on the timeout: " + ms + " ms");
    collector.mode(OtlpReceiver.Mode.ANSWER);
    assertTrue(sender.send(twoSpansThenGarbage(), 2).join(5, TimeUnit.SECONDS).isSuccess(), "the connections are free");
    await(sender.shutdown());
    await(loop.shutdown());
  }

  @Test
  void exportsOneAfterTheOtherEachSendOnlyTheirOwnBytes(Vertx vertx) {
    OtlpReceiver collector = await(OtlpReceiver.start(vertx));
    TelemetryLoop loop = new TelemetryLoop(vertx);
    OtlpHttpSender sender = senderTo(collector, loop, Map.of());
    OtlpTraceEncoder.Encoded large = spans(500);
    OtlpTraceEncoder.Encoded small = twoSpansThenGarbage();
    // large, then small (garbage before and after its bytes must not go out), then large again
    assertTrue(sender.send(large, 1000).join(5, TimeUnit.SECONDS).isSuccess());
    assertTrue(sender.send(small, 2).join(5, TimeUnit.SECONDS).isSuccess());
    assertTrue(sender.send(large, 1000).join(5, TimeUnit.SECONDS).isSuccess());
    assertTrue(sender.sendMetrics(new byte[0]).join(5, TimeUnit.SECONDS).isSuccess(), "an empty one too");

    assertEquals(0, collector.rejected(), "every export parsed: no byte of another export went with it");
    assertEquals(2002, collector.spans().size());
    await(sender.shutdown());
    await(loop.shutdown());
  }

  /** A sender to {@code collector} on {@code loop}: 2 s timeouts, two connections. */
  private static OtlpHttpSender senderTo(OtlpReceiver collector, TelemetryLoop loop, Map<String, String> headers) {
    return new OtlpHttpSender(loop.context(), collector.endpoint(), headers, Duration.ofSeconds(2), 2);
  }

  /** An encoded export of {@code records} records' spans (two each). */
  private static OtlpTraceEncoder.Encoded spans(int records) {
    OtlpTraceEncoder encoder = new OtlpTraceEncoder(Resource.getDefault(),
        InstrumentationScopeInfo.create("io.oxllm.telemetry"));
    encoder.start();
    for (int i = 0; i < records; i++) {
      encoder.append(TelemetryFixtures.ok("r-" + i, Telemetry.epochNanos()));
    }
    return encoder.finish(null);
  }

  /**
   * An encoded export of one record's two spans, in a direct buffer between 64 bytes before it and
   * 64 after it that must not be sent (not valid protobuf).
   */
  private static OtlpTraceEncoder.Encoded twoSpansThenGarbage() {
    OtlpTraceEncoder encoder = new OtlpTraceEncoder(Resource.getDefault(),
        InstrumentationScopeInfo.create("io.oxllm.telemetry"));
    encoder.start();
    assertEquals(2, encoder.append(TelemetryFixtures.ok("r-1", Telemetry.epochNanos())));
    ByteBuffer message = encoder.finish(null).message();
    int length = message.remaining();
    ByteBuffer buffer = ByteBuffer.allocateDirect(length + 128);
    byte[] garbage = new byte[64];
    Arrays.fill(garbage, (byte) 0xFF);
    buffer.put(garbage).put(message).put(garbage);
    return new OtlpTraceEncoder.Encoded(buffer, 64, length);
  }

  /**
   * Sends from a worker context and reports where the export ended. The collector answers only
   * once the completion callback is registered: a result already complete when the callback is
   * added runs it on the adding thread (the worker), which would say nothing about the sender.
   */
  private static Future<Ended> sendFromAWorker(Vertx vertx, OtlpReceiver collector, OtlpHttpSender sender,
      OtlpTraceEncoder.Encoded request, String[] workerThread) {
    Promise<Ended> ended = Promise.promise();
    Promise<Void> registered = Promise.promise();
    collector.holdAnswersUntil(registered.future());
    ((VertxInternal) vertx).createWorkerContext().runOnContext(v -> {
      workerThread[0] = Thread.currentThread().getName();
      CompletableResultCode result = sender.send(request, 2);
      result.whenComplete(() -> ended.complete(new Ended(result.isSuccess(), result.getFailureThrowable(),
          Thread.currentThread(), Context.isOnEventLoopThread())));
      registered.complete();
    });
    return ended.future();
  }
}
