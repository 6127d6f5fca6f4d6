package io.oxllm.config;

/** One step of a virtual model's fallback chain: send to {@code provider} as {@code model}. */
public record ChainTarget(String provider, String model) {}
