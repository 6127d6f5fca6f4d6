package io.oxllm.http;

import io.oxllm.config.BreakerConfig;
import io.oxllm.routing.RouteAnswer;

/**
 * The answer of SPEC section 3's error table when a chain has no (further) target: 429
 * {@code all_providers_rate_limited} with the soonest {@code Retry-After} when every attempt and
 * every skip was a rate limit, 503 {@code no_healthy_provider} when nothing could be attempted
 * (with {@code Retry-After}: when the soonest skipped target cools down or half-opens; the SPEC
 * names none, but a client that waits that long is not refused again for nothing),
 * 502 {@code all_providers_failed} otherwise. Where the SPEC is silent: when no upstream failed but
 * the gateway's own pools had no free connection to some targets (the others, if any, rate
 * limited), 503 {@code connection_pool_exhausted} with {@code Retry-After: 1}, not a 502 that
 * blames upstreams never asked. Plain bookkeeping, filled in as the walk goes.
 */
final class WalkVerdict {
  private int attempts;
  private int poolBusy; // tries withdrawn: our own pool had no free connection, nothing was sent
  private int rateLimitedAttempts;
  private int outOfQuotaAttempts;
  private long soonestRetryMs = Long.MAX_VALUE;
  private long retryAfterSecs;
  private boolean hopeless;

  /** A real upstream attempt was made. */
  void attempted() {
    attempts++;
  }

  /** The real upstream attempts so far (x-oxllm-attempts; what max_attempts bounds). */
  int attempts() {
    return attempts;
  }

  /** The last attempt never reached its upstream (our own pool was full): it was no real attempt. */
  void poolBusy() {
    attempts--;
    poolBusy++;
  }

  /** An attempt answered 429; {@code retryAfterMs} is its Retry-After, or -1 for the default cooldown. */
  void rateLimited(long retryAfterMs, BreakerConfig breaker) {
    rateLimitedAttempts++;
    soonestRetryMs = Math.min(soonestRetryMs, retryAfterMs >= 0 ? retryAfterMs : breaker.rateLimitDefaultSecs() * 1000);
  }

  /** An attempt answered a 429 that says its account is out of credit: no rate limit, no wait ends it. */
  void outOfQuota() {
    outOfQuotaAttempts++;
  }

  /**
   * With the answer from {@link #answer}: whether a client retrying can only fail again, every
   * attempt having been out of credit and every target skipped cooling down after such a 429.
   * The answer then says {@code x-should-retry: false}, which the OpenAI SDKs obey: their retry
   * of a 502 met the provider's cooldown, a 429 whose Retry-After they slept through (an SDK audit).
   */
  boolean hopeless() {
    return hopeless;
  }

  /**
   * With a 429 from {@link #answer}, or a 503 some of whose targets come back at a known time:
   * the {@code Retry-After} seconds to send; else 0.
   */
  long retryAfterSecs() {
    return retryAfterSecs;
  }

  /**
   * The error for a walk that ended; {@code last} is the routing verticle's final answer when it
   * said "none usable" (it counts the targets skipped), or null when attempts ran out.
   */
  ApiError answer(RouteAnswer last, BreakerConfig breaker, String model, String attemptSummary) {
    int skippedUnhealthy = last == null ? 0 : last.unhealthySkips();
    int skippedLimited = last == null ? 0 : last.rateLimitedSkips();
    int skippedForCredit = last == null ? 0 : last.outOfCreditSkips();
    boolean otherSkips = skippedUnhealthy > 0 || skippedLimited > skippedForCredit;
    hopeless = outOfQuotaAttempts == attempts && poolBusy == 0 && !otherSkips && attempts + skippedForCredit > 0;
    // only targets cooling down after an out-of-credit 429: no rate limit to wait out, but none
    // usable (the 503 below)
    boolean onlyOutOfCredit = hopeless && attempts == 0;
    boolean onlyRateLimits = rateLimitedAttempts == attempts && skippedUnhealthy == 0 && poolBusy == 0
        && !onlyOutOfCredit && (attempts > 0 || skippedLimited > 0);
    if (onlyRateLimits) {
      long soonest = soonestRetryMs;
      if (skippedLimited > 0) {
        soonest = Math.min(soonest, last.retryAfterSecs() * 1000); // skips here are all cooldowns
      }
      // rounded up, as the routing verticle does for cooldowns already running: never too early
      retryAfterSecs = Math.max(1, (Math.min(soonest, breaker.rateLimitMaxSecs() * 1000) + 999) / 1000);
      return ApiError.allRateLimited("model '" + model + "'", retryAfterSecs, attemptSummary);
    }
    if (poolBusy > 0 && rateLimitedAttempts == attempts) {
      // no upstream failed: some had no free connection here, the others (if any) said 429
      retryAfterSecs = 1; // a pool frees a connection as soon as any answer on it ends
      return ApiError.poolsExhausted(model, attemptSummary);
    }
    if (attempts == 0) {
      // say when the soonest skipped target is back (cooldown over, or circuit half-open), as
      // Retry-After on the 503; no header when none has a known time (all offline)
      retryAfterSecs = last == null ? 0 : last.retryAfterSecs();
      return ApiError.noHealthyProvider(model, skippedUnhealthy, skippedLimited, skippedForCredit, retryAfterSecs);
    }
    return ApiError.allProvidersFailed(attemptSummary);
  }
}
