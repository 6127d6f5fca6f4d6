package io.oxllm.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Ships request records' spans to the collector: encodes them ({@link OtlpTraceEncoder}) into
 * export requests of at most {@value #BATCH} spans or about {@value #MAX_EXPORT_BYTES} bytes, each
 * sent when full or when its first span has waited {@code lingerMs}, with at most
 * {@value #MAX_IN_FLIGHT} outstanding and at most {@value #MAX_PENDING} spans or
 * {@value #MAX_PENDING_BYTES} bytes waiting. Bytes are bounded as well as spans: a span carries
 * what clients sent (its path, their tracestate), and 16384 large spans were hundreds of megabytes
 * of direct memory, past the JVM's limit, and exports past the OTel Collector's 20 MiB default,
 * refused whole (a telemetry audit). Few large exports rather than many small ones: an export's
 * fixed cost was most of what spans cost. Nothing here waits: a slow collector fills the pending
 * buffer, after which records are dropped unencoded and their spans counted; a failed export is
 * dropped (never retried) and starts a backoff during which nothing is sent (doubling from
 * {@code backoffMinMs} to {@code backoffMaxMs}, reset by a success), so a dead collector costs at
 * most one full buffer's encoding per backoff period.
 *
 * <p>Only the telemetry worker thread calls {@link #add}, {@link #ship} and {@link #flush}; an
 * export may complete on any thread (a {@link Sender}'s choice; {@link OtlpHttpSender}'s is its own
 * event loop) and hands the next {@link #ship} to the worker through {@code onWorker}.
 */
final class SpanShipper {
  static final int BATCH = 4096;
  static final int MAX_IN_FLIGHT = 4;
  static final int MAX_PENDING = 16384;
  /** An export is sealed once its spans are this large (a usual one is ~800 bytes a span: 4096 make ~3 MB). */
  static final int MAX_EXPORT_BYTES = 3 << 20;
  static final int MAX_PENDING_BYTES = 16 << 20;
  /** Export buffers kept for reuse once their export is over, and the largest one kept. */
  static final int SPARE_BUFFERS = 2;
  static final int MAX_SPARE_BYTES = 4 << 20;

  /**
   * Sends one encoded export request ({@link OtlpTraceEncoder.Encoded#message}) holding
   * {@code spans} spans. Its buffer is the shipper's again once the result completes: by then the
   * sender must be done reading it (written or abandoned, not only answered).
   */
  interface Sender {
    CompletableResultCode send(OtlpTraceEncoder.Encoded request, int spans);
  }

  private record Batch(OtlpTraceEncoder.Encoded request, int spans) {}

  private final OtlpTraceEncoder encoder;
  private final Sender sender;
  private final ExportFailures failures;
  private final Executor onWorker;
  private final LongSupplier nanoClock;
  private final long backoffMinNanos;
  private final long backoffMaxNanos;
  private final long lingerNanos;
  private final ArrayDeque<Batch> pending = new ArrayDeque<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Set<CompletableResultCode> outstanding = ConcurrentHashMap.newKeySet();
  // buffers of finished exports, for the encoder's next batches: direct memory is slow to allocate
  // (zeroed) and freed only when the GC finds its buffer unreachable. (When exports were heap
  // arrays, a fresh megabyte per export was promoted by young collections until the old generation
  // filled: a full collection every few seconds at 30k requests/s.) Guarded by itself: exports end
  // on any thread.
  private final ArrayDeque<ByteBuffer> spare = new ArrayDeque<>();
  private final AtomicLong exported = new AtomicLong();
  private final AtomicLong dropped;
  private int pendingSpans;
  private long pendingBytes;
  private boolean encoding;
  private long encodingSinceNanos;
  // written by export completions (any sender thread), read by the worker
  private long backoffNanos;
  private volatile long sendAfterNanos;
  private volatile boolean backingOff;

  /** @param dropped where dropped spans are counted (the worker's total, across endpoints) */
  SpanShipper(OtlpTraceEncoder encoder, Sender sender, ExportFailures failures, AtomicLong dropped, Executor onWorker,
      LongSupplier nanoClock, long lingerMs, long backoffMinMs, long backoffMaxMs) {
    this.encoder = encoder;
    this.dropped = dropped;
    this.sender = sender;
    this.failures = failures;
    this.onWorker = onWorker;
    this.nanoClock = nanoClock;
    this.backoffMinNanos = backoffMinMs * 1_000_000;
    this.backoffMaxNanos = backoffMaxMs * 1_000_000;
    this.lingerNanos = lingerMs * 1_000_000;
  }

  /**
   * Encodes one record's spans, or drops them all when the buffer is full (a trace stays whole or
   * absent). A record whose client did not sample its trace has none: exporting them anyway would
   * override the client's sampling (what an OpenTelemetry SDK's default parent-based sampler does).
   */
  void add(RequestRecord r) {
    if (!r.sampled()) {
      return;
    }
    int n = OtlpTraceEncoder.maxSpans(r);
    if (pendingSpans + encoder.spans() + n > MAX_PENDING
        || pendingBytes + (encoding ? encoder.bytes() : 0) >= MAX_PENDING_BYTES) {
      dropped.addAndGet(n);
      return;
    }
    if (!encoding) {
      encoder.start();
      encoding = true;
      encodingSinceNanos = nanoClock.getAsLong();
    }
    encoder.append(r);
    if (encoder.spans() >= BATCH || encoder.bytes() >= MAX_EXPORT_BYTES) {
      seal();
    }
  }

  /** Starts exports while there are sealed batches, free slots and no backoff; seals a batch that has lingered. */
  void ship() {
    if (encoding && nanoClock.getAsLong() - encodingSinceNanos >= lingerNanos) {
      seal();
    }
    if (backingOff && nanoClock.getAsLong() - sendAfterNanos < 0) {
      return;
    }
    while (!pending.isEmpty() && inFlight.get() < MAX_IN_FLIGHT) {
      send(poll(), true);
    }
  }

  /**
   * Exports everything pending now, ignoring the in-flight limit (shutdown only); completes when
   * these and the exports already under way have. During a backoff the collector has just failed:
   * what is pending is dropped and counted rather than tried, so shutdown does not wait on it.
   */
  CompletableResultCode flush() {
    seal();
    List<CompletableResultCode> results = new ArrayList<>(outstanding);
    boolean failing = backingOff && nanoClock.getAsLong() - sendAfterNanos < 0;
    while (!pending.isEmpty()) {
      Batch b = poll();
      if (failing) {
        dropped.addAndGet(b.spans());
        giveBack(b.request().buffer());
      } else {
        results.add(send(b, false));
      }
    }
    return CompletableResultCode.ofAll(results);
  }

  long exported() {
    return exported.get();
  }

  /** The collector took an export but for {@code spans} of its spans (a partial success): dropped, not exported. */
  void rejected(long spans) {
    exported.addAndGet(-spans);
    dropped.addAndGet(spans);
  }

  /** Spans encoded or sealed and not yet handed to the sender. */
  int pendingSpans() {
    return pendingSpans + encoder.spans();
  }

  private void seal() {
    if (encoding) {
      int n = encoder.spans();
      OtlpTraceEncoder.Encoded request = encoder.finish(takeSpare());
      encoding = false;
      if (n > 0) {
        pending.add(new Batch(request, n));
        pendingSpans += n;
        pendingBytes += request.length();
      } else {
        giveBack(request.buffer());
      }
    }
  }

  private Batch poll() {
    Batch b = pending.poll();
    pendingSpans -= b.spans();
    pendingBytes -= b.request().length();
    return b;
  }

  private CompletableResultCode send(Batch batch, boolean continueAfter) {
    inFlight.incrementAndGet();
    CompletableResultCode result;
    try {
      result = sender.send(batch.request(), batch.spans());
    } catch (RuntimeException e) {
      result = CompletableResultCode.ofExceptionalFailure(e);
    }
    CompletableResultCode done = result;
    outstanding.add(done);
    done.whenComplete(() -> {
      outstanding.remove(done);
      giveBack(batch.request().buffer());
      (done.isSuccess() ? exported : dropped).addAndGet(batch.spans());
      exportEnded(done.isSuccess());
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

  private ByteBuffer takeSpare() {
    synchronized (spare) {
      return spare.poll();
    }
  }

  private void giveBack(ByteBuffer buffer) {
    if (buffer.capacity() <= MAX_SPARE_BYTES) {
      synchronized (spare) {
        if (spare.size() < SPARE_BUFFERS) {
          spare.push(buffer);
        }
      }
    }
  }

  private synchronized void exportEnded(boolean ok) {
    if (ok) {
      backoffNanos = 0;
      backingOff = false;
      return;
    }
    backoffNanos = backoffNanos == 0 ? backoffMinNanos : Math.min(backoffMaxNanos, backoffNanos * 2);
    sendAfterNanos = nanoClock.getAsLong() + backoffNanos;
    backingOff = true;
  }
}
