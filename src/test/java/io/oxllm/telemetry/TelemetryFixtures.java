package io.oxllm.telemetry;

import static io.oxllm.testing.Polling.await;

import io.oxllm.config.TelemetryConfig;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/** Records, configs and a started worker for the telemetry tests (no gateway needed). */
final class TelemetryFixtures {
  static final long MS = 1_000_000L;

  private TelemetryFixtures() {}

  /**
   * {@code s} (null stays null) with each char above U+00FF replaced by one in U+0080–U+00FF: a
   * request id's domain, whose chars are an HTTP header value's ({@link RequestRecord}). Ids from
   * random or nasty text go through this; every other field gets the text as it is.
   */
  static String latin1(String s) {
    if (s == null) {
      return null;
    }
    char[] chars = s.toCharArray();
    for (int i = 0; i < chars.length; i++) {
      if (chars[i] > 0xFF) {
        chars[i] = (char) (0x80 | chars[i] & 0x7F);
      }
    }
    return new String(chars);
  }

  /** A started telemetry worker and its deployment id. */
  record Running(Telemetry telemetry, String deployment, Vertx vertx) {
    /** Undeploys (the final flush) and returns how long it took, in ms. */
    long stop() {
      long t0 = System.nanoTime();
      await(vertx.undeploy(deployment), Duration.ofSeconds(20));
      return (System.nanoTime() - t0) / MS;
    }
  }

  static TelemetryConfig config(String otlpEndpoint, int queueCapacity, String requestLog) {
    return new TelemetryConfig(otlpEndpoint, "oxllm-test", queueCapacity, requestLog, 100, 10);
  }

  /** Test timings: metrics pushed every 200 ms instead of every 10 s. */
  static Tuning fast(TelemetryConfig c) {
    return Tuning.of(c, name -> null).withMetricInterval(Duration.ofMillis(200));
  }

  static Running start(Vertx vertx, TelemetryConfig c, Tuning t) {
    Telemetry telemetry = new Telemetry(c, t);
    return new Running(telemetry, await(telemetry.deploy(vertx)), vertx);
  }

  /** A successful non-stream chat through provider A, one attempt, with tokens. */
  static RequestRecord ok(String requestId, long startEpochNanos) {
    return ok(requestId, startEpochNanos, true);
  }

  /** {@link #ok}, in a trace that is sampled or, as its client said in its traceparent, not. */
  static RequestRecord ok(String requestId, long startEpochNanos, boolean sampled) {
    AttemptRecord a = new AttemptRecord("A", "m-a", 200, null, null, startEpochNanos + MS, startEpochNanos + 9 * MS,
        TraceIds.newSpanId());
    return new RequestRecord(requestId, 0, 0, "/v1/chat/completions", "chat", "v", "A", "m-a", "m-a-0613", 200, Outcome.OK,
        false, List.of(a), startEpochNanos, startEpochNanos + 10 * MS, -1, 11, 22, List.of("stop"), 345,
        TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow(), TraceIds.newSpanId(), 0, sampled, null);
  }

  /** A stream that failed over from A (503) to B, with a time to first token and a client's parent span (0: none). */
  static RequestRecord failover(String requestId, long start, long traceIdHigh, long traceIdLow, long parentSpanId) {
    AttemptRecord a = new AttemptRecord("A", "m-a", 503, null, null, start + MS, start + 5 * MS, TraceIds.newSpanId());
    AttemptRecord b = new AttemptRecord("B", "m-b", 200, null, null, start + 6 * MS, start + 40 * MS, TraceIds.newSpanId());
    return new RequestRecord(requestId, 0, 0, "/v1/chat/completions", "chat", "v", "B", "m-b", "m-b", 200, Outcome.OK,
        true, List.of(a, b), start, start + 42 * MS, 12 * MS, 7, 30, List.of("stop", "length"), 2048,
        traceIdHigh, traceIdLow, TraceIds.newSpanId(), parentSpanId, true, null);
  }

  /** A stream {@link #failover} whose upstream cut it after its first token: its end is no success. */
  static RequestRecord cutStream(String requestId, long start) {
    RequestRecord f = failover(requestId, start);
    return new RequestRecord(f.requestId(), 0, 0, f.path(), f.operation(), f.requestedModel(), f.provider(),
        f.upstreamModel(), f.responseModel(), 200, Outcome.UPSTREAM_ERROR, true, f.attempts(), f.startEpochNanos(),
        f.endEpochNanos(), f.ttftNanos(), f.inputTokens(), f.outputTokens(), f.finishReasons(), f.bytesOut(),
        f.traceIdHigh(), f.traceIdLow(), f.spanId(), 0, true, "stream_interrupted");
  }

