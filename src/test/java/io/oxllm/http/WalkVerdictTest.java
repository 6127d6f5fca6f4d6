package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.config.BreakerConfig;
import io.oxllm.routing.RouteAnswer;
import org.junit.jupiter.api.Test;

/** The error a walk without a (further) target answers: SPEC section 3's table. */
class WalkVerdictTest {
  private static final BreakerConfig BREAKER = new BreakerConfig(3, 60, 900, 300, 30, 3600);

  private static RouteAnswer noneUsable(long retryAfterSecs, int rateLimited, int unhealthy) {
    return new RouteAnswer(null, -1, null, RouteAnswer.Refusal.NONE_USABLE, retryAfterSecs, rateLimited, unhealthy, 0, 0);
  }

  @Test
  void outOfCreditIsNoRateLimitAndNoRetryHelps() {
    WalkVerdict attempted = new WalkVerdict();
    attempted.attempted();
    attempted.outOfQuota();
    assertEquals(502, attempted.answer(null, BREAKER, "m", "a: status 429: quota (1 ms)").status());
    assertEquals(0, attempted.retryAfterSecs());
    assertTrue(attempted.hopeless());
    // only targets cooling down after one: none usable, and a retry in their Retry-After fails too
    WalkVerdict skipped = new WalkVerdict();
    RouteAnswer credit = new RouteAnswer(null, -1, null, RouteAnswer.Refusal.NONE_USABLE, 25, 1, 0, 1, 0);
    ApiError e = skipped.answer(credit, BREAKER, "m", "");
    assertEquals("no_healthy_provider", e.code());
    assertEquals(25, skipped.retryAfterSecs());
    assertTrue(skipped.hopeless());
    // beside a plain rate limit it is a cooldown like the others: the SPEC's 429
    WalkVerdict mixed = new WalkVerdict();
    RouteAnswer both = new RouteAnswer(null, -1, null, RouteAnswer.Refusal.NONE_USABLE, 5, 2, 0, 1, 0);
    assertEquals(429, mixed.answer(both, BREAKER, "m", "").status());
    assertFalse(mixed.hopeless());
    WalkVerdict plain = new WalkVerdict();
    plain.attempted();
    plain.rateLimited(3_000, BREAKER);
    plain.answer(null, BREAKER, "m", "");
    assertFalse(plain.hopeless());
  }

  @Test
  void everyAttemptRateLimitedGives429WithTheSoonestRetryAfter() {
    WalkVerdict v = new WalkVerdict();
    v.attempted();
    v.rateLimited(7_000, BREAKER);
    v.attempted();
    v.rateLimited(3_000, BREAKER);
    ApiError e = v.answer(null, BREAKER, "m", "");
    assertEquals(429, e.status());
    assertEquals("all_providers_rate_limited", e.code());
    assertEquals(3, v.retryAfterSecs());
  }

  @Test
  void partSecondsRoundUpSoAClientNeverComesBackEarly() {
    // an HTTP-date Retry-After arrives as, say, 8.25 s: 8 would send the client back too soon
    WalkVerdict v = new WalkVerdict();
    v.attempted();
    v.rateLimited(8_250, BREAKER);
    v.answer(null, BREAKER, "m", "");
    assertEquals(9, v.retryAfterSecs());
    WalkVerdict whole = new WalkVerdict();
    whole.attempted();
    whole.rateLimited(8_000, BREAKER);
    whole.answer(null, BREAKER, "m", "");
    assertEquals(8, whole.retryAfterSecs());
  }

  @Test
  void skippedCooldownsCountAndTheDefaultAndCapApply() {
    WalkVerdict v = new WalkVerdict();
    v.attempted();
    v.rateLimited(-1, BREAKER);                  // no Retry-After: the default 30 s
    assertEquals(429, v.answer(noneUsable(12, 1, 0), BREAKER, "m", "").status());
    assertEquals(12, v.retryAfterSecs());       // a skipped target frees up sooner
    WalkVerdict capped = new WalkVerdict();
    capped.attempted();
    capped.rateLimited(10_000_000, BREAKER);
    capped.answer(null, BREAKER, "m", "");
    assertEquals(3600, capped.retryAfterSecs());
  }

