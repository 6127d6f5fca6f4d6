package io.oxllm.http;

import io.oxllm.routing.Target;
import io.oxllm.telemetry.AttemptRecord;
import io.oxllm.telemetry.Outcome;
import io.oxllm.telemetry.RequestRecord;
import io.oxllm.telemetry.SharedStrings;
import io.oxllm.telemetry.Telemetry;
import io.oxllm.telemetry.TraceIds;
import io.oxllm.upstream.AttemptError;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * What one request leaves for telemetry, gathered on the request path from facts it already has:
 * trace ids (the client's trace, our request span, one span per attempt, whose id the upstream
 * sees as its parent in {@code traceparent}), each attempt's result and times, the outcome. At the
 * end it becomes one immutable {@link RequestRecord}, offered to the bounded queue without
 * blocking. The attempt list also renders the 502 message, so the client and the log agree.
 */
final class RequestTrace {
  private final Telemetry telemetry;
  private final RequestId requestId;
  private final String path;
  private String operation;
  private String requestedModel;
  private final boolean stream;
  private final long startEpochNanos;
  private final long startNanos = System.nanoTime();
  private final long traceIdHigh;
  private final long traceIdLow;
  private final long spanId = TraceIds.newSpanId();
  private final long parentSpanId; // 0: none
  // the client's sampling decision; a request without a (valid) traceparent starts a sampled trace
  private final boolean sampled;
  // the client's tracestate (every line of it, joined), when its traceparent was valid; else null
  private final String traceState;
  private final List<AttemptRecord> attempts = new ArrayList<>(2);
  private Target attemptTarget;
  private long attemptSpan;
  private long attemptStart;
  private int attemptStatus; // the current attempt's status when it came before its end (a refused answer's head)
  private Outcome outcome;
  private String errorType;
  private boolean emitted;

  /** {@code client}: the client's request headers, for its trace context. */
  RequestTrace(Telemetry telemetry, RequestId requestId, String path, String requestedModel, boolean stream,
      MultiMap client) {
    this(telemetry, requestId, path, requestedModel, stream, client, Telemetry.epochNanos());
  }

  private RequestTrace(Telemetry telemetry, RequestId requestId, String path, String requestedModel, boolean stream,
      MultiMap client, long startEpochNanos) {
    this.startEpochNanos = startEpochNanos;
    this.telemetry = telemetry;
    this.requestId = requestId;
    this.path = SharedStrings.path(path);
    this.operation = operation(path);
    this.requestedModel = requestedModel;
    this.stream = stream;
    String traceparent = client.get(HeaderRules.TRACEPARENT);
    // two traceparent lines are no parent (W3C Trace Context's test suite restarts the trace)
    TraceIds.Parent parent = traceparent == null || client.getAll(HeaderRules.TRACEPARENT).size() > 1 ? null
        : TraceIds.parse(traceparent);
    this.traceIdHigh = parent != null ? parent.traceIdHigh() : TraceIds.newTraceIdHigh();
    this.traceIdLow = parent != null ? parent.traceIdLow() : TraceIds.newTraceIdLow();
    this.parentSpanId = parent != null ? parent.spanId() : 0;
    this.sampled = parent == null || parent.sampled();
    this.traceState = parent != null ? HeaderRules.traceState(client) : null;
  }

  /**
   * The client's {@code tracestate} (its lines joined), or null: none, or its {@code traceparent}
   * was not valid, and W3C Trace Context discards a tracestate without one. It goes upstream, and
   * on the request's spans, which continue the client's trace.
   */
  String traceState() {
    return traceState;
  }

  /**
   * A request refused before any routing (400, 401, 404, 408, 413, 415, …), its answer written:
   * one record, no attempts, timed from {@code startEpochNanos} (a 408 came a body timeout after
   * its request). Only the data plane ({@code /v1/}) is request-logged, not admin or health paths.
   */
  static void rejected(Telemetry telemetry, RequestId requestId, HttpServerRequest req, ApiError error,
      long startEpochNanos) {
    RequestTrace t = unrouted(telemetry, requestId, req, startEpochNanos);
    if (t == null) {
      return;
    }
    if (error.status() == 405) {
      t.operation = SharedStrings.OTHER_OPERATION; // DELETE /v1/chat/completions asked for no chat
    }
    t.fail(Outcome.REJECTED, error.code());
    t.emit(null, error.status(), null, req.response().bytesWritten());
  }

  /**
   * A {@code /v1/} request whose client left before it was whole (inside its head or its body),
   * before any answer: its record, {@code client_closed} with 499, as an exchange's client that
   * leaves before the answer's head is recorded.
   */
  static void clientLeft(Telemetry telemetry, RequestId requestId, HttpServerRequest req, long startEpochNanos) {
    RequestTrace t = unrouted(telemetry, requestId, req, startEpochNanos);
    if (t != null) {
      t.fail(Outcome.CLIENT_CLOSED, AttemptError.CLIENT_CLOSED.type());
      t.emit(null, 499, null, 0);
    }
  }

