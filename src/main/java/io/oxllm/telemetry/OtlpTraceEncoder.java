package io.oxllm.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes request records straight into an OTLP {@code ExportTraceServiceRequest} (protobuf, the
 * field numbers of opentelemetry-proto's {@code trace/v1}, {@code common/v1} and
 * {@code resource/v1}): per record a SERVER span for the request, child of the client's span when
 * it sent a valid {@code traceparent}, and a CLIENT span per upstream attempt, child of the request
 * span, whose id is the parent the upstream saw. Times are the request path's own.
 *
 * <p>Why not {@code SpanData} and the SDK's marshaler: building two {@code SpanData} with sorted
 * {@code Attributes} and marshalling them cost ~2.7 µs per request on the worker, more than half of
 * telemetry's whole cost; this writes the same message in a fraction of that (docs/architecture.md).
 * The SDK still sends it ({@link SpanShipper}). The test suite decodes the result with the
 * {@code opentelemetry-proto} classes and compares it with what the SDK's marshaler makes.
 *
 * <p>Use: {@link #start}, {@link #append} records, {@link #finish}; then again. Worker thread only.
 */
final class OtlpTraceEncoder {
  // ExportTraceServiceRequest.resource_spans; ResourceSpans.resource/scope_spans/schema_url;
  // ScopeSpans.scope/spans; InstrumentationScope.name/version; Resource.attributes
  private static final int RESOURCE_SPANS = 1;
  private static final int RS_RESOURCE = 1;
  private static final int RS_SCOPE_SPANS = 2;
  private static final int RS_SCHEMA_URL = 3;
  private static final int SS_SCOPE = 1;
  private static final int SS_SPANS = 2;
  // Span
  private static final int TRACE_ID = 1;
  private static final int SPAN_ID = 2;
  private static final int PARENT_SPAN_ID = 4;
  private static final int NAME = 5;
  private static final int KIND = 6;
  private static final int START = 7;
  private static final int END = 8;
  private static final int ATTRIBUTES = 9;
  private static final int STATUS = 15;
  private static final int FLAGS = 16;
  private static final int KIND_SERVER = 2;
  private static final int KIND_CLIENT = 3;
  private static final int STATUS_CODE = 3;
  private static final int STATUS_ERROR = 2;
  // Span.flags: the W3C sampled flag, plus "whether the parent is remote" is known, and its answer
  private static final int FLAGS_LOCAL_PARENT = 0x101;
  private static final int FLAGS_REMOTE_PARENT = 0x301;
  // KeyValue.key/value; AnyValue.string/bool/int/double/array; ArrayValue.values
  private static final int KV_KEY = 1;
  private static final int KV_VALUE = 2;
  private static final int ANY_STRING = 1;
  private static final int ANY_BOOL = 2;
  private static final int ANY_INT = 3;
  private static final int ANY_DOUBLE = 4;
  private static final int ANY_ARRAY = 5;
  private static final int ARRAY_VALUES = 1;

  private static final byte[] OPERATION = key(SemConv.OPERATION);
  private static final byte[] PROVIDER = key(SemConv.PROVIDER);
  private static final byte[] REQUEST_MODEL = key(SemConv.REQUEST_MODEL);
  private static final byte[] RESPONSE_MODEL = key(SemConv.RESPONSE_MODEL);
  private static final byte[] INPUT_TOKENS = key(SemConv.INPUT_TOKENS);
  private static final byte[] OUTPUT_TOKENS = key(SemConv.OUTPUT_TOKENS);
  private static final byte[] FINISH_REASONS = key(SemConv.FINISH_REASONS);
  private static final byte[] ERROR_TYPE = key(SemConv.ERROR_TYPE);
  private static final byte[] HTTP_STATUS = key(SemConv.HTTP_STATUS);
  private static final byte[] HTTP_METHOD = key(SemConv.HTTP_METHOD);
  private static final byte[] URL_PATH = key(SemConv.URL_PATH);
  private static final byte[] ATTEMPTS = key(SemConv.ATTEMPTS);
  private static final byte[] REQUEST_ID = key(SemConv.REQUEST_ID);
  private static final byte[] OUTCOME = key(SemConv.OUTCOME);
  private static final byte[] STREAM = key(SemConv.STREAM);

  private final byte[] header;
  private final byte[] scopeHeader;
  private final ProtoWriter out = new ProtoWriter(256 * 1024);
  private int resourceSpans;
  private int scopeSpans;
  private int spans;

  OtlpTraceEncoder(Resource resource, InstrumentationScopeInfo scope) {
    ProtoWriter h = new ProtoWriter(512);
    int r = h.begin(RS_RESOURCE);
    resource.getAttributes().forEach((k, v) -> attribute(h, 1, k, v));
    h.end(r);
    h.string(RS_SCHEMA_URL, resource.getSchemaUrl());
    this.header = h.toByteArray();
    ProtoWriter s = new ProtoWriter(128);
    int sc = s.begin(SS_SCOPE);
    s.string(1, scope.getName());
    s.string(2, scope.getVersion());
    s.end(sc);
    this.scopeHeader = s.toByteArray();
  }

  /** Spans appended since {@link #start}; 0 after {@link #finish}. */
  int spans() {
    return spans;
  }

  /** Starts a new request message (forgetting any unfinished one). */
  void start() {
    out.reset();
    resourceSpans = out.begin(RESOURCE_SPANS);
    out.raw(header);
    scopeSpans = out.begin(RS_SCOPE_SPANS);
    out.raw(scopeHeader);
    spans = 0;
  }

  /**
   * The most spans one record makes: the request's and one per attempt (fewer when an attempt's
   * span id is unusable, none when the request's ids are).
   */
  static int maxSpans(RequestRecord r) {
    return 1 + r.attempts().size();
  }

  /** Appends one record's spans; returns how many (0 when its ids are unusable). */
  int append(RequestRecord r) {
    int before = spans;
    int mark = out.size();
    int span = out.begin(SS_SPANS);
    if (!out.hexId(TRACE_ID, r.traceId(), 32) || !out.hexId(SPAN_ID, r.spanId(), 16)) {
      out.truncate(mark);
      return 0; // a record without ids cannot be placed in any trace
    }
    boolean remoteParent = out.hexId(PARENT_SPAN_ID, r.parentSpanId(), 16);
    spanBody(KIND_SERVER, r.operation(), r.requestedModel(), r.startEpochNanos(), r.endEpochNanos());
    requestAttributes(r);
    endSpan(span, r.errorType() != null || r.outcome() == Outcome.UPSTREAM_ERROR,
        remoteParent ? FLAGS_REMOTE_PARENT : FLAGS_LOCAL_PARENT);
    for (AttemptRecord a : r.attempts()) {
      mark = out.size();
      span = out.begin(SS_SPANS);
      if (!out.hexId(TRACE_ID, r.traceId(), 32) || !out.hexId(SPAN_ID, a.spanId(), 16)) {
        out.truncate(mark);
        continue;
      }
      out.hexId(PARENT_SPAN_ID, r.spanId(), 16);
      spanBody(KIND_CLIENT, r.operation(), a.upstreamModel(), a.startEpochNanos(), a.endEpochNanos());
      attemptAttributes(r, a);
      endSpan(span, a.error() != null || a.status() >= 400, FLAGS_LOCAL_PARENT);
    }
    return spans - before;
  }

  /** Ends the message; the bytes are an exact-size copy, so the encoder can start the next one. */
  byte[] finish() {
    out.end(scopeSpans);
    out.end(resourceSpans);
    spans = 0;
    return out.toByteArray();
  }

  /** Name ("operation model"), kind and times. */
  private void spanBody(int kind, String operation, String model, long start, long end) {
    if (model == null || model.isEmpty()) {
      out.stringAlways(NAME, operation);
    } else {
      out.joined(NAME, operation.getBytes(StandardCharsets.UTF_8), ' ', model.getBytes(StandardCharsets.UTF_8));
    }
    out.varintField(KIND, kind);
    out.fixed64(START, start);
    out.fixed64(END, Math.max(start, end));
  }

  private void endSpan(int span, boolean error, int flags) {
    if (error) {
      int status = out.begin(STATUS);
      out.varintField(STATUS_CODE, STATUS_ERROR);
      out.end(status);
    }
    out.fixed32(FLAGS, flags);
    out.end(span);
    spans++;
  }

  private void requestAttributes(RequestRecord r) {
    string(OPERATION, r.operation());
    string(HTTP_METHOD, "POST");
    integer(ATTEMPTS, r.attempts().size());
    string(OUTCOME, r.outcome().jsonName());
    int kv = out.begin(ATTRIBUTES);
    out.raw(STREAM);
    int v = out.begin(KV_VALUE);
    out.varintAlways(ANY_BOOL, r.stream() ? 1 : 0);
    out.end(v);
    out.end(kv);
    string(REQUEST_ID, r.requestId());
    string(URL_PATH, r.path());
    string(PROVIDER, r.provider());
    string(REQUEST_MODEL, r.requestedModel());
    string(RESPONSE_MODEL, r.responseModel());
    string(ERROR_TYPE, r.errorType());
    if (r.inputTokens() >= 0) {
      integer(INPUT_TOKENS, r.inputTokens());
    }
    if (r.outputTokens() >= 0) {
      integer(OUTPUT_TOKENS, r.outputTokens());
    }
    if (!r.finishReasons().isEmpty()) {
      strings(FINISH_REASONS, r.finishReasons());
    }
    if (r.status() > 0) {
      integer(HTTP_STATUS, r.status());
    }
  }

  private void attemptAttributes(RequestRecord r, AttemptRecord a) {
    string(OPERATION, r.operation());
    string(REQUEST_ID, r.requestId());
    string(PROVIDER, a.provider());
    string(REQUEST_MODEL, a.upstreamModel());
    if (a.status() > 0) {
      integer(HTTP_STATUS, a.status());
    }
    // error.type: the failure kind, or the status code for an HTTP error (the conventions' rule)
    if (a.error() != null) {
      string(ERROR_TYPE, a.error());
    } else if (a.status() >= 400) {
      string(ERROR_TYPE, Integer.toString(a.status()));
    }
  }

  /** A string attribute; none when the value is null. */
  private void string(byte[] key, String value) {
    if (value == null) {
      return;
    }
    int kv = out.begin(ATTRIBUTES);
    out.raw(key);
    int v = out.begin(KV_VALUE);
    out.stringAlways(ANY_STRING, value);
    out.end(v);
    out.end(kv);
  }

  private void integer(byte[] key, long value) {
    int kv = out.begin(ATTRIBUTES);
    out.raw(key);
    int v = out.begin(KV_VALUE);
    out.varintAlways(ANY_INT, value);
    out.end(v);
    out.end(kv);
  }

  private void strings(byte[] key, List<String> values) {
    int kv = out.begin(ATTRIBUTES);
    out.raw(key);
    int v = out.begin(KV_VALUE);
    int array = out.begin(ANY_ARRAY);
    for (String s : values) {
      int item = out.begin(ARRAY_VALUES);
      out.stringAlways(ANY_STRING, s == null ? "" : s);
      out.end(item);
    }
    out.end(array);
    out.end(v);
    out.end(kv);
  }

  /** The {@code key} field of a KeyValue, encoded once. */
  private static byte[] key(AttributeKey<?> key) {
    ProtoWriter w = new ProtoWriter(64);
    w.stringAlways(KV_KEY, key.getKey());
    return w.toByteArray();
  }

  /** Any attribute (the resource's): strings, booleans, longs, doubles and arrays of them. */
  private static void attribute(ProtoWriter w, int field, AttributeKey<?> key, Object value) {
    int kv = w.begin(field);
    w.stringAlways(KV_KEY, key.getKey());
    int v = w.begin(KV_VALUE);
    anyValue(w, value);
    w.end(v);
    w.end(kv);
  }

  private static void anyValue(ProtoWriter w, Object value) {
    if (value instanceof Boolean b) {
      w.varintAlways(ANY_BOOL, b ? 1 : 0);
    } else if (value instanceof Long l) {
      w.varintAlways(ANY_INT, l);
    } else if (value instanceof Double d) {
      w.doubleAlways(ANY_DOUBLE, d);
    } else if (value instanceof List<?> list) {
      int array = w.begin(ANY_ARRAY);
      for (Object item : list) {
        int i = w.begin(ARRAY_VALUES);
        anyValue(w, item);
        w.end(i);
      }
      w.end(array);
    } else {
      w.stringAlways(ANY_STRING, String.valueOf(value));
    }
  }
}
