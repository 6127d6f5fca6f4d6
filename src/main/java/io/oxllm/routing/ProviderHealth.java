package io.oxllm.routing;

/**
 * What the routing verticle knows about one provider's health. Owned and written only by the
 * routing verticle, so it needs no locks.
 *
 * <p>This is the seam for circuit breaking and rate-limit cooldowns: {@link #availability} is
 * asked before a provider is offered, {@link #record} hears every attempt's outcome. For now it
 * carries the operator's offline switch and in-flight counting.
 */
final class ProviderHealth {
  /** Whether a provider may be offered now. */
  enum Availability { AVAILABLE, RATE_LIMITED, UNAVAILABLE }

  private boolean offline;
  private long rateLimitedUntilMs;
  private long requests;
  private long successes;
  private long failures;

  Availability availability(long nowMs) {
    if (offline) {
      return Availability.UNAVAILABLE;
    }
    if (rateLimitedUntilMs > nowMs) {
      return Availability.RATE_LIMITED;
    }
    return Availability.AVAILABLE;
  }

  /** When a rate-limited provider may be tried again (epoch ms). */
  long rateLimitedUntilMs() {
    return rateLimitedUntilMs;
  }

  void record(AttemptOutcome outcome, long nowMs) {
    requests++;
    switch (outcome.kind()) {
      case SUCCESS -> successes++;
      case FAILURE -> failures++;
      default -> { }
    }
  }

  void setOffline(boolean offline) {
    this.offline = offline;
  }

  long requests() {
    return requests;
  }

  long successes() {
    return successes;
  }

  long failures() {
    return failures;
  }
}
