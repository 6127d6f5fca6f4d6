package io.oxllm.telemetry;

import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import java.nio.ByteBuffer;

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
 * A span's name, kind and the attributes that repeat between requests are encoded once per
 * distinct set of values and copied after that ({@link SpanRuns}). {@link SpanShipper} sends the
 * result. The test suite decodes it with the {@code opentelemetry-proto} classes and compares it
 * with what the SDK's marshaler makes.
 *
 * <p>Each record's spans are written into a small heap buffer, reset for every record, and copied
 * from there into the export, which is direct memory the socket is written from. Why: encoded
 * straight into a megabyte-sized heap export, most stores went to cache lines long evicted, and
 * telemetry's event loop then copied the whole export into direct memory again before sending it
 * (a quarter of that thread's time). A record's ~800 bytes copied while still in the L1 cost less
 * than both (docs/performance-history.md has the numbers).
 *
 * <p>Use: {@link #start}, {@link #append} records, {@link #finish}; then again. Worker thread only.
 */
final class OtlpTraceEncoder {
  /** Direct memory a new export starts with: 4096 spans of a usual size fit without growing. */
  static final int EXPORT_BYTES = 2 << 20;

  /**
   * An export request: the {@code length} bytes of {@code buffer} from {@code offset} (the
   * resource's and scope's headers are written in front of the spans once their length is known).
   */
  record Encoded(ByteBuffer buffer, int offset, int length) {
    /** The request's bytes, a view of the buffer, not a copy. */
    ByteBuffer message() {
      return buffer.slice(offset, length);
    }
  }

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
  private static final int TRACE_STATE = 3;
  private static final int PARENT_SPAN_ID = 4;
  private static final int START = 7;
  private static final int END = 8;
  private static final int STATUS = 15;
  private static final int FLAGS = 16;
  private static final int STATUS_CODE = 3;
  private static final int STATUS_ERROR = 2;
  // Span.flags: the W3C sampled flag, plus "whether the parent is remote" is known, and its answer
  private static final int FLAGS_LOCAL_PARENT = 0x101;
  private static final int FLAGS_REMOTE_PARENT = 0x301;
  // length bytes left for a span (128 B to 16 KB)
  private static final int SPAN_LENGTH_BYTES = 2;

  // the attributes that vary with every request; the rest are in each span's run (SpanRuns)
  private static final byte[] INPUT_TOKENS = OtlpAttributes.key(SemConv.INPUT_TOKENS);
  private static final byte[] OUTPUT_TOKENS = OtlpAttributes.key(SemConv.OUTPUT_TOKENS);
  private static final byte[] REQUEST_ID = OtlpAttributes.key(SemConv.REQUEST_ID);

  private final byte[] header;
  private final byte[] scopeHeader;
  // room in front of the spans for what precedes them: two tags, two lengths, the two headers
  private final int prefixRoom;
  // one record's spans (reset for each, so it stays in the L1); then the export's prefix
  private final ProtoWriter out = new ProtoWriter(4 * 1024);
  private ByteBuffer export; // the export being built, spans from prefixRoom on
  private final OtlpAttributes attributes = new OtlpAttributes(out);
  private final SpanRuns runs = new SpanRuns(out, attributes);
  private int spans;

  OtlpTraceEncoder(Resource resource, InstrumentationScopeInfo scope) {
    ProtoWriter h = new ProtoWriter(512);
    int r = h.begin(RS_RESOURCE);
    resource.getAttributes().forEach((k, v) -> OtlpAttributes.attribute(h, 1, k, v));
    h.end(r);
    h.string(RS_SCHEMA_URL, resource.getSchemaUrl());
    this.header = h.toByteArray();
    ProtoWriter s = new ProtoWriter(128);
    int sc = s.begin(SS_SCOPE);
    s.string(1, scope.getName());
    s.string(2, scope.getVersion());
    s.end(sc);
    this.scopeHeader = s.toByteArray();
    this.prefixRoom = 2 * (1 + 5) + header.length + scopeHeader.length;
  }

  /** Spans appended since {@link #start}; 0 after {@link #finish}. */
  int spans() {
    return spans;
  }

  /** The bytes of the spans appended since {@link #start}. */
  int bytes() {
    return export == null ? 0 : export.position() - prefixRoom;
  }

  /** Starts a new request message (forgetting any unfinished one). */
  void start() {
    if (export == null) {
      export = ByteBuffer.allocateDirect(EXPORT_BYTES);
    }
    export.clear().position(prefixRoom);
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
    out.reset();
    int n = encode(r);
    if (export.remaining() < out.size()) {
      grow(out.size());
    }
    out.copyTo(export);
    return n;
  }

  /** A larger export holding what this one does: a batch of unusually large spans. */
  private void grow(int more) {
    ByteBuffer larger = ByteBuffer.allocateDirect(Math.max(2 * export.capacity(), export.position() + more));
    larger.put(export.flip());
    export = larger; // the old one is the GC's to free
  }

  /** Writes one record's spans into {@link #out}; returns how many. */
  private int encode(RequestRecord r) {
    long traceHigh = r.traceIdHigh();
    long traceLow = r.traceIdLow();
    long spanId = r.spanId();
    if ((traceHigh | traceLow) == 0 || spanId == 0) {
      return 0; // a record without ids cannot be placed in any trace
    }
    int before = spans;
    boolean remoteParent = r.parentSpanId() != 0;
    int span = out.begin(SS_SPANS, SPAN_LENGTH_BYTES);
    out.id(TRACE_ID, traceHigh, traceLow);
    out.id(SPAN_ID, spanId);
    out.string(TRACE_STATE, r.traceState());
    if (remoteParent) {
      out.id(PARENT_SPAN_ID, r.parentSpanId());
    }
    times(r.startEpochNanos(), r.endEpochNanos());
    runs.request(r);
    // the request id attribute, kept where it is to be repeated in the attempts' spans
    int idFrom = out.size();
    attributes.requestId(REQUEST_ID, r.requestId(), r.requestIdHigh(), r.requestIdLow());
    int idTo = out.size();
    if (r.inputTokens() >= 0) {
      attributes.integer(INPUT_TOKENS, r.inputTokens());
    }
    if (r.outputTokens() >= 0) {
      attributes.integer(OUTPUT_TOKENS, r.outputTokens());
    }
    // a server span is an error for a 5xx, or a committed answer cut short; a 4xx is the client's,
    // and a client that left ended nothing wrong (the HTTP conventions); error.type says either way
    boolean failed = r.status() >= 500 || r.outcome() == Outcome.UPSTREAM_ERROR && r.status() < 400;
    int moved = endSpan(span, failed, remoteParent ? FLAGS_REMOTE_PARENT : FLAGS_LOCAL_PARENT);
    idFrom += moved;
    idTo += moved;
    for (AttemptRecord a : r.attempts()) {
      if (a.spanId() == 0) {
        continue;
      }
      span = out.begin(SS_SPANS, SPAN_LENGTH_BYTES);
      out.id(TRACE_ID, traceHigh, traceLow);
      out.id(SPAN_ID, a.spanId());
      out.string(TRACE_STATE, r.traceState());
      out.id(PARENT_SPAN_ID, spanId);
      times(a.startEpochNanos(), a.endEpochNanos());
      runs.attempt(r, a);
      out.repeat(idFrom, idTo);
      endSpan(span, a.error() != null || a.status() >= 400, FLAGS_LOCAL_PARENT);
    }
    return spans - before;
  }

  /**
   * Ends the message and hands over the buffer holding it (not a copy: an export is a megabyte)
   * and goes on in {@code next}: a buffer an earlier export gave back, or null for a new one.
   * Writes what comes before the spans (the ResourceSpans and ScopeSpans tags and lengths and their
   * headers) right in front of them, now that their length is known.
   */
  Encoded finish(ByteBuffer next) {
    // the next buffer first: should direct memory refuse it, this export is as it was, still whole
    ByteBuffer following = next != null ? next : ByteBuffer.allocateDirect(Math.max(EXPORT_BYTES, export.capacity()));
    int end = export.position();
    int scopeLength = scopeHeader.length + end - prefixRoom;
    out.reset();
    out.lengthPrefix(RESOURCE_SPANS, header.length + 1 + ProtoWriter.varintSize(scopeLength) + scopeLength);
    out.raw(header);
    out.lengthPrefix(RS_SCOPE_SPANS, scopeLength);
    out.raw(scopeHeader);
    int offset = prefixRoom - out.size();
    out.copyTo(export.position(offset));
    Encoded done = new Encoded(export, offset, end - offset);
    export = following;
    spans = 0;
    return done;
  }

  private void times(long start, long end) {
    out.fixed64(START, start);
    out.fixed64(END, Math.max(start, end));
  }

  /** Returns how far the span's body moved ({@link ProtoWriter#end}). */
  private int endSpan(int span, boolean error, int flags) {
    if (error) {
      int status = out.begin(STATUS);
      out.varintField(STATUS_CODE, STATUS_ERROR);
      out.end(status);
    }
    out.fixed32(FLAGS, flags);
    int moved = out.end(span, SPAN_LENGTH_BYTES);
    spans++;
    return moved;
  }
}
