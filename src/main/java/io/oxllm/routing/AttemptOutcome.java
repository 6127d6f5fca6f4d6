package io.oxllm.routing;

/**
 * HTTP verticle → routing verticle, fire and forget: how one upstream attempt ended, so the
 * routing verticle (the only writer of provider health) can update that provider.
 *
 * @param retryAfterMs with {@link Kind#RATE_LIMITED}: the upstream's Retry-After in ms, or -1
 * @param healthId the {@link RouteAnswer#healthId} that offered the attempt: an outcome for a
 *     provider a reload removed (and perhaps re-added since) is not the new one's; 0 = whichever
 *     health the name has now
 * @param sent false when the attempt never left the gateway (our own pool had no connection for
 *     it): the provider was not asked, so it is no request of the provider's either
 */
public record AttemptOutcome(String provider, Kind kind, long retryAfterMs, long healthId, boolean sent) {

  public AttemptOutcome(String provider, Kind kind, long retryAfterMs) {
    this(provider, kind, retryAfterMs, 0, true);
  }

  public AttemptOutcome(String provider, Kind kind, long retryAfterMs, long healthId) {
    this(provider, kind, retryAfterMs, healthId, true);
  }

  /** What the attempt says about the provider's health. */
  public enum Kind {
    /** The provider answered (2xx, or a stream that completed). */
    SUCCESS,
    /** Connect error, reset, timeout, 5xx, 408, or a stream cut: counts toward the circuit. */
    FAILURE,
    /** 429: a cooldown, never a circuit failure. */
    RATE_LIMITED,
    /**
     * A 429 that says the account is out of credit ({@code insufficient_quota}): a cooldown as any
     * 429, but one that waiting does not end, which the answers of the requests it skips say.
     */
    OUT_OF_CREDIT,
    /** Says nothing about the provider: a client 4xx, or the client went away. */
    NEUTRAL
  }
}
