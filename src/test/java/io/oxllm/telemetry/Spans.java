package io.oxllm.telemetry;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one {@link RequestRecord} into its spans (SPEC section 7): a SERVER span for the request,
 * child of the client's span when it sent a valid {@code traceparent}, and one CLIENT span per
 * upstream attempt, child of the request span, whose id is the parent the upstream saw.
 */
final class Spans {
  private final Resource resource;
  private final InstrumentationScopeInfo scope;

  Spans(Resource resource, InstrumentationScopeInfo scope) {
    this.resource = resource;
    this.scope = scope;
  }

  /** The request span first, then the attempts in order; empty when the record's ids are unusable. */
  List<SpanData> of(RequestRecord r) {
    String traceId = TelemetryFixtures.traceIdHex(r.traceIdHigh(), r.traceIdLow());
    SpanContext self = SpanContext.create(traceId, TelemetryFixtures.spanIdHex(r.spanId()), TraceFlags.getSampled(),
        TraceState.getDefault());
    if (!self.isValid()) {
      return List.of(); // a record without ids cannot be placed in any trace
    }
    SpanContext parent = r.parentSpanId() == 0 ? SpanContext.getInvalid()
        : SpanContext.createFromRemoteParent(traceId, TelemetryFixtures.spanIdHex(r.parentSpanId()),
            TraceFlags.getSampled(), TraceState.getDefault());
    List<SpanData> out = new ArrayList<>(1 + r.attempts().size());
    out.add(new GatewaySpan(name(r.operation(), r.requestedModel()), SpanKind.SERVER, self, parent,
        r.status() >= 500 || r.outcome() == Outcome.UPSTREAM_ERROR && r.status() < 400 ? StatusData.error() : StatusData.unset(),
        r.startEpochNanos(), Math.max(r.startEpochNanos(), r.endEpochNanos()), requestAttributes(r), resource, scope));
    for (AttemptRecord a : r.attempts()) {
      SpanContext ctx = SpanContext.create(traceId, TelemetryFixtures.spanIdHex(a.spanId()), TraceFlags.getSampled(),
          TraceState.getDefault());
      if (!ctx.isValid()) {
        continue;
      }
      boolean failed = a.error() != null || a.status() >= 400;
      out.add(new GatewaySpan(name(r.operation(), a.upstreamModel()), SpanKind.CLIENT, ctx, self,
          failed ? StatusData.error() : StatusData.unset(), a.startEpochNanos(),
          Math.max(a.startEpochNanos(), a.endEpochNanos()), attemptAttributes(r, a), resource, scope));
    }
    return out;
  }

  private static String name(String operation, String model) {
    return model == null || model.isEmpty() ? operation : operation + " " + model;
  }

  private static Attributes requestAttributes(RequestRecord r) {
    AttributesBuilder b = Attributes.builder()
        .put(SemConv.OPERATION, r.operation())
        .put(SemConv.HTTP_METHOD, "POST")
        .put(SemConv.URL_SCHEME, "http")
        .put(SemConv.ATTEMPTS, (long) r.attempts().size())
        .put(SemConv.OUTCOME, r.outcome().jsonName())
        .put(SemConv.STREAM, r.stream());
    putIfPresent(b, SemConv.REQUEST_ID, r.requestId());
    putIfPresent(b, SemConv.URL_PATH, r.path());
    putIfPresent(b, SemConv.PROVIDER, r.provider());
    putIfPresent(b, SemConv.REQUEST_MODEL, r.requestedModel());
    putIfPresent(b, SemConv.RESPONSE_MODEL, r.responseModel());
    putIfPresent(b, SemConv.ERROR_TYPE, r.errorType());
    if (r.inputTokens() >= 0) {
      b.put(SemConv.INPUT_TOKENS, r.inputTokens());
    }
    if (r.outputTokens() >= 0) {
      b.put(SemConv.OUTPUT_TOKENS, r.outputTokens());
    }
    if (!r.finishReasons().isEmpty()) {
      b.put(SemConv.FINISH_REASONS, r.finishReasons());
    }
    if (r.status() > 0 && !(r.status() == 499 && r.outcome() == Outcome.CLIENT_CLOSED)) { // 499: none was sent
      b.put(SemConv.HTTP_STATUS, (long) r.status());
    }
    return b.build();
  }

  private static Attributes attemptAttributes(RequestRecord r, AttemptRecord a) {
    AttributesBuilder b = Attributes.builder().put(SemConv.OPERATION, r.operation());
    putIfPresent(b, SemConv.REQUEST_ID, r.requestId());
    putIfPresent(b, SemConv.PROVIDER, a.provider());
    putIfPresent(b, SemConv.REQUEST_MODEL, a.upstreamModel());
    if (a.status() > 0) {
      b.put(SemConv.HTTP_STATUS, (long) a.status());
    }
    // error.type: the failure kind, or the status code for an HTTP error (the conventions' rule)
    if (a.errorType() != null) {
      b.put(SemConv.ERROR_TYPE, a.errorType());
    } else if (a.status() >= 400) {
      b.put(SemConv.ERROR_TYPE, Integer.toString(a.status()));
    }
    return b.build();
  }

  private static void putIfPresent(AttributesBuilder b, io.opentelemetry.api.common.AttributeKey<String> key, String value) {
    if (value != null) {
      b.put(key, value);
    }
  }
}
