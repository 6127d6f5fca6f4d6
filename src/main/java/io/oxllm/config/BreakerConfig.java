package io.oxllm.config;

/** The {@code [breaker]} table: circuit and rate-limit cooldown rules (SPEC section 4). */
public record BreakerConfig(
    int failureThreshold,
    long openBaseSecs,
    long openMaxSecs,
    long idleDecaySecs,
    long rateLimitDefaultSecs,
    long rateLimitMaxSecs) {}
