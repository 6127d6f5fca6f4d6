package io.oxllm.mock;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters shared by all mock verticle instances (LongAdder: increments from several event loops
 * do not contend), served as JSON on {@code GET /mock/stats} so tests and benchmarks can see what
 * the mock did, e.g. that a client gave up on a hanging request.
 */
public final class MockStats {
  final LongAdder requests = new LongAdder();
  final LongAdder streams = new LongAdder();
  final LongAdder injectedFailures = new LongAdder();
  final LongAdder faults = new LongAdder();
  final LongAdder clientCloses = new LongAdder();
  final LongAdder otlpExports = new LongAdder();
  final LongAdder otlpBytes = new LongAdder();

  /** Requests received, any path. */
  public long requests() {
    return requests.sum();
  }

  /** Requests answered as SSE streams. */
  public long streams() {
    return streams.sum();
  }

  /** Requests answered with the fail-rate status. */
  public long injectedFailures() {
    return injectedFailures.sum();
  }

  /** Requests that suffered a fault (hang, reset, cut, stall, error-first, no-done). */
  public long faults() {
    return faults.sum();
  }

  /** Requests whose client closed the connection before the answer ended. */
  public long clientCloses() {
    return clientCloses.sum();
  }

  /** OTLP export requests received ({@code POST /v1/traces} and {@code /v1/metrics}). */
  public long otlpExports() {
    return otlpExports.sum();
  }

  /** Their body bytes, counted as they arrived. */
  public long otlpBytes() {
    return otlpBytes.sum();
  }

  String json() {
    return "{\"requests\":" + requests() + ",\"streams\":" + streams() + ",\"injected_failures\":"
        + injectedFailures() + ",\"faults\":" + faults() + ",\"client_closes\":" + clientCloses()
        + ",\"otlp_exports\":" + otlpExports() + ",\"otlp_bytes\":" + otlpBytes() + "}";
  }
}