  /** Every attempt failed: a 504 for the client after a timeout on A. */
  static RequestRecord failed(String requestId, long start) {
    AttemptRecord a = new AttemptRecord("A", "m-a", 0, "no first byte within 30000 ms", "first_byte_timeout", start + MS, start + 30 * MS, TraceIds.newSpanId());
    return new RequestRecord(requestId, 0, 0, "/v1/chat/completions", "chat", "v", "A", "m-a", null, 504,
        Outcome.UPSTREAM_ERROR, false, List.of(a), start, start + 31 * MS, -1, -1, -1, List.of(), 180,
        TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow(), TraceIds.newSpanId(), 0, true, "upstream_timeout");
  }

  /** No provider answered: a 502 all_providers_failed after A refused the connection. */
  static RequestRecord allFailed(String requestId, long start) {
    AttemptRecord a = new AttemptRecord("A", "m-a", 0, "connection refused", "connection_refused", start + MS, start + 2 * MS, TraceIds.newSpanId());
    return new RequestRecord(requestId, 0, 0, "/v1/chat/completions", "chat", "v", null, null, null, 502,
        Outcome.UPSTREAM_ERROR, false, List.of(a), start, start + 3 * MS, -1, -1, -1, List.of(), 150,
        TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow(), TraceIds.newSpanId(), 0, true, "all_providers_failed");
  }

  /** Refused before routing: {@code model} is no model here, or {@code path} no API path. */
  static RequestRecord refused(String requestId, long start, String path, String operation, String model, String code) {
    return refused(requestId, start, path, operation, model, code, 404);
  }

  static RequestRecord refused(String requestId, long start, String path, String operation, String model, String code,
      int status) {
    return new RequestRecord(requestId, 0, 0, path, operation, model, null, null, null, status,
        Outcome.REJECTED, false, List.of(), start, start + MS, -1, -1, -1, List.of(), 120,
        TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow(), TraceIds.newSpanId(), 0, true, code);
  }

  /** {@link #failover} in a new trace, without a client's parent. */
  static RequestRecord failover(String requestId, long start) {
    return failover(requestId, start, TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow(), 0);
  }

  /**
   * {@code r} with an id the gateway made from {@code high} and {@code low}: its text their 32
   * lowercase hex digits, as {@code http.RequestIds} makes it, and the bits the encoders write it from.
   */
  static RequestRecord madeId(RequestRecord r, long high, long low) {
    return withId(r, traceIdHex(high, low), high, low);
  }

  /** {@code r} as a request for this model. */
  static RequestRecord withModel(RequestRecord r, String model) {
    return new RequestRecord(r.requestId(), r.requestIdHigh(), r.requestIdLow(), r.path(), r.operation(), model,
        r.provider(), r.upstreamModel(), r.responseModel(), r.status(), r.outcome(), r.stream(), r.attempts(),
        r.startEpochNanos(), r.endEpochNanos(), r.ttftNanos(), r.inputTokens(), r.outputTokens(), r.finishReasons(),
        r.bytesOut(), r.traceIdHigh(), r.traceIdLow(), r.spanId(), r.parentSpanId(), r.sampled(), r.errorType());
  }

  /** {@code r} with this request id text and these bits ({@link RequestRecord#requestIdHigh}). */
  static RequestRecord withId(RequestRecord r, String text, long high, long low) {
    return new RequestRecord(text, high, low, r.path(), r.operation(), r.requestedModel(), r.provider(),
        r.upstreamModel(), r.responseModel(), r.status(), r.outcome(), r.stream(), r.attempts(), r.startEpochNanos(),
        r.endEpochNanos(), r.ttftNanos(), r.inputTokens(), r.outputTokens(), r.finishReasons(), r.bytesOut(),
        r.traceIdHigh(), r.traceIdLow(), r.spanId(), r.parentSpanId(), r.sampled(), r.errorType());
  }

  /** Id bits with every hex digit in both halves, one half 0, all ones, the sign bits: edges of the hex writer. */
  static final long[][] ID_BITS = {{0x0123456789abcdefL, 0xfedcba9876543210L}, {1, 0}, {0, 1}, {-1, -1},
      {Long.MIN_VALUE, Long.MAX_VALUE}, {0xa0a0a0a0a0a0a0a0L, 0x0f0f0f0f0f0f0f0fL}};

  /** A trace id as its 32 lowercase hex digits, as in a traceparent or an OTLP export read as hex. */
  static String traceIdHex(long high, long low) {
    return HexFormat.of().toHexDigits(high) + HexFormat.of().toHexDigits(low);
  }

  /** A span id as its 16 lowercase hex digits. */
  static String spanIdHex(long id) {
    return HexFormat.of().toHexDigits(id);
  }

  /** Waits up to 5 s for {@code t} to end; true if it has (a thread that outlives its owner fails a test). */
  static boolean ends(Thread t) {
    try {
      t.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !t.isAlive();
  }
}
