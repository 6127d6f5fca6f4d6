package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The span shipper without a network: a sender that records each export and completes it when the
 * test says, a clock the test moves. Batching, the in-flight and pending bounds, drops that are
 * counted and never encoded, the linger of a partial batch, and the backoff after a failed export.
 */
class SpanShipperTest {
  private static final long MS = 1_000_000;

  private record Sent(ExportTraceServiceRequest request, ByteBuffer buffer, int spans, CompletableResultCode result) {}

  private final List<Sent> sent = new ArrayList<>();
  private final List<Runnable> onWorker = new ArrayList<>();
  private long now = 1_000 * MS;
  private final AtomicLong dropped = new AtomicLong();
  private final SpanShipper shipper = new SpanShipper(
      new OtlpTraceEncoder(Resource.getDefault(), InstrumentationScopeInfo.create("test")),
      (encoded, spans) -> {
        CompletableResultCode result = new CompletableResultCode();
        try {
          sent.add(new Sent(ExportTraceServiceRequest.parser().parseFrom(encoded.message()), encoded.buffer(), spans,
              result));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        return result;
      },
      new ExportFailures("http://collector", 60_000, () -> now / MS, new AtomicLong()), dropped, onWorker::add,
      () -> now, 50, 100, 400);

  private static RequestRecord record(int i) {
    return TelemetryFixtures.ok("r-" + i, Telemetry.epochNanos()); // two spans: the request's and one attempt's
  }

  private static int spansIn(Sent s) {
    return s.request().getResourceSpans(0).getScopeSpans(0).getSpansCount();
  }

  private void addSpans(int spans) {
    for (int i = 0; i < spans / 2; i++) {
      shipper.add(record(i));
    }
  }

  @Test
  void batchesHoldAtMostBatchSpansAndAtMostFourAreInFlight() {
    int batch = SpanShipper.BATCH;
    addSpans(4 * batch);
    shipper.ship();
    assertEquals(SpanShipper.MAX_IN_FLIGHT, sent.size(), "full batches go at once");
    for (Sent s : sent) {
      assertEquals(batch, s.spans());
      assertEquals(batch, spansIn(s), "the count matches what the request holds");
    }
    addSpans(batch + batch / 2);
    shipper.ship();
    assertEquals(4, sent.size(), "four exports at once, the rest wait");
    assertEquals(batch + batch / 2, shipper.pendingSpans());
    sent.get(0).result().succeed();
    assertEquals(1, onWorker.size(), "a finished export asks the worker to ship more");
    onWorker.remove(0).run();
    assertEquals(5, sent.size());
    sent.forEach(s -> s.result().succeed());
    onWorker.forEach(Runnable::run);
    assertEquals(5, sent.size(), "the partial last batch waits for its linger");
    now += 50 * MS;
    shipper.ship();
    assertEquals(6, sent.size());
    assertEquals(batch / 2, spansIn(sent.get(5)), "the partial last batch");
    sent.get(5).result().succeed();
    assertEquals(5 * batch + batch / 2, shipper.exported());
    assertEquals(0, dropped.get());
  }

  @Test
  void aFullBufferDropsWholeRecordsAndCountsTheirSpans() {
    int records = SpanShipper.MAX_PENDING / 2 + 100; // 200 spans more than the buffer holds
    for (int i = 0; i < records; i++) {
      shipper.add(record(i));
    }
    assertEquals(SpanShipper.MAX_PENDING, shipper.pendingSpans());
    assertEquals(200, dropped.get());
    assertTrue(sent.isEmpty(), "nothing leaves before ship()");
  }

  @Test
  void exportsAndTheSpansWaitingAreBoundedInBytesToo() {
    // spans carry what clients sent: 16384 spans of 8 KB were 128 MB of direct memory, and an
    // export of 4096 was past the OTel Collector's 20 MiB body limit (a telemetry audit)
    String path = "/v1/" + "p".repeat(8_000);
    int records = 4_000;
    for (int i = 0; i < records; i++) {
      shipper.add(TelemetryFixtures.refused("r-" + i, Telemetry.epochNanos(), path, "chat", "m", "model_not_found"));
    }
    long kept = shipper.pendingSpans();
    assertEquals(records - kept, dropped.get(), "whole records dropped, and counted");
    assertTrue(kept * path.length() <= SpanShipper.MAX_PENDING_BYTES + SpanShipper.MAX_EXPORT_BYTES + path.length() + 1024,
        "spans waiting: " + kept);
    assertTrue(kept * (path.length() + 512) >= SpanShipper.MAX_PENDING_BYTES, "not fewer than fit: " + kept);
    shipper.ship();
    assertEquals(SpanShipper.MAX_IN_FLIGHT, sent.size());
    for (Sent s : sent) {
      int bytes = s.request().getSerializedSize();
      assertTrue(s.spans() < SpanShipper.BATCH && bytes <= SpanShipper.MAX_EXPORT_BYTES + 2 * path.length(),
          s.spans() + " spans, " + bytes + " bytes");
      assertEquals(s.spans(), spansIn(s));
    }
  }

  @Test
  void aRecordWhoseClientDidNotSampleItsTraceHasNoSpans() {
    shipper.add(TelemetryFixtures.ok("unsampled", Telemetry.epochNanos(), false));
    assertEquals(0, shipper.pendingSpans());
    shipper.add(record(1));
    now += 50 * MS;
    shipper.ship();
    assertEquals(1, sent.size());
    assertEquals(2, spansIn(sent.get(0)), "only the sampled record's request and attempt spans");
    assertEquals(0, dropped.get(), "not sampling is not dropping");
  }

  @Test
  void aPartialBatchIsSentOnceItsFirstSpanHasLingered() {
    shipper.add(record(0));
    shipper.ship();
    now += 30 * MS;
    shipper.add(record(1));
    shipper.ship();
    assertEquals(0, sent.size());
    now += 20 * MS;
    shipper.ship();
    assertEquals(1, sent.size(), "50 ms after the first span");
    assertEquals(4, sent.get(0).spans());
    shipper.add(record(2));
    now += 49 * MS;
    shipper.ship();
    assertEquals(1, sent.size(), "the next batch's linger starts with its own first span");
  }

  @Test
  void aFailedExportIsDroppedAndNothingIsSentUntilTheBackoffHasPassed() {
    shipper.add(record(0));
    now += 50 * MS;
    shipper.ship();
    sent.get(0).result().fail();
    assertEquals(2, dropped.get(), "the failed batch is dropped, not retried");
    onWorker.clear();

    shipper.add(record(1));
    now += 50 * MS;
    shipper.ship();
    assertEquals(1, sent.size(), "backing off: nothing sent");
    now += 49 * MS;
    shipper.ship();
    assertEquals(1, sent.size(), "still backing off at 99 ms");
    now += 1 * MS;
    shipper.ship();
    assertEquals(2, sent.size(), "sent once 100 ms have passed");
    assertEquals(2, sent.get(1).spans(), "the record kept while backing off");

    sent.get(1).result().fail(); // the second failure in a row doubles the pause
    shipper.add(record(2));
    now += 50 * MS;
    shipper.ship();
    now += 149 * MS;
    shipper.ship();
    assertEquals(2, sent.size());
    now += 1 * MS;
    shipper.ship();
    assertEquals(3, sent.size());
    sent.get(2).result().fail();
    sent.clear();
    for (int i = 0; i < 3; i++) { // 400, then capped at 400
      shipper.add(record(10 + i));
      now += 399 * MS;
      shipper.ship();
      assertEquals(0, sent.size(), "backing off for 400 ms");
      now += 1 * MS;
      shipper.ship();
      assertEquals(1, sent.size());
      sent.remove(0).result().fail();
    }

    now += 400 * MS;
    shipper.add(record(20));
    now += 50 * MS;
    shipper.ship();
    sent.remove(0).result().succeed();
    shipper.add(record(21));
    now += 50 * MS;
    shipper.ship();
    assertEquals(1, sent.size(), "a success ends the backoff: the next batch goes at once");
  }

  @Test
  void flushWhileBackingOffDropsWhatIsPendingInsteadOfWaitingOnACollectorThatJustFailed() {
    shipper.add(record(0));
    now += 50 * MS;
    shipper.ship();
    sent.get(0).result().fail();
    shipper.add(record(1));
    shipper.add(record(2));
    CompletableResultCode flushed = shipper.flush();
    assertTrue(flushed.isDone());
    assertEquals(1, sent.size(), "nothing sent at shutdown");
    assertEquals(6, dropped.get());
    assertEquals(0, shipper.pendingSpans());
  }

  @Test
  void flushSendsEverythingPendingIgnoringTheInFlightLimit() {
    addSpans(4 * SpanShipper.BATCH);
    shipper.ship();
    addSpans(SpanShipper.BATCH + 2);
    CompletableResultCode flushed = shipper.flush();
    assertEquals(6, sent.size(), "four in flight, one more full batch and a partial one");
    assertTrue(!flushed.isDone(), "done when the exports are");
    sent.forEach(s -> s.result().succeed());
    assertTrue(flushed.isSuccess());
    assertEquals(5 * SpanShipper.BATCH + 2, shipper.exported());
  }

  @Test
  void anExportsBufferIsReusedOnlyOnceThatExportHasEnded() {
    for (int i = 0; i < 4; i++) { // each batch is sealed, and the encoder goes on in its next buffer
      shipper.add(record(i));
      now += 50 * MS;
      shipper.ship();
      if (i == 1) {
        sent.get(0).result().succeed(); // the first export ends; the second stays in flight
      }
    }
    assertEquals(4, sent.size());
    assertTrue(sent.get(1).buffer() != sent.get(0).buffer() && sent.get(2).buffer() != sent.get(0).buffer(),
        "not reused while its export was in flight");
    assertTrue(sent.get(3).buffer() == sent.get(0).buffer(), "the ended export's buffer is reused");
    for (int i = 1; i < 3; i++) {
      assertTrue(sent.get(3).buffer() != sent.get(i).buffer(), "never one still in flight");
    }
    assertEquals(2, spansIn(sent.get(3)), "a reused buffer carries the new batch alone");
  }
}