  /** The record of a request that never reached routing; null off the data plane ({@code /v1/}), which is not logged. */
  private static RequestTrace unrouted(Telemetry telemetry, RequestId requestId, HttpServerRequest req,
      long startEpochNanos) {
    String path = req.path();
    return path == null || !path.startsWith("/v1/") ? null
        : new RequestTrace(telemetry, requestId, path, null, false, req.headers(), startEpochNanos);
  }

  /** A {@code /v1/} request the gateway answered itself, with no upstream (the model list): its record. */
  static void answeredHere(Telemetry telemetry, RequestId requestId, HttpServerRequest req, int status,
      long startEpochNanos) {
    new RequestTrace(telemetry, requestId, req.path(), null, false, req.headers(), startEpochNanos)
        .emit(null, status, null, req.response().bytesWritten());
  }

  /** The routing table's own instance of the requested model's name, when it has one. */
  void routedAs(String configuredModel) {
    requestedModel = SharedStrings.sameAs(requestedModel, configuredModel, null);
  }

  /** An attempt starts; returns the {@code traceparent} to send upstream (its parent: this attempt's span). */
  String beginAttempt(Target target) {
    attemptTarget = target;
    attemptStatus = 0;
    attemptSpan = TraceIds.newSpanId();
    attemptStart = Telemetry.epochNanos();
    return TraceIds.traceparent(traceIdHigh, traceIdLow, attemptSpan, sampled);
  }

  /** The current attempt's upstream status came, before its end: the record keeps it if the end never comes. */
  void attemptAnswered(int status) {
    attemptStatus = status;
  }

  /** The current attempt ended: its upstream status (0 when none came back) and error (null when none). */
  void endAttempt(int status, AttemptError error) {
    if (attemptTarget == null) {
      return;
    }
    attempts.add(new AttemptRecord(attemptTarget.providerName(), attemptTarget.upstreamModel(), status,
        error == null ? null : error.text(), error == null ? null : error.type(),
        attemptStart, Telemetry.epochNanos(), attemptSpan));
    attemptTarget = null;
  }

  /** The request failed as {@code outcome}, answered with error code {@code errorType}. */
  void fail(Outcome outcome, String errorType) {
    this.outcome = outcome;
    this.errorType = errorType;
  }

  /** "a: status 503 (12 ms); b: connect error: … (3 ms)": the attempts as the 502 message lists them. */
  String attemptSummary() {
    StringBuilder out = new StringBuilder();
    for (AttemptRecord a : attempts) {
      if (out.length() > 0) {
        out.append("; ");
      }
      out.append(a.provider()).append(": ").append(a.error() != null ? a.error() : "status " + a.status())
          .append(" (").append((a.endEpochNanos() - a.startEpochNanos()) / 1_000_000).append(" ms)");
    }
    return out.toString();
  }

  /**
   * Offers the record, once. {@code facts} (null when no answer was relayed) supplies tokens and
   * bytes; without them, {@code ownBytes} is the body the gateway wrote itself (an error's, or 0).
   */
  void emit(Target answered, int status, AnswerFacts facts, long ownBytes) {
    if (emitted) {
      return;
    }
    emitted = true;
    endAttempt(attemptStatus, outcome == Outcome.CLIENT_CLOSED ? AttemptError.CLIENT_CLOSED : AttemptError.UNFINISHED);
    long firstToken = facts == null ? 0 : facts.firstTokenNanos();
    // the configured instances where the parsed strings equal them (SharedStrings says why)
    String upstreamModel = answered == null ? null : answered.upstreamModel();
    String responseModel = facts == null ? null
        : SharedStrings.sameAs(facts.responseModel(), upstreamModel, requestedModel);
    telemetry.offer(new RequestRecord(requestId.text(), requestId.high(), requestId.low(), path, operation,
        requestedModel, answered == null ? null : answered.providerName(), upstreamModel, responseModel, status,
        outcome == null ? Outcome.OK : outcome, stream,
        attempts, startEpochNanos, Telemetry.epochNanos(), firstToken == 0 ? -1 : firstToken - startNanos,
        facts == null ? -1 : facts.inputTokens(), facts == null ? -1 : facts.outputTokens(),
        facts == null ? List.of() : sharedReasons(facts.finishReasons()), facts == null ? ownBytes : facts.bytesOut(),
        traceIdHigh, traceIdLow, spanId, parentSpanId, sampled, traceState, errorType));
  }

  /** One reason (the usual case) as its shared constant; several as they are (rare). */
  private static List<String> sharedReasons(List<String> reasons) {
    return switch (reasons.size()) {
      case 0 -> List.of();
      case 1 -> List.of(SharedStrings.finishReason(reasons.get(0)));
      default -> reasons;
    };
  }

  boolean failed() {
    return outcome != null;
  }

  private static String operation(String path) {
    if (path.endsWith("/chat/completions")) {
      return "chat";
    }
    if (path.endsWith("/completions")) {
      return "text_completion";
    }
    return path.endsWith("/embeddings") ? "embeddings" : SharedStrings.OTHER_OPERATION;
  }
}
