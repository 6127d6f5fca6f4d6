package io.oxllm.routing;

/**
 * HTTP verticle → routing verticle, fire and forget: how one upstream attempt ended, so the
 * routing verticle (the only writer of provider health) can update that provider.
 *
 * @param retryAfterMs with {@link Kind#RATE_LIMITED}: the upstream's Retry-After in ms, or -1
 */
public record AttemptOutcome(String provider, Kind kind, long retryAfterMs) {

  /** What the attempt says about the provider's health. */
  public enum Kind {
    /** The provider answered (2xx, or a stream that completed). */
    SUCCESS,
    /** Connect error, reset, timeout, 5xx, 408, or a stream cut: counts toward the circuit. */
    FAILURE,
    /** 429: a cooldown, never a circuit failure. */
    RATE_LIMITED,
    /** Says nothing about the provider: a client 4xx, or the client went away. */
    NEUTRAL
  }
}
