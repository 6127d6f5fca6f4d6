package io.oxllm.routing;

import static io.oxllm.routing.ProviderHealth.Availability.AVAILABLE;
import static io.oxllm.routing.ProviderHealth.Availability.RATE_LIMITED;
import static io.oxllm.routing.ProviderHealth.Availability.UNAVAILABLE;
import static io.oxllm.routing.ProviderHealth.State.CLOSED;
import static io.oxllm.routing.ProviderHealth.State.HALF_OPEN;
import static io.oxllm.routing.ProviderHealth.State.OPEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.config.BreakerConfig;
import io.oxllm.routing.AttemptOutcome.Kind;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The breaker state machine step by step, on a fake clock with fixed jitter: no sleeps. */
class ProviderHealthTest {
  private static final long T0 = 1_700_000_000_000L;
  private static final long LEASE = 10_000;
  /** threshold 3, open 60 s doubling to 900 s, decay 300 s, 429 default 30 s capped at 3600 s. */
  private static final BreakerConfig DEFAULTS = new BreakerConfig(3, 60, 900, 300, 30, 3600);

  private long now = T0;
  private ProviderHealth h = new ProviderHealth(DEFAULTS, () -> 1.0);

  // --- closed → open

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 5})
  void opensAtExactlyThreshold(int threshold) {
    h = new ProviderHealth(new BreakerConfig(threshold, 60, 900, 300, 30, 3600), () -> 1.0);
    failTimes(threshold - 1);
    assertEquals(CLOSED, h.state(now));
    assertEquals(AVAILABLE, h.availability(now));
    assertEquals(threshold - 1, snap().consecutiveFailures());
    fail();
    assertEquals(OPEN, h.state(now));
    assertEquals(UNAVAILABLE, h.availability(now));
    assertEquals(now + 60_000, snap().openUntilMs());
  }

  @Test
  void successResetsTheCount() {
    failTimes(2);
    attempt(Kind.SUCCESS);
    failTimes(2);
    assertEquals(CLOSED, h.state(now));
    assertEquals(2, snap().consecutiveFailures());
    fail();
    assertEquals(OPEN, h.state(now));
  }

  @ParameterizedTest
  @CsvSource({"NEUTRAL", "RATE_LIMITED"})
  void neutralAndRateLimitedNeitherCountNorReset(Kind between) {
    failTimes(2);
    for (int i = 0; i < 5; i++) {
      attempt(new AttemptOutcome("p", between, 0));
    }
    assertEquals(2, snap().consecutiveFailures());
    assertEquals(CLOSED, h.state(now));
    fail();
    assertEquals(OPEN, h.state(now));
  }

  // --- open periods

  /** Each row: base, max, then the open period (s) after opening and after each failed probe. */
  @ParameterizedTest
  @CsvSource({
      "60, 900, 60 120 240 480 900 900",
      "1, 5, 1 2 4 5 5",
      "10, 10, 10 10 10",
      "7, 100, 7 14 28 56 100"})
  void openPeriodDoublesPerFailedProbeCappedAtMax(long base, long max, String periods) {
    h = new ProviderHealth(new BreakerConfig(3, base, max, 1_000_000, 30, 3600), () -> 1.0);
    failTimes(3);
    long[] expected = Arrays.stream(periods.split(" ")).mapToLong(Long::parseLong).toArray();
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i] * 1000, snap().openUntilMs() - now, "period " + i);
      assertEquals(3 + i, snap().consecutiveFailures());
      now = snap().openUntilMs() - 1;
      assertEquals(OPEN, h.state(now));
      now++;
      assertEquals(HALF_OPEN, h.state(now));
      assertTrue(h.offered(now, LEASE), "probe claimed");
      record(Kind.FAILURE);
      assertEquals(OPEN, h.state(now));
    }
  }

  /** Jitter factor → period (ms) at base 60 s; out-of-range factors are clamped to ±10 %. */
  @ParameterizedTest
  @CsvSource({"1.0, 60000", "0.9, 54000", "1.1, 66000", "0.5, 54000", "2.0, 66000"})
  void jitterBoundsThePeriod(double factor, long periodMs) {
    h = new ProviderHealth(DEFAULTS, () -> factor);
    failTimes(3);
    assertEquals(periodMs, snap().openUntilMs() - now);
  }

  @Test
  void jitterAppliesAfterTheCap() {
    h = new ProviderHealth(new BreakerConfig(1, 60, 100, 1_000_000, 30, 3600), () -> 1.1);
    failTimes(1);
    for (int i = 0; i < 5; i++) {
      now = snap().openUntilMs();
      h.offered(now, LEASE);
      record(Kind.FAILURE);
    }
    assertEquals(110_000, snap().openUntilMs() - now);
  }

  @Test
  void randomJitterStaysWithinTenPercent() {
    for (int i = 0; i < 10_000; i++) {
      double f = ProviderHealth.RANDOM_JITTER.getAsDouble();
      assertTrue(f >= 0.9 && f <= 1.1, "factor " + f);
    }
  }

  @Test
  void failuresFromStragglersWhileOpenDoNotGrowTheNextPeriod() {
    failTimes(3);
    long until = snap().openUntilMs();
    for (int i = 0; i < 5; i++) {
      record(Kind.FAILURE); // attempts started before the circuit opened
    }
    assertEquals(3, snap().consecutiveFailures());
    assertEquals(8, snap().failures());
    assertEquals(until, snap().openUntilMs());
  }

  // --- half open and the probe

  @Test
  void halfOpenLetsExactlyOneProbe() {
    openAndWait();
    assertEquals(AVAILABLE, h.availability(now));
    assertTrue(h.offered(now, LEASE));
    assertEquals(UNAVAILABLE, h.availability(now));
    assertEquals(UNAVAILABLE, h.availability(now + 1));
    assertFalse(h.offered(now, LEASE), "a second offer is not a probe");
  }

  /** The probe is released on every outcome; row: outcome, state after, availability after. */
  @ParameterizedTest
  @CsvSource({
      "SUCCESS, CLOSED, AVAILABLE",
      "FAILURE, OPEN, UNAVAILABLE",
      "NEUTRAL, HALF_OPEN, AVAILABLE",
      "RATE_LIMITED, HALF_OPEN, RATE_LIMITED"})
  void probeOutcome(Kind kind, ProviderHealth.State state, ProviderHealth.Availability availability) {
    openAndWait();
    assertTrue(h.offered(now, LEASE));
    h.record(new AttemptOutcome("p", kind, 5_000), now);
    assertEquals(state, h.state(now));
    assertEquals(availability, h.availability(now));
    assertEquals(0, snap().inFlight());
    if (kind == Kind.SUCCESS) {
      assertEquals(0, snap().consecutiveFailures());
    } else if (kind == Kind.FAILURE) {
      assertEquals(4, snap().consecutiveFailures());
      assertEquals(120_000, snap().openUntilMs() - now, "period doubled");
    } else {
      assertEquals(3, snap().consecutiveFailures());
      now += 5_000; // past the 429 cooldown when there was one
      assertEquals(AVAILABLE, h.availability(now));
      assertTrue(h.offered(now, LEASE), "the next request probes");
    }
  }

  @Test
  void probeClaimExpiresAfterItsLease() {
    openAndWait();
    assertTrue(h.offered(now, LEASE));
    assertEquals(UNAVAILABLE, h.availability(now + LEASE - 1));
    now += LEASE;
    assertEquals(AVAILABLE, h.availability(now));
    assertTrue(h.offered(now, LEASE), "another request may probe");
    assertEquals(HALF_OPEN, h.state(now));
  }

  // --- 429 cooldown

  /** Row: Retry-After in ms (-1 = none), expected cooldown in ms. */
  @ParameterizedTest
  @CsvSource({"5000, 5000", "-1, 30000", "10000000, 3600000", "3600000, 3600000", "1, 1"})
  void rateLimitCooldown(long retryAfterMs, long cooldownMs) {
    limited(retryAfterMs);
    assertEquals(now + cooldownMs, h.rateLimitedUntilMs());
    assertEquals(now + cooldownMs, snap().rateLimitedUntilMs());
    assertEquals(RATE_LIMITED, h.availability(now + cooldownMs - 1));
    assertEquals(AVAILABLE, h.availability(now + cooldownMs));
    assertEquals(0, snap().rateLimitedUntilMs(), "0 once over");
  }

  @Test
  void retryAfterZeroMeansNoCooldown() {
    limited(0);
    assertEquals(AVAILABLE, h.availability(now));
    assertEquals(0, h.rateLimitedUntilMs());
  }

  @Test
  void aShorterRetryAfterDoesNotCutACooldownShort() {
    limited(60_000);
    limited(1_000);
    assertEquals(now + 60_000, h.rateLimitedUntilMs());
  }

  @Test
  void anOutOfCreditCooldownIsOneAndSaysWhy() {
    attempt(new AttemptOutcome("p", Kind.OUT_OF_CREDIT, -1));
    assertEquals(RATE_LIMITED, h.availability(now));
    assertEquals(now + 30_000, h.rateLimitedUntilMs(), "the default cooldown, as any 429 without Retry-After");
    assertTrue(h.outOfCredit(now));
    assertFalse(h.outOfCredit(now + 30_000), "not once over");
    assertEquals(CLOSED, snap().state());
    limited(1_000);
    assertFalse(h.outOfCredit(now), "the latest 429 says why");
    attempt(new AttemptOutcome("p", Kind.OUT_OF_CREDIT, -1));
    h.reset();
    assertFalse(h.outOfCredit(now));
  }

  @Test
  void rateLimitsNeverOpenTheCircuit() {
    for (int i = 0; i < 100; i++) {
      limited(-1);
    }
    ProviderHealth.Snapshot s = snap();
    assertEquals(CLOSED, s.state());
    assertEquals(0, s.consecutiveFailures());
    assertEquals(0, s.failures());
    assertEquals(100, s.rateLimited());
    assertEquals(RATE_LIMITED, h.availability(now));
  }

  @Test
  void neutralChangesNothing() {
    failTimes(2);
    ProviderHealth.Snapshot before = snap();
    attempt(Kind.NEUTRAL);
    ProviderHealth.Snapshot after = snap();
    assertEquals(before.consecutiveFailures(), after.consecutiveFailures());
    assertEquals(before.failures(), after.failures());
    assertEquals(before.successes(), after.successes());
    assertEquals(CLOSED, after.state());
    assertEquals(0, after.rateLimitedUntilMs());
  }

  // --- idle decay

  /** Two failures at T0, then nothing; row: idle seconds, failures still counted. */
  @ParameterizedTest
  @CsvSource({"0, 2", "299, 2", "300, 1", "599, 1", "600, 0", "100000, 0"})
  void idleDecayForgivesOneFailurePerPeriod(long idleSecs, int left) {
    failTimes(2);
    assertEquals(left, h.snapshot(now + idleSecs * 1000).consecutiveFailures());
  }

  @Test
  void anyAttemptRestartsTheIdleClock() {
    failTimes(2);
    now += 200_000;
    h.offered(now, LEASE); // started: activity
    now += 200_000;
    assertEquals(2, snap().consecutiveFailures());
    record(Kind.NEUTRAL); // ended: activity
    now += 299_999;
    assertEquals(2, snap().consecutiveFailures());
    now += 1;
    assertEquals(1, snap().consecutiveFailures());
  }

  @Test
  void anAttemptNeverSentIsNoRequestAndTheCountNeverGoesBack() {
    // counted at the offer and taken back at such an outcome, the Prometheus counter fell, read as
    // resets (an audit: 2, 12, 4 in one run)
    h.offered(now, LEASE);
    h.offered(now, LEASE);
    h.record(new AttemptOutcome("p", Kind.NEUTRAL, -1, 0, false), now); // our own pool was full
    assertEquals(0, snap().requests());
    assertEquals(1, snap().inFlight());
    record(Kind.SUCCESS);
    assertEquals(1, snap().requests());
    assertEquals(0, snap().inFlight());
  }

  @Test
  void noDecayWhileAnAttemptRuns() {
    // a probe that outlasts several decay periods: the provider was never idle, so the circuit
    // stays half-open with its one probe (decay closed it, letting every request in, audit)
    openAndWait();
    assertTrue(h.offered(now, 10_000_000));
    now += 3 * 300_000;
    assertEquals(HALF_OPEN, h.state(now));
    assertEquals(UNAVAILABLE, h.availability(now), "the probe is still out");
    assertEquals(3, snap().consecutiveFailures());
    record(Kind.FAILURE);
    assertEquals(OPEN, h.state(now));
    assertEquals(4, snap().consecutiveFailures());
  }

  @Test
  void decayClosesAnOpenCircuitOnceBelowThreshold() {
    // an open period longer than the decay period: decay, not the probe, ends it
    h = new ProviderHealth(new BreakerConfig(2, 1000, 5000, 300, 30, 3600), () -> 1.0);
    failTimes(2);
    assertEquals(OPEN, h.state(now + 299_999));
    now += 300_000;
    assertEquals(CLOSED, h.state(now), "n = 1 < threshold");
    assertEquals(AVAILABLE, h.availability(now));
    assertEquals(1, snap().consecutiveFailures());
    assertEquals(0, snap().openUntilMs());
    fail();
    assertEquals(OPEN, h.state(now), "back at the threshold");
    assertEquals(1_000_000, snap().openUntilMs() - now, "n = threshold again: base period");
  }

  @Test
  void decayForgivesOnePerPeriodWhileTripped() {
    h = new ProviderHealth(new BreakerConfig(2, 100, 5000, 300, 30, 3600), () -> 1.0);
    failTimes(2); // n = 2: open 100 s
    for (int i = 0; i < 2; i++) { // two failed probes: n = 4, open 400 s from T0 + 300 s
      now = snap().openUntilMs();
      assertTrue(h.offered(now, LEASE));
      record(Kind.FAILURE);
    }
    assertEquals(T0 + 300_000, now);
    assertEquals(T0 + 700_000, snap().openUntilMs());
    // row: seconds after T0, state, failures still counted
    Object[][] steps = {
        {599, OPEN, 4}, {600, OPEN, 3}, {700, HALF_OPEN, 3}, {899, HALF_OPEN, 3},
        {900, HALF_OPEN, 2}, {1199, HALF_OPEN, 2}, {1200, CLOSED, 1}, {1500, CLOSED, 0}};
    for (Object[] step : steps) {
      now = T0 + (int) step[0] * 1000L;
      assertEquals(step[1], h.state(now), "state at " + step[0]);
      assertEquals(step[2], snap().consecutiveFailures(), "failures at " + step[0]);
    }
  }

  // --- when an unavailable provider is back (Retry-After of a 503 no_healthy_provider)

  @Test
  void anOpenCircuitIsBackWhenItHalfOpens() {
    failTimes(3);
    long back = h.usableAgainMs(now);
    assertEquals(T0 + 60_000, back);
    assertEquals(UNAVAILABLE, h.availability(back - 1));
    assertEquals(AVAILABLE, h.availability(back));
  }

  @Test
  void anOpenCircuitThatDecayWillCloseFirstIsBackThen() {
    h = new ProviderHealth(new BreakerConfig(2, 1000, 5000, 300, 30, 3600), () -> 1.0);
    failTimes(2); // one decay period brings it under the threshold, long before 1000 s
    long back = h.usableAgainMs(now);
    assertEquals(T0 + 300_000, back);
    assertEquals(UNAVAILABLE, h.availability(back - 1));
    assertEquals(AVAILABLE, h.availability(back));
  }

  @Test
  void anAttemptStillOutStopsDecaySoOnlyTheOpenPeriodCounts() {
    h = new ProviderHealth(new BreakerConfig(2, 1000, 5000, 300, 30, 3600), () -> 1.0);
    failTimes(2);
    h.offered(now, LEASE); // a straggler offered before the trip, say: the provider is not idle
    assertEquals(T0 + 1_000_000, h.usableAgainMs(now));
  }

  @Test
  void aProbeOutIsAskedAboutAgainInASecond() {
    openAndWait();
    assertTrue(h.offered(now, LEASE));
    assertEquals(UNAVAILABLE, h.availability(now));
    assertEquals(now + 1_000, h.usableAgainMs(now));
  }

  @Test
  void aCooldownRunningPastTheOpenPeriodIsWaitedFor() {
    failTimes(3);
    h.record(new AttemptOutcome("p", Kind.RATE_LIMITED, 90_000), now); // a straggler's 429
    long back = h.usableAgainMs(now);
    assertEquals(T0 + 90_000, back);
    assertEquals(RATE_LIMITED, h.availability(back - 1), "half-open by then, still cooling down");
    assertEquals(AVAILABLE, h.availability(back));
  }

  @Test
  void anOfflineProviderHasNoKnownReturn() {
    failTimes(3);
    h.setOffline(true);
    assertEquals(Long.MAX_VALUE, h.usableAgainMs(now));
    h.setOffline(false);
    assertEquals(T0 + 60_000, h.usableAgainMs(now));
  }

  // --- operator, reload, counters

  @Test
  void offlineAndReset() {
    h.setOffline(true);
    assertEquals(UNAVAILABLE, h.availability(now));
    assertTrue(snap().offline());
    h.setOffline(false);
    assertEquals(AVAILABLE, h.availability(now));

    failTimes(3);
    limited(60_000);
    h.offered(now, LEASE);
    h.setOffline(true);
    h.reset();
    ProviderHealth.Snapshot s = snap();
    assertEquals(CLOSED, s.state());
    assertEquals(0, s.consecutiveFailures());
    assertEquals(0, s.openUntilMs());
    assertEquals(0, s.rateLimitedUntilMs());
    assertEquals(3, s.failures(), "counters are kept");
    assertTrue(s.offline(), "reset does not bring an offline provider back");
    assertEquals(UNAVAILABLE, h.availability(now));
    h.setOffline(false);
    assertEquals(AVAILABLE, h.availability(now));
  }

  @Test
  void resetClearsAnOutstandingProbe() {
    openAndWait();
    assertTrue(h.offered(now, LEASE));
    h.reset();
    assertEquals(AVAILABLE, h.availability(now));
    assertEquals(CLOSED, h.state(now));
  }

  @Test
  void reconfigureKeepsStateAndAppliesNewRules() {
    failTimes(3);
    long until = snap().openUntilMs();
    h.reconfigure(new BreakerConfig(3, 10, 20, 300, 30, 3600));
    assertEquals(OPEN, h.state(now));
    assertEquals(until, snap().openUntilMs(), "the running period is kept");
    now = until;
    assertTrue(h.offered(now, LEASE));
    record(Kind.FAILURE);
    assertEquals(20_000, snap().openUntilMs() - now, "new base 10 s doubled");
    h.reconfigure(new BreakerConfig(10, 10, 20, 300, 30, 3600));
    assertEquals(CLOSED, h.state(now), "n = 4 is below the raised threshold");
    assertEquals(4, snap().consecutiveFailures());
  }

  @Test
  void counters() {
    assertFalse(h.offered(now, LEASE), "no probe while closed");
    now += 5;
    h.offered(now, LEASE);
    ProviderHealth.Snapshot s = snap();
    assertEquals(2, s.inFlight());
    assertEquals(0, s.requests(), "requests are counted as they end");
    assertEquals(now, s.lastRequestAtMs());
    record(Kind.SUCCESS);
    assertEquals(1, snap().inFlight());
    assertEquals(1, snap().successes());
    assertEquals(1, snap().requests());
    record(Kind.FAILURE);
    s = snap();
    assertEquals(0, s.inFlight());
    assertEquals(1, s.failures());
    assertEquals(1, s.consecutiveFailures());
    record(Kind.NEUTRAL); // an outcome without an offer never drives in_flight below 0, nor counts
    assertEquals(0, snap().inFlight());
    assertEquals(2, snap().requests());
  }



  @Test
  void hugeConfigValuesSaturateInsteadOfOverflowing() {
    long big = Long.MAX_VALUE;
    h = new ProviderHealth(new BreakerConfig(1, big, big, big, big, big), () -> 1.1);
    limited(-1);
    assertEquals(Long.MAX_VALUE, h.rateLimitedUntilMs());
    failTimes(1);
    assertEquals(Long.MAX_VALUE, snap().openUntilMs());
    assertEquals(UNAVAILABLE, h.availability(now + 1_000_000_000L));
  }

  // --- helpers: an attempt is offered, then its outcome arrives

  private void openAndWait() {
    failTimes(3);
    now = snap().openUntilMs();
    assertEquals(HALF_OPEN, h.state(now));
  }

  private void failTimes(int n) {
    for (int i = 0; i < n; i++) {
      fail();
    }
  }

  private void fail() {
    attempt(Kind.FAILURE);
  }

  private void limited(long retryAfterMs) {
    attempt(new AttemptOutcome("p", Kind.RATE_LIMITED, retryAfterMs));
  }

  private void attempt(Kind kind) {
    attempt(new AttemptOutcome("p", kind, -1));
  }

  private void attempt(AttemptOutcome outcome) {
    h.offered(now, LEASE);
    h.record(outcome, now);
  }

  private void record(Kind kind) {
    h.record(new AttemptOutcome("p", kind, -1), now);
  }

  private ProviderHealth.Snapshot snap() {
    return h.snapshot(now);
  }
}
