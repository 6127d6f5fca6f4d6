package io.oxllm.telemetry;

import java.util.List;

/**
 * The part of a span that repeats between requests: its name ("operation model"), its kind, and
 * the attributes made of the request's operation, path, provider, models, attempts, outcome,
 * stream, status, error type and finish reason (an attempt's: the operation and the attempt's
 * provider, model, status and error). Most requests share these values with one of the last few,
 * so the run is copied from a {@link RunCache}, or else encoded and kept there. Written into
 * {@link OtlpTraceEncoder}'s {@link ProtoWriter}, between a span's times and its request id;
 * worker thread only, like the encoder.
 */
final class SpanRuns {
  // Span.name, Span.kind
  private static final int NAME = 5;
  private static final int KIND = 6;
  private static final int KIND_SERVER = 2;
  private static final int KIND_CLIENT = 3;

  private static final byte[] OPERATION = OtlpAttributes.key(SemConv.OPERATION);
  private static final byte[] PROVIDER = OtlpAttributes.key(SemConv.PROVIDER);
  private static final byte[] REQUEST_MODEL = OtlpAttributes.key(SemConv.REQUEST_MODEL);
  private static final byte[] RESPONSE_MODEL = OtlpAttributes.key(SemConv.RESPONSE_MODEL);
  private static final byte[] FINISH_REASONS = OtlpAttributes.key(SemConv.FINISH_REASONS);
  private static final byte[] ERROR_TYPE = OtlpAttributes.key(SemConv.ERROR_TYPE);
  private static final byte[] HTTP_STATUS = OtlpAttributes.key(SemConv.HTTP_STATUS);
  private static final byte[] HTTP_METHOD = OtlpAttributes.key(SemConv.HTTP_METHOD);
  private static final byte[] URL_PATH = OtlpAttributes.key(SemConv.URL_PATH);
  private static final byte[] ATTEMPTS = OtlpAttributes.key(SemConv.ATTEMPTS);
  private static final byte[] OUTCOME = OtlpAttributes.key(SemConv.OUTCOME);
  private static final byte[] STREAM = OtlpAttributes.key(SemConv.STREAM);
  // whole attributes whose value never varies, encoded once
  private static final byte[] METHOD_POST = OtlpAttributes.constant(HTTP_METHOD, "POST");
  // required on an HTTP server span; the gateway listens on plain HTTP only
  private static final byte[] SCHEME_HTTP = OtlpAttributes.constant(OtlpAttributes.key(SemConv.URL_SCHEME), "http");
  private static final byte[] STREAM_TRUE = OtlpAttributes.constant(STREAM, true);
  private static final byte[] STREAM_FALSE = OtlpAttributes.constant(STREAM, false);
  private static final byte[][] OUTCOMES = outcomes();

  private final ProtoWriter out;
  private final OtlpAttributes attributes;
  // operation, path, provider, requested and response model, error type, the finish reason when
  // there is one at most; attempts, outcome, stream, status
  private final RunCache requestRuns = new RunCache(7, 4);
  // operation, provider, upstream model, error; status
  private final RunCache attemptRuns = new RunCache(4, 1);

  /** Runs written into {@code out}, their attributes through {@code attributes} (on the same writer). */
  SpanRuns(ProtoWriter out, OtlpAttributes attributes) {
    this.out = out;
    this.attributes = attributes;
  }

  /**
   * The request span's run: from {@link #requestRuns} when one of the last few requests had the
   * same values, else encoded and kept there; not kept with several finish reasons (rare: the key
   * holds one).
   */
  void request(RequestRecord r) {
    List<String> reasons = r.finishReasons();
    boolean keep = reasons.size() <= 1;
    RunCache c = requestRuns;
    c.set(6, reasons.isEmpty() ? null : reasons.get(0));
    c.set(0, r.operation());
    c.set(1, r.path());
    c.set(2, r.provider());
    c.set(3, r.requestedModel());
    c.set(4, r.responseModel());
    c.set(5, r.errorType());
    c.set(0, r.attempts().size());
    c.set(1, r.outcome().ordinal());
    c.set(2, r.stream() ? 1 : 0);
    c.set(3, r.status());
    if (keep && c.copyKept(out)) {
      return;
    }
    int from = out.size();
    nameAndKind(KIND_SERVER, r.operation(), r.requestedModel());
    attributes.string(OPERATION, r.operation());
    out.raw(METHOD_POST);
    out.raw(SCHEME_HTTP);
    attributes.integer(ATTEMPTS, r.attempts().size());
    out.raw(OUTCOMES[r.outcome().ordinal()]);
    out.raw(r.stream() ? STREAM_TRUE : STREAM_FALSE);
    attributes.string(URL_PATH, r.path());
    attributes.string(PROVIDER, r.provider());
    attributes.string(REQUEST_MODEL, r.requestedModel());
    attributes.string(RESPONSE_MODEL, r.responseModel());
    attributes.string(ERROR_TYPE, r.errorType());
    // 499 is the log's word for "left before any answer"; the HTTP conventions give a span the
    // status only if one was sent
    if (r.status() > 0 && !(r.status() == 499 && r.outcome() == Outcome.CLIENT_CLOSED)) {
      attributes.integer(HTTP_STATUS, r.status());
    }
    if (!reasons.isEmpty()) {
      attributes.strings(FINISH_REASONS, reasons);
    }
    if (keep) {
      c.keep(out, from);
    }
  }

  /** An attempt span's run (its attributes but the request id); see {@link #request}. */
  void attempt(RequestRecord r, AttemptRecord a) {
    RunCache c = attemptRuns;
    c.set(0, r.operation());
    c.set(1, a.provider());
    c.set(2, a.upstreamModel());
    String errorType = a.errorType();
    c.set(3, errorType);
    c.set(0, a.status());
    if (c.copyKept(out)) {
      return;
    }
    int from = out.size();
    nameAndKind(KIND_CLIENT, r.operation(), a.upstreamModel());
    attributes.string(OPERATION, r.operation());
    attributes.string(PROVIDER, a.provider());
    attributes.string(REQUEST_MODEL, a.upstreamModel());
    if (a.status() > 0) {
      attributes.integer(HTTP_STATUS, a.status());
    }
    // error.type: the failure kind, or the status code for an HTTP error (the conventions' rule)
    if (errorType != null) {
      attributes.string(ERROR_TYPE, errorType);
    } else if (a.status() >= 400) {
      attributes.string(ERROR_TYPE, Integer.toString(a.status()));
    }
    c.keep(out, from);
  }

  /** Name ("operation model") and kind; after the times, which a decoder does not mind. */
  private void nameAndKind(int kind, String operation, String model) {
    if (model == null || model.isEmpty()) {
      out.stringAlways(NAME, operation);
    } else {
      out.joined(NAME, operation, ' ', model);
    }
    out.varintField(KIND, kind);
  }

  private static byte[][] outcomes() {
    Outcome[] all = Outcome.values();
    byte[][] encoded = new byte[all.length][];
    for (Outcome o : all) {
      encoded[o.ordinal()] = OtlpAttributes.constant(OUTCOME, o.jsonName());
    }
    return encoded;
  }
}