  @Test
  void nothingAttemptedIs503AndAMixIs502() {
    assertEquals("no_healthy_provider", new WalkVerdict().answer(noneUsable(0, 0, 2), BREAKER, "m", "").code());
    WalkVerdict mixed = new WalkVerdict();
    mixed.attempted();
    mixed.rateLimited(1_000, BREAKER);
    mixed.attempted();                          // a 503, say
    ApiError e = mixed.answer(null, BREAKER, "m", "a: status 429 (1 ms); b: status 503 (2 ms)");
    assertEquals(502, e.status());
    assertEquals("all_providers_failed", e.code());
    WalkVerdict skippedOpen = new WalkVerdict();
    skippedOpen.attempted();
    skippedOpen.rateLimited(1_000, BREAKER);
    assertEquals(502, skippedOpen.answer(noneUsable(0, 0, 1), BREAKER, "m", "x").status());
  }

  @Test
  void nothingAttemptedWithSomeTargetsCoolingDownIs503WithTheSoonestRetryAfter() {
    WalkVerdict v = new WalkVerdict();
    ApiError e = v.answer(noneUsable(7, 1, 1), BREAKER, "m", "");
    assertEquals(503, e.status());
    assertEquals("no_healthy_provider", e.code());
    assertEquals(7, v.retryAfterSecs());
    assertEquals("No healthy provider for model 'm': 1 target(s) offline or with an open circuit, 1 rate limited"
        + " (the soonest usable again in 7 s).", e.message());
    WalkVerdict open = new WalkVerdict();
    ApiError openError = open.answer(noneUsable(12, 0, 2), BREAKER, "m", "");
    assertEquals(12, open.retryAfterSecs(), "the soonest open circuit half-opens then");
    assertEquals("No healthy provider for model 'm': every target is offline or its circuit is open"
        + " (the soonest usable again in 12 s).", openError.message());
    WalkVerdict offline = new WalkVerdict();
    ApiError offlineError = offline.answer(noneUsable(0, 0, 2), BREAKER, "m", "");
    assertEquals(0, offline.retryAfterSecs(), "no Retry-After when no skipped target has a known return");
    assertEquals("No healthy provider for model 'm': every target is offline or its circuit is open.",
        offlineError.message());
  }

  @Test
  void nothingSentForWantOfAPooledConnectionIs503WithARetryAfterOfOneSecond() {
    WalkVerdict v = new WalkVerdict();
    v.attempted();
    v.poolBusy();
    ApiError e = v.answer(noneUsable(12, 1, 0), BREAKER, "m", "a: connection pool full (0 ms)");
    assertEquals(503, e.status());
    assertEquals("connection_pool_exhausted", e.code(), "not 429: a is busy, not rate limited");
    assertEquals(1, v.retryAfterSecs());
    assertEquals("No free connection to the providers of model 'm' that are not rate limited (their max_connections"
        + " are in use): a: connection pool full (0 ms). Retry shortly.", e.message());
    WalkVerdict busyThen429 = new WalkVerdict();
    busyThen429.attempted();
    busyThen429.poolBusy();
    busyThen429.attempted();
    busyThen429.rateLimited(5_000, BREAKER);    // nothing failed: a is busy, b rate limited
    assertEquals("connection_pool_exhausted", busyThen429.answer(null, BREAKER, "m", "x").code());
    assertEquals(1, busyThen429.retryAfterSecs(), "a may be free in a moment");
    WalkVerdict thenFailed = new WalkVerdict();
    thenFailed.attempted();
    thenFailed.poolBusy();
    thenFailed.attempted();                     // b answered 503, say: a real attempt failed
    assertEquals("all_providers_failed", thenFailed.answer(null, BREAKER, "m", "x").code());
  }
}
