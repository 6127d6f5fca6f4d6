package io.oxllm.telemetry;

/**
 * One upstream attempt of a request, as the request path saw it.
 *
 * @param provider the provider's configured name
 * @param upstreamModel the model name sent upstream
 * @param status the upstream's HTTP status; 0 when none came back (connect error, timeout, cancel)
 * @param error a short error kind ({@code timeout}, {@code connect_error}, …); null when none
 * @param startEpochNanos when the attempt started, from {@link Telemetry#epochNanos()}
 * @param endEpochNanos when it ended, from the same clock
 * @param spanId the attempt's span id, which the upstream saw as parent in its
 *     {@code traceparent}; 0 when it has none (its span is left out)
 */
public record AttemptRecord(
    String provider,
    String upstreamModel,
    int status,
    String error,
    long startEpochNanos,
    long endEpochNanos,
    long spanId) {}
