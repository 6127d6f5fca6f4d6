package io.oxllm.telemetry;

import java.nio.ByteBuffer;

/**
 * Lays out one request log line ({@link RequestLog}): the documented fields in order, values
 * written by {@link JsonBytes} (byte for byte what the {@code JsonObject} encoding it replaced
 * made). The fields that repeat between requests come from {@link RunCache}s.
 *
 * <p>Why not a Vert.x {@code JsonObject}: building one per record, encoding it with Jackson to a
 * String and that to bytes cost well over a microsecond per line, the largest single cost of
 * telemetry; this takes a tenth of that. Worker thread only; not thread-safe.
 */
final class JsonLineEncoder {
  private static final byte[] TRUE = JsonBytes.ascii("true");
  private static final byte[] FALSE = JsonBytes.ascii("false");

  // the fields in the documented order, each with what comes before its value
  private static final byte[] TS = JsonBytes.ascii("{\"ts\":\"");
  private static final byte[] REQUEST_ID = JsonBytes.ascii("\",\"request_id\":");
  private static final byte[] PATH = JsonBytes.ascii(",\"path\":");
  private static final byte[] MODEL = JsonBytes.ascii(",\"model\":");
  private static final byte[] PROVIDER = JsonBytes.ascii(",\"provider\":");
  private static final byte[] UPSTREAM_MODEL = JsonBytes.ascii(",\"upstream_model\":");
  private static final byte[] STATUS = JsonBytes.ascii(",\"status\":");
  private static final byte[] OUTCOME = JsonBytes.ascii(",\"outcome\":");
  private static final byte[] STREAM = JsonBytes.ascii(",\"stream\":");
  private static final byte[] ATTEMPTS = JsonBytes.ascii(",\"attempts\":[");
  private static final byte[] ATTEMPT_PROVIDER = JsonBytes.ascii("{\"provider\":");
  private static final byte[] ERROR = JsonBytes.ascii(",\"error\":");
  private static final byte[] MS = JsonBytes.ascii(",\"ms\":");
  private static final byte[] TTFT_MS = JsonBytes.ascii("],\"ttft_ms\":");
  private static final byte[] DURATION_MS = JsonBytes.ascii(",\"duration_ms\":");
  private static final byte[] INPUT_TOKENS = JsonBytes.ascii(",\"input_tokens\":");
  private static final byte[] OUTPUT_TOKENS = JsonBytes.ascii(",\"output_tokens\":");
  private static final byte[] BYTES_OUT = JsonBytes.ascii(",\"bytes_out\":");

  private final JsonBytes out = new JsonBytes();
  // path, model, provider, upstream model; status, outcome, stream
  private final RunCache requestRuns = new RunCache(4, 3);
  // provider, error; status
  private final RunCache attemptRuns = new RunCache(2, 1);

  /** Replaces the buffer's content with the line of {@code r} and a newline; returns its length. */
  int encode(RequestRecord r) {
    out.reset();
    out.raw(TS);
    out.timestamp(r.startEpochNanos() / 1_000_000);
    out.raw(REQUEST_ID);
    out.requestId(r.requestId(), r.requestIdHigh(), r.requestIdLow());
    requestRun(r);
    boolean first = true;
    for (AttemptRecord a : r.attempts()) {
      if (!first) {
        out.raw((byte) ',');
      }
      first = false;
      attemptRun(a);
      out.millis(a.endEpochNanos() - a.startEpochNanos());
      out.raw((byte) '}');
    }
    out.raw(TTFT_MS);
    if (r.stream() && r.ttftNanos() >= 0) {
      out.millis(r.ttftNanos());
    } else {
      out.raw(JsonBytes.NULL);
    }
    out.raw(DURATION_MS);
    out.millis(r.endEpochNanos() - r.startEpochNanos());
    out.raw(INPUT_TOKENS);
    out.numberOrNull(r.inputTokens(), r.inputTokens() >= 0);
    out.raw(OUTPUT_TOKENS);
    out.numberOrNull(r.outputTokens(), r.outputTokens() >= 0);
    out.raw(BYTES_OUT);
    out.number(r.bytesOut());
    out.raw((byte) '}');
    out.raw((byte) '\n');
    return out.size();
  }

  /**
   * From {@code ,"path":} to the {@code [} that opens the attempts: the fields that repeat between
   * requests, from {@link #requestRuns} when one of the last few requests had the same values.
   */
  private void requestRun(RequestRecord r) {
    RunCache c = requestRuns;
    c.set(0, r.path());
    c.set(1, r.requestedModel());
    c.set(2, r.provider());
    c.set(3, r.upstreamModel());
    c.set(0, r.status());
    c.set(1, r.outcome().ordinal());
    c.set(2, r.stream() ? 1 : 0);
    if (c.copyKept(out)) {
      return;
    }
    int from = out.size();
    out.raw(PATH);
    out.string(r.path());
    out.raw(MODEL);
    out.string(r.requestedModel());
    out.raw(PROVIDER);
    out.string(r.provider());
    out.raw(UPSTREAM_MODEL);
    out.string(r.upstreamModel());
    out.raw(STATUS);
    out.numberOrNull(r.status(), r.status() > 0);
    out.raw(OUTCOME);
    out.string(r.outcome().jsonName());
    out.raw(STREAM);
    out.raw(r.stream() ? TRUE : FALSE);
    out.raw(ATTEMPTS);
    c.keep(out, from);
  }

  /** An attempt from its {@code {} to {@code "ms":}; see {@link #requestRun}. */
  private void attemptRun(AttemptRecord a) {
    RunCache c = attemptRuns;
    c.set(0, a.provider());
    c.set(1, a.error());
    c.set(0, a.status());
    if (c.copyKept(out)) {
      return;
    }
    int from = out.size();
    out.raw(ATTEMPT_PROVIDER);
    out.string(a.provider());
    out.raw(STATUS);
    out.numberOrNull(a.status(), a.status() > 0);
    out.raw(ERROR);
    out.string(a.error());
    out.raw(MS);
    c.keep(out, from);
  }

  /** Appends {@code length} bytes of the line from {@code from} to {@code buffer}, which has room. */
  void copyTo(ByteBuffer buffer, int from, int length) {
    out.copyTo(buffer, from, length);
  }
}
