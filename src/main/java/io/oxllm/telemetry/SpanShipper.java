package io.oxllm.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ships spans to an OTLP {@link SpanExporter} in batches of at most {@value #BATCH}, with at most
 * {@value #MAX_IN_FLIGHT} exports outstanding and at most {@value #MAX_PENDING} spans waiting.
 * Nothing here waits: a slow or dead collector fills the pending buffer, after which new spans are
 * dropped and counted, and a failed batch is dropped (the exporter does not retry). Only the
 * telemetry worker thread calls {@link #add} and {@link #ship}; an export's completion comes back
 * on that thread through {@code onWorker} to ship the next batch without waiting for a tick.
 */
final class SpanShipper {
  static final int BATCH = 512;
  static final int MAX_IN_FLIGHT = 4;
  static final int MAX_PENDING = 4096;

  private final SpanExporter exporter;
  private final ExportFailures failures;
  private final Executor onWorker;
  private final ArrayDeque<SpanData> pending = new ArrayDeque<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Set<CompletableResultCode> outstanding = ConcurrentHashMap.newKeySet();
  private final AtomicLong exported = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();

  SpanShipper(SpanExporter exporter, ExportFailures failures, Executor onWorker) {
    this.exporter = exporter;
    this.failures = failures;
    this.onWorker = onWorker;
  }

  /** Queues one request's spans, or drops them all when the buffer is full (a trace stays whole or absent). */
  void add(List<SpanData> spans) {
    if (pending.size() + spans.size() > MAX_PENDING) {
      dropped.addAndGet(spans.size());
      return;
    }
    pending.addAll(spans);
  }

  /** Starts exports while there are spans and free slots. */
  void ship() {
    while (!pending.isEmpty() && inFlight.get() < MAX_IN_FLIGHT) {
      send(nextBatch(), true);
    }
  }

  /**
   * Exports everything pending now, ignoring the in-flight limit (shutdown only); completes when
   * these and the exports already under way have.
   */
  CompletableResultCode flush() {
    List<CompletableResultCode> results = new ArrayList<>(outstanding);
    while (!pending.isEmpty()) {
      results.add(send(nextBatch(), false));
    }
    return CompletableResultCode.ofAll(results);
  }

  CompletableResultCode shutdown() {
    return exporter.shutdown();
  }

  long exported() {
    return exported.get();
  }

  long dropped() {
    return dropped.get();
  }

  private List<SpanData> nextBatch() {
    int n = Math.min(BATCH, pending.size());
    List<SpanData> batch = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      batch.add(pending.poll());
    }
    return batch;
  }

  private CompletableResultCode send(List<SpanData> batch, boolean continueAfter) {
    inFlight.incrementAndGet();
    CompletableResultCode result;
    try {
      result = exporter.export(batch);
    } catch (RuntimeException e) {
      result = CompletableResultCode.ofExceptionalFailure(e);
    }
    CompletableResultCode done = result;
    outstanding.add(done);
    done.whenComplete(() -> {
      outstanding.remove(done);
      (done.isSuccess() ? exported : dropped).addAndGet(batch.size());
      failures.record("spans", done.isSuccess(), done.getFailureThrowable());
      inFlight.decrementAndGet();
      if (continueAfter) {
        try {
          onWorker.execute(this::ship);
        } catch (RuntimeException e) {
          // the worker is gone (shutdown): its final flush ships what is left
        }
      }
    });
    return done;
  }
}
