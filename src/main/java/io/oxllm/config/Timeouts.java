package io.oxllm.config;

/** The four upstream timeouts, in milliseconds (the {@code [timeouts]} table, or a provider's override). */
public record Timeouts(long connectMs, long firstByteMs, long idleMs, long totalMs) {}
