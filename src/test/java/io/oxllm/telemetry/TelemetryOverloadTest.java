package io.oxllm.telemetry;

import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.config.TelemetryConfig;
import io.oxllm.testing.LogCapture;
import io.oxllm.testing.OtlpReceiver;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A collector that stalls, is dead, or answers errors costs the request path nothing: offers stay
 * fast, overflow is dropped and counted exactly, failures are logged once per interval (not per
 * batch), and shutdown stays bounded.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TelemetryOverloadTest {
  private static final Duration SOON = Duration.ofSeconds(10);
  private static final long SHUTDOWN_BOUND_MS = 4_500; // the 3 s flush budget plus slack for a loaded machine

  @Test
  void aFullQueueDropsAndCountsWithoutBlocking(Vertx vertx) {
    OtlpReceiver stalled = await(OtlpReceiver.start(vertx, OtlpReceiver.Mode.STALL));
    TelemetryConfig c = TelemetryFixtures.config(stalled.endpoint(), 10, "");
    TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c, TelemetryFixtures.fast(c));
    Telemetry t = running.telemetry();
    List<RequestRecord> records = new java.util.ArrayList<>();
    long now = Telemetry.epochNanos();
    for (int i = 0; i < 1000; i++) {
      records.add(TelemetryFixtures.ok("o-" + i, now));
    }
    for (int warm = 0; warm < 3; warm++) { // the timed loop below is the fourth pass: JIT-warm
      records.forEach(t::offer);
      until(SOON, t::queueDepth, d -> d == 0, "the worker drains the queue");
    }
    long droppedBefore = t.dropped();

    int accepted = 0;
    long t0 = System.nanoTime();
    for (RequestRecord r : records) {
      accepted += t.offer(r) ? 1 : 0;
    }
    long elapsedMs = (System.nanoTime() - t0) / 1_000_000;

    assertTrue(elapsedMs < 50, "1000 offers took " + elapsedMs + " ms");
    assertTrue(accepted >= 10, "at least the queue's capacity is accepted: " + accepted);
    assertEquals(1000 - accepted, t.dropped() - droppedBefore, "every refused record is counted, once");
    until(SOON, t::queueDepth, d -> d == 0, "the worker keeps draining while the collector stalls");
    // spans linger up to a second for a fuller export request; metrics go every 200 ms
    until(SOON, stalled::requests, n -> n > 0, "exports reach the stalled collector");
    long stopMs = running.stop();
    assertTrue(stopMs < SHUTDOWN_BOUND_MS, "shutdown with a stalled collector took " + stopMs + " ms");
  }

  @Test
  void theQueueHoldsExactlyItsCapacityWhateverItsArraySize() {
    // the lock-free queue's array is a power of two, of two places at least
    for (int capacity : new int[] {1, 3, 8, 1000}) {
      TelemetryConfig c = TelemetryFixtures.config("", capacity, "");
      Telemetry t = new Telemetry(c, Tuning.of(c, name -> null)); // no worker: nothing drains
      long now = Telemetry.epochNanos();
      int accepted = 0;
      for (int i = 0; i < capacity + 5; i++) {
        accepted += t.offer(TelemetryFixtures.ok("q-" + i, now)) ? 1 : 0;
      }
      assertEquals(capacity, accepted, "capacity " + capacity);
      assertEquals(capacity, t.queueDepth());
      assertEquals(5, t.dropped());
      assertFalse(t.offer(null));
      assertEquals(6, t.dropped(), "a null record is refused and counted");
    }
  }

  @Test
  void aBurstAfterAQuietSpellIsDrainedBeforeTheQueueFills(Vertx vertx) {
    TelemetryConfig c = TelemetryFixtures.config("", 64, "");
    // the paced drain comes every ten minutes at most: only a drain the offers ask for empties the
    // queue within this test (before, a burst from quiet at 30k a second overflowed 1024 places
    // in the 50 ms the pace then waits)
    TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c,
        TelemetryFixtures.fast(c).withDrainMs(1, 600_000));
    Telemetry t = running.telemetry();
    long now = Telemetry.epochNanos();
    int offered = 0;
    for (int burst = 0; burst < 20; burst++) {
      // up to the wake depth (half the queue), where the last offer asks for the drain. Not past
      // it: offers made after the asked-for drain's last read, below half, wait for the paced
      // drain by design (at most 50 ms in production, ten minutes here), and a worker draining in
      // the middle of a 48-offer burst left up to 16 behind (1 run in 7 under heavy load)
      for (int i = 0; i < 32; i++) {
        assertTrue(t.offer(TelemetryFixtures.ok("b-" + offered++, now)), "offer " + offered);
      }
      int expected = offered;
      until(SOON, t::exported, n -> n == expected, "burst " + burst + " drained long before the paced drain");
    }
    assertEquals(0, t.dropped());
    assertEquals(0, t.queueDepth());
    running.stop();
  }

  @Test
  void offersAfterTheWorkerStoppedFillTheQueueAndAreCountedWithoutThrowing(Vertx vertx) {
    TelemetryConfig c = TelemetryFixtures.config("", 16, "");
    TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c, TelemetryFixtures.fast(c));
    Telemetry t = running.telemetry();
    running.stop();
    long now = Telemetry.epochNanos();
    int accepted = 0;
    for (int i = 0; i < 40; i++) { // past half: an offer would ask the stopped worker for a drain
      accepted += t.offer(TelemetryFixtures.ok("s-" + i, now)) ? 1 : 0;
    }
    assertEquals(16, accepted);
    assertEquals(24, t.dropped());
  }

  @Test
  void aDeadCollectorIsLoggedOnceAndCostsNothing(Vertx vertx) {
    try (LogCapture log = LogCapture.start()) {
      TelemetryConfig c = TelemetryFixtures.config("http://127.0.0.1:" + OtlpReceiver.deadPort(), 1024, "");
      TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c, TelemetryFixtures.fast(c));
      Telemetry t = running.telemetry();
      long now = Telemetry.epochNanos();
      // one record per poll: spans (and metrics every 200 ms) keep failing to export
      until(SOON, () -> t.offer(TelemetryFixtures.ok("d", now)) ? t.exportFailures() : -1, n -> n >= 8,
          "several failed exports");

      long t0 = System.nanoTime();
      for (int i = 0; i < 1000; i++) {
        t.offer(TelemetryFixtures.ok("d-" + i, now));
      }
      long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(elapsedMs < 50, "1000 offers took " + elapsedMs + " ms with a dead collector");
      until(SOON, t::queueDepth, d -> d == 0, "drained");
      assertTrue(t.spansDropped() > 0, "failed batches are dropped and counted");

      long stopMs = running.stop();
      assertTrue(stopMs < SHUTDOWN_BOUND_MS, "shutdown with a dead collector took " + stopMs + " ms");
      List<String> ours = log.records().stream().filter(l -> l.contains("oxllm.telemetry")).toList();
      assertEquals(1, ours.size(), () -> t.exportFailures() + " failures, but these lines: " + ours);
      assertTrue(ours.get(0).startsWith("WARNING") && ours.get(0).contains("failed"), ours.get(0));
      List<String> sdk = log.records().stream().filter(l -> l.contains("io.opentelemetry")).toList();
      assertEquals(List.of(), sdk, "the SDK's own per-batch failure lines are silenced");
    }
  }

  /** Export failures reported at most once a minute, on {@code clock[0]} (milliseconds), counted into {@code failures}. */
  private static ExportFailures failuresReportedEveryMinute(long[] clock, AtomicLong failures) {
    return new ExportFailures("http://collector", 60_000, () -> clock[0], failures);
  }

  @Test
  void aStreakIsReportedAtMostOncePerIntervalAndRecoveryOnce() {
    long[] clock = {0};
    AtomicLong failures = new AtomicLong();
    ExportFailures f = failuresReportedEveryMinute(clock, failures);
    RuntimeException refused = new RuntimeException("Connection refused");
    for (int i = 0; i < 100; i++) {
      clock[0] += 100; // 100 failures over 10 s
      f.record("spans", false, refused);
    }
    assertEquals(100, failures.get());
    assertEquals(1, f.reports(), "one line for the streak's start");
    clock[0] += 60_000;
    f.record("metrics", false, refused);
    assertEquals(2, f.reports(), "one more after the interval");
    f.record("spans", true, null);
    f.record("spans", true, null);
    assertEquals(3, f.reports(), "one line when it works again");
  }

  @Test
  void aCollectorThatFailsEveryOtherExportIsReportedAtMostOncePerIntervalToo() {
    // each success ended the streak with an INFO, each failure began one with a WARNING: 37 lines
    // in 20 s (a telemetry audit)
    long[] clock = {0};
    AtomicLong failures = new AtomicLong();
    ExportFailures f = failuresReportedEveryMinute(clock, failures);
    RuntimeException refused = new RuntimeException("503");
    for (int i = 0; i < 100; i++) {
      clock[0] += 500; // 50 s
      f.record("spans", i % 2 == 1, i % 2 == 1 ? null : refused);
    }
    assertEquals(50, failures.get());
    assertEquals(2, f.reports(), "the first failure, and the success after it");
    clock[0] += 11_000; // a minute after the last line
    f.record("spans", false, refused);
    assertEquals(3, f.reports(), "a streak a minute on is reported, with the 49 counted meanwhile");
    f.record("spans", true, null);
    assertEquals(4, f.reports(), "and its end");
  }

  @Test
  void theExportTimeoutComesFromOtelExporterOtlpTimeoutWhenItIsAWholeNumberOfMilliseconds() {
    // a collector answering in about 2 s lost most spans to the fixed 2 s, and the SDKs' variable
    // did not change it (a telemetry audit)
    TelemetryConfig c = TelemetryFixtures.config("", 1024, "");
    assertEquals(Duration.ofSeconds(10), Tuning.of(c, name -> name.equals("OTEL_EXPORTER_OTLP_TIMEOUT") ? "10000" : null)
        .exportTimeout());
    assertEquals(Duration.ofSeconds(2), Tuning.of(c, name -> null).exportTimeout());
    for (String wrong : new String[] {"0", "-5", "10s", "1e4", "", "99999999999"}) {
      assertEquals(Tuning.DEFAULT_EXPORT_TIMEOUT_MS, Tuning.exportTimeoutMs(wrong), wrong);
    }
    assertEquals(250, Tuning.exportTimeoutMs(" 250 "));
  }

  @Test
  void partialSuccessesAreReportedAtMostOncePerIntervalAndAreNoFailure() {
    long[] clock = {0};
    AtomicLong failures = new AtomicLong();
    ExportFailures f = failuresReportedEveryMinute(clock, failures);
    for (int i = 0; i < 100; i++) {
      clock[0] += 100;
      f.partial("spans", new PartialSuccess(3, "too old"));
    }
    assertEquals(1, f.reports());
    clock[0] += 60_000;
    f.partial("metrics", new PartialSuccess(0, "a warning"));
    assertEquals(2, f.reports(), "one more after the interval, with the 99 counted meanwhile");
    assertEquals(0, failures.get(), "the rest of each export was taken");
  }

  @Test
  void aCollectorAnsweringErrorsCountsFailuresAndDropsBatches(Vertx vertx) {
    try (LogCapture log = LogCapture.start()) {
      OtlpReceiver failing = await(OtlpReceiver.start(vertx, OtlpReceiver.Mode.FAIL_503));
      TelemetryConfig c = TelemetryFixtures.config(failing.endpoint(), 1024, "");
      TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c, TelemetryFixtures.fast(c));
      Telemetry t = running.telemetry();
      t.offer(TelemetryFixtures.ok("e-1", Telemetry.epochNanos()));
      until(SOON, t::spansDropped, n -> n == 2, "the request and attempt spans are dropped, not retried");
      int requests = failing.requests();
      assertTrue(t.exportFailures() >= 1);
      // no retry: the failed span batch is not sent again (only the periodic metric exports continue)
      until(SOON, failing::requests, n -> n > requests + 2, "metric exports go on");
      assertEquals(2, t.spansDropped());
      assertTrue(running.stop() < SHUTDOWN_BOUND_MS);
      List<String> ours = log.records().stream().filter(l -> l.contains("oxllm.telemetry")).toList();
      assertTrue(ours.stream().anyMatch(l -> l.contains("the collector answered HTTP 503")), ours.toString());
    }
  }
}
