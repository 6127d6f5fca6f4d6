package io.oxllm.telemetry;

import java.util.List;

/**
 * Everything telemetry needs about one finished request: built once on the request path from what
 * it already knows and handed to {@link Telemetry#offer}. Immutable; holds no body and no key.
 *
 * @param requestId the {@code x-request-id} the client got; Latin-1 chars only, as an HTTP
 *     header's value always is (the encoders copy it as bytes, {@link Latin1Ids})
 * @param requestIdHigh when the gateway made the id: the value of its first 16 hex digits, which
 *     the encoders write from instead of reading {@code requestId}'s chars (made on the request's
 *     core when it arrived, they were two cache misses for the worker); 0 with
 *     {@code requestIdLow} 0: a client's id, copied from {@code requestId}
 * @param requestIdLow the value of its last 16 hex digits; either both are 0 or
 *     {@code requestId} is exactly those 32 lowercase hex digits
 * @param path the request path ({@code /v1/chat/completions}, …)
 * @param operation {@code chat}, {@code text_completion} or {@code embeddings}
 *     ({@code gen_ai.operation.name})
 * @param requestedModel the model the client asked for (a virtual model or a provider's own name)
 * @param provider the provider that answered (the last one tried); null when none was tried
 * @param upstreamModel the model name sent to that provider; null when none
 * @param responseModel the {@code model} the upstream's answer named; null when unknown
 * @param status the HTTP status the client got; 0 when none was sent (the client left first)
 * @param stream whether the answer was an SSE stream
 * @param attempts the upstream attempts in order (empty when none was made)
 * @param startEpochNanos when the request arrived ({@link Telemetry#epochNanos()})
 * @param endEpochNanos when its response ended, from the same clock
 * @param ttftNanos time from {@code startEpochNanos} to the first token; -1 when not a stream or
 *     no token came
 * @param inputTokens prompt tokens from the upstream's usage; -1 when unknown
 * @param outputTokens completion tokens; -1 when unknown
 * @param finishReasons distinct finish reasons in order of first appearance (may be empty)
 * @param bytesOut response body bytes written to the client
 * @param traceIdHigh the high 64 bits of the trace id: the client's trace when its
 *     {@code traceparent} was valid, else a new one ({@link TraceIds})
 * @param traceIdLow its low 64 bits (the id is never all zeros: a record whose id is cannot be
 *     placed in a trace and has no spans)
 * @param spanId the request's own span id; never 0 either
 * @param parentSpanId the client's parent span id; 0 when the client sent no valid traceparent
 * @param sampled false when the client's {@code traceparent} said its trace is not sampled: the
 *     request then has no spans (it is still in the metrics and the request log)
 * @param traceState the client's {@code tracestate}, on every span of the request (it continues
 *     the client's trace, OpenTelemetry's spans carry their parent's); null when none or when its
 *     traceparent was not valid
 * @param errorType {@code error.type} when the request failed (the error code the client got, or
 *     the last attempt's error); null on success
 */
public record RequestRecord(
    String requestId,
    long requestIdHigh,
    long requestIdLow,
    String path,
    String operation,
    String requestedModel,
    String provider,
    String upstreamModel,
    String responseModel,
    int status,
    Outcome outcome,
    boolean stream,
    List<AttemptRecord> attempts,
    long startEpochNanos,
    long endEpochNanos,
    long ttftNanos,
    long inputTokens,
    long outputTokens,
    List<String> finishReasons,
    long bytesOut,
    long traceIdHigh,
    long traceIdLow,
    long spanId,
    long parentSpanId,
    boolean sampled,
    String traceState,
    String errorType) {

  public RequestRecord {
    // List.copyOf returns its argument when it is already immutable: free on the usual path
    attempts = attempts == null ? List.of() : List.copyOf(attempts);
    finishReasons = finishReasons == null ? List.of() : List.copyOf(finishReasons);
  }

  /** A record without a client {@code tracestate}. */
  public RequestRecord(String requestId, long requestIdHigh, long requestIdLow, String path, String operation,
      String requestedModel, String provider, String upstreamModel, String responseModel, int status,
      Outcome outcome, boolean stream, List<AttemptRecord> attempts, long startEpochNanos, long endEpochNanos,
      long ttftNanos, long inputTokens, long outputTokens, List<String> finishReasons, long bytesOut,
      long traceIdHigh, long traceIdLow, long spanId, long parentSpanId, boolean sampled, String errorType) {
    this(requestId, requestIdHigh, requestIdLow, path, operation, requestedModel, provider, upstreamModel,
        responseModel, status, outcome, stream, attempts, startEpochNanos, endEpochNanos, ttftNanos, inputTokens,
        outputTokens, finishReasons, bytesOut, traceIdHigh, traceIdLow, spanId, parentSpanId, sampled, null,
        errorType);
  }
}
