package io.oxllm.routing;

import io.oxllm.config.BreakerConfig;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * One provider's circuit breaker and rate-limit cooldown (SPEC section 4). A plain class: the
 * routing verticle is its only caller, so it has no locks; time is passed in by the caller (epoch
 * ms) and every time-driven transition (open period over, probe lease expired, idle decay,
 * cooldown over) is evaluated lazily when the health is asked, so there are no timers.
 *
 * <p>Circuit: CLOSED → OPEN after {@code failure_threshold} consecutive failures, for
 * {@code min(open_base · 2^(n − threshold), open_max)} s times a jitter factor in [0.9, 1.1] →
 * HALF_OPEN once that has passed, where {@link #offered} hands out exactly one probe → CLOSED on
 * success, OPEN with n + 1 on failure. A 429 is a cooldown, never a failure.
 *
 * <p>Outcomes carry no attempt id, so in HALF_OPEN whatever outcome arrives is taken as the
 * probe's; while OPEN, outcomes of attempts started before the circuit opened only move counters
 * (a burst of stragglers must not inflate n and with it the next open period).
 */
public final class ProviderHealth {
  /** Whether a provider may be offered now. */
  public enum Availability { AVAILABLE, RATE_LIMITED, UNAVAILABLE }

  /** The circuit state. */
  public enum State {
    CLOSED, OPEN, HALF_OPEN;

    /**
     * The provider-state gauge's value (OTLP and /metrics) for a state as /status names it:
     * 0 "closed", 1 "half_open", 2 "open".
     */
    public static int gaugeValue(String statusName) {
      return switch (statusName) {
        case "half_open" -> 1;
        case "open" -> 2;
        default -> 0;
      };
    }
  }

  /**
   * What {@code /status} shows for a provider; all times are epoch ms, 0 when not applicable.
   *
   * @param inFlight attempts offered whose outcome has not arrived yet (waiting for a pooled
   *     connection included)
   * @param requests attempts sent to the provider whose outcome has arrived: counted at the end, so
   *     that it only grows (one counted at the offer and taken back when our own pool had no
   *     connection for it made Prometheus see counter resets: an audit)
   * @param rateLimited outcomes that were 429s
   * @param openUntilMs end of the open period while OPEN, else 0
   * @param rateLimitedUntilMs end of the 429 cooldown while cooling down, else 0
   */
  public record Snapshot(
      State state,
      boolean offline,
      long inFlight,
      long requests,
      long successes,
      long failures,
      long rateLimited,
      long lastRequestAtMs,
      int consecutiveFailures,
      long openUntilMs,
      long rateLimitedUntilMs) {}

  /** Production jitter: uniform in [0.9, 1.1]. */
  public static final DoubleSupplier RANDOM_JITTER =
      () -> 0.9 + 0.2 * ThreadLocalRandom.current().nextDouble();

  /** {@link #usableAgainMs} while a half-open probe is out: its answer decides, usually soon. */
  static final long PROBE_OUT_HINT_MS = 1_000;

  private final DoubleSupplier jitter;
  private final long id;
  private BreakerConfig config;

  private State state = State.CLOSED;
  private boolean offline;
  private int consecutiveFailures;
  private long openUntilMs;
  private boolean probeOut;
  private long probeLeaseUntilMs;
  private long rateLimitedUntilMs;
  private boolean creditCooldown; // the cooldown's 429 said the account is out of credit
  /** Idle time for decay counts from here: the last attempt start or end, advanced per forgiveness. */
  private long decayFromMs;

  private long inFlight;
  private long requests;
  private long successes;
  private long failures;
  private long rateLimited;
  private long lastRequestAtMs;

  public ProviderHealth(BreakerConfig config, DoubleSupplier jitter) {
    this(config, jitter, 0);
  }

  /** @param id tells this health from an earlier one of the same name (RouteSelector numbers them) */
  public ProviderHealth(BreakerConfig config, DoubleSupplier jitter, long id) {
    this.config = config;
    this.jitter = jitter;
    this.id = id;
  }

  public ProviderHealth(BreakerConfig config) {
    this(config, RANDOM_JITTER);
  }

  public long id() {
    return id;
  }

  /** Whether the provider may be offered now: offline, OPEN and a probe already out all mean no. */
  public Availability availability(long nowMs) {
    refresh(nowMs);
    if (offline || state == State.OPEN || (state == State.HALF_OPEN && probeOut)) {
      return Availability.UNAVAILABLE;
    }
    return rateLimitedUntilMs > nowMs ? Availability.RATE_LIMITED : Availability.AVAILABLE;
  }

  /**
   * An attempt is about to go to this provider. In HALF_OPEN with no probe out this attempt becomes
   * the probe, claimed for {@code leaseMs} so that a lost outcome cannot wedge the provider.
   *
   * @return whether this attempt claimed the probe
   */
  public boolean offered(long nowMs, long leaseMs) {
    refresh(nowMs);
    inFlight++;
    lastRequestAtMs = nowMs;
    decayFromMs = nowMs;
    if (state == State.HALF_OPEN && !probeOut) {
      probeOut = true;
      probeLeaseUntilMs = plus(nowMs, leaseMs);
      return true;
    }
    return false;
  }

  /** How an attempt ended. */
  public void record(AttemptOutcome outcome, long nowMs) {
    refresh(nowMs); // decay up to now before this outcome counts as activity
    if (inFlight > 0) {
      inFlight--;
      if (outcome.sent()) {
        requests++; // not one offered but never sent: our own pool had no connection for it
      }
    }
    decayFromMs = nowMs;
    switch (outcome.kind()) {
      case SUCCESS -> {
        successes++;
        if (state != State.OPEN) {
          close();
        }
      }
      case FAILURE -> {
        failures++;
        if (state == State.HALF_OPEN) {
          probeOut = false;
          consecutiveFailures++;
          open(nowMs);
        } else if (state == State.CLOSED) {
          consecutiveFailures++;
          if (consecutiveFailures >= config.failureThreshold()) {
            open(nowMs);
          }
        }
      }
      case RATE_LIMITED, OUT_OF_CREDIT -> {
        rateLimited++;
        probeOut = false; // a 429 probe tells nothing about the circuit; the next request may probe
        coolDown(outcome.retryAfterMs(), nowMs);
        creditCooldown = outcome.kind() == AttemptOutcome.Kind.OUT_OF_CREDIT; // the latest 429 says why
      }
      case NEUTRAL -> probeOut = false; // the client left or erred: neither success nor failure
    }
  }

  /** The operator's switch: an offline provider is never offered. Breaker state is kept. */
  public void setOffline(boolean offline) {
    this.offline = offline;
  }

  /** The operator's reset: CLOSED, no failures, no cooldown, no probe. Counters are kept. */
  /** Whether it cools down after a 429 that said its account is out of credit. */
  public boolean outOfCredit(long nowMs) {
    return creditCooldown && rateLimitedUntilMs > nowMs;
  }

  public void reset() {
    close();
    rateLimitedUntilMs = 0;
    creditCooldown = false;
  }

  /** Applies a reloaded {@code [breaker]} table; state carries over and meets the new rules lazily. */
  public void reconfigure(BreakerConfig newConfig) {
    this.config = newConfig;
  }

  /** The current state, after evaluating the clock. */
  public State state(long nowMs) {
    refresh(nowMs);
    return state;
  }

  /** When a rate-limited provider may be tried again (epoch ms), 0 when not cooling down. */
  public long rateLimitedUntilMs() {
    return rateLimitedUntilMs;
  }

  /**
   * For a provider not available now: the soonest time (epoch ms) it may be offered again, or
   * {@link Long#MAX_VALUE} when nobody can say (offline: until an operator says so). An open
   * circuit half-opens at the end of its open period, or sooner if idle decay closes it first; a
   * probe already out decides within moments as a rule, so that reads as {@link #PROBE_OUT_HINT_MS}
   * from now. A cooldown running past either is waited for too.
   */
  public long usableAgainMs(long nowMs) {
    refresh(nowMs);
    if (offline) {
      return Long.MAX_VALUE;
    }
    long at = nowMs;
    if (state == State.OPEN) {
      at = Math.min(openUntilMs, decayClosesAtMs());
    } else if (state == State.HALF_OPEN && probeOut) {
      at = plus(nowMs, PROBE_OUT_HINT_MS);
    }
    return Math.max(at, rateLimitedUntilMs);
  }

  /** When idle decay alone would bring the failures under the threshold, or MAX_VALUE if never. */
  private long decayClosesAtMs() {
    long decayMs = toMs(config.idleDecaySecs());
    if (decayMs <= 0 || inFlight > 0) {
      return Long.MAX_VALUE; // no decay, or not idle: an attempt is still out
    }
    long periods = consecutiveFailures - config.failureThreshold() + 1L;
    return periods > Long.MAX_VALUE / decayMs ? Long.MAX_VALUE : plus(decayFromMs, periods * decayMs);
  }

  public Snapshot snapshot(long nowMs) {
    refresh(nowMs);
    return new Snapshot(state, offline, inFlight, requests, successes, failures, rateLimited,
        lastRequestAtMs, consecutiveFailures, state == State.OPEN ? openUntilMs : 0,
        rateLimitedUntilMs);
  }

  /** Applies everything that time alone changes: idle decay, open period over, lease, cooldown. */
  private void refresh(long nowMs) {
    long decayMs = toMs(config.idleDecaySecs());
    // idle means no attempt running either: a half-open probe that outlasts the period must not
    // close the circuit under itself and let every request through
    if (consecutiveFailures > 0 && decayMs > 0 && inFlight == 0 && nowMs - decayFromMs >= decayMs) {
      long periods = (nowMs - decayFromMs) / decayMs;
      consecutiveFailures = (int) Math.max(0, consecutiveFailures - periods);
      // keep the partial period: the next forgiveness is one full period after this one
      decayFromMs += periods * decayMs;
    }
    // below the threshold (decay, or a reload raised it) a tripped circuit closes; the count left
    // stays, so one more failure at threshold − 1 trips it again
    if (state != State.CLOSED && consecutiveFailures < config.failureThreshold()) {
      int left = consecutiveFailures;
      close();
      consecutiveFailures = left;
    }
    if (state == State.OPEN && nowMs >= openUntilMs) {
      state = State.HALF_OPEN;
      probeOut = false;
    }
    if (probeOut && nowMs >= probeLeaseUntilMs) {
      probeOut = false; // the probe's outcome never came: let another request probe
    }
    if (rateLimitedUntilMs != 0 && rateLimitedUntilMs <= nowMs) {
      rateLimitedUntilMs = 0;
    }
  }

  private void open(long nowMs) {
    int k = consecutiveFailures - config.failureThreshold();
    double secs = Math.min(config.openBaseSecs() * Math.pow(2, Math.max(0, k)), config.openMaxSecs());
    double factor = Math.max(0.9, Math.min(1.1, jitter.getAsDouble()));
    state = State.OPEN;
    openUntilMs = plus(nowMs, (long) (secs * 1000 * factor)); // double → long saturates
  }

  private void close() {
    state = State.CLOSED;
    consecutiveFailures = 0;
    openUntilMs = 0;
    probeOut = false;
  }

  private void coolDown(long retryAfterMs, long nowMs) {
    long ms = retryAfterMs >= 0 ? retryAfterMs : toMs(config.rateLimitDefaultSecs());
    ms = Math.min(ms, toMs(config.rateLimitMaxSecs()));
    // never shorten a cooldown already running: concurrent 429s may carry different Retry-Afters
    rateLimitedUntilMs = Math.max(rateLimitedUntilMs, plus(nowMs, ms));
    if (rateLimitedUntilMs <= nowMs) {
      rateLimitedUntilMs = 0; // Retry-After: 0
    }
  }

  private static long toMs(long secs) {
    return secs > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : secs * 1000;
  }

  private static long plus(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }
}
