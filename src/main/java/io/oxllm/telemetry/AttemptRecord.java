package io.oxllm.telemetry;

/**
 * One upstream attempt of a request, as the request path saw it.
 *
 * @param provider the provider's configured name
 * @param upstreamModel the model name sent upstream
 * @param status the upstream's HTTP status; 0 when none came back (connect error, timeout, cancel)
 * @param error why it failed, for people ({@code no first byte within 2000 ms}); null when it did not
 * @param errorType the same as one of a few fixed names ({@code first_byte_timeout}), the span's
 *     {@code error.type}; null when it did not fail
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
    String errorType,
    long startEpochNanos,
    long endEpochNanos,
    long spanId) {}
