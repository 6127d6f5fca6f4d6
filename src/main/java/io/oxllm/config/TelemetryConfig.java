package io.oxllm.config;

/** The {@code [telemetry]} table. Empty strings mean "off". */
public record TelemetryConfig(
    String otlpEndpoint,
    String serviceName,
    int queueCapacity,
    String requestLog,
    long requestLogMaxMb,
    long metricsIntervalSecs) {}
