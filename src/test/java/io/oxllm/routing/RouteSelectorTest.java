package io.oxllm.routing;

import static io.oxllm.routing.RoutingFixtures.config;
import static io.oxllm.routing.RoutingFixtures.provider;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.routing.RouteAnswer.Refusal;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RouteSelectorTest {
  private static final String BREAKER = "[breaker]\nfailure_threshold = 2\nopen_base_secs = 10\n"
      + "rate_limit_default_secs = 30\nrate_limit_max_secs = 600\n";
  private static final String TOML = BREAKER + provider("a", "\"m\"") + provider("b", "\"m\"") + provider("c", "\"m\"")
      + "[virtual_models]\n"
      + "chain = [ { provider = \"a\", model = \"a1\" }, { provider = \"b\", model = \"b1\" },"
      + " { provider = \"c\", model = \"c1\" } ]\n";

  private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
  private RouteTable table;
  private RouteSelector selector;

  @BeforeEach
  void setUp() {
    table = RouteTable.build(config(TOML));
    selector = new RouteSelector(table, now::get, () -> 1.0);
  }

  private static void setOffline(RouteSelector s, String provider, boolean offline) {
    assertTrue(s.setOffline(provider, offline), provider);
  }

  private static void assertTarget(RouteAnswer a, int index, String provider, String model) {
    assertEquals(Refusal.NONE, a.refusal(), a.toString());
    assertEquals(index, a.index());
    assertNotNull(a.target());
    assertEquals(provider, a.target().providerName());
    assertEquals(model, a.target().upstreamModel());
    assertSame(a.plan().targets().get(index), a.target());
    assertEquals(0, a.retryAfterSecs());
  }

  @Test
  void firstQueryResolvesAndReturnsTheFirstTarget() {
    RouteAnswer a = selector.answer(RouteQuery.first("chain"));
    assertTarget(a, 0, "a", "a1");
    assertEquals("chain", a.plan().requestedModel());
    assertEquals(0, a.rateLimitedSkips());
    assertEquals(0, a.unhealthySkips());
  }

  @Test
  void unknownModelIsModelNotFound() {
    RouteAnswer a = selector.answer(RouteQuery.first("nope"));
    assertEquals(Refusal.MODEL_NOT_FOUND, a.refusal());
    assertNull(a.plan());
    assertNull(a.target());
    assertEquals(-1, a.index());
  }

  @Test
  void laterQueriesWalkOnFromTheirIndex() {
    RoutePlan plan = selector.answer(RouteQuery.first("chain")).plan();
    assertTarget(selector.answer(RouteQuery.next(plan, 1)), 1, "b", "b1");
    assertTarget(selector.answer(RouteQuery.next(plan, 2)), 2, "c", "c1");
    assertSame(plan, selector.answer(RouteQuery.next(plan, 2)).plan());
  }

  @Test
  void pastTheEndIsNoneUsableWithZeroCounts() {
    RoutePlan plan = selector.answer(RouteQuery.first("chain")).plan();
    for (int from : new int[] {3, 4, 100}) {
      RouteAnswer a = selector.answer(RouteQuery.next(plan, from));
      assertEquals(Refusal.NONE_USABLE, a.refusal());
      assertNull(a.target());
      assertEquals(-1, a.index());
      assertSame(plan, a.plan());
      assertEquals(0, a.rateLimitedSkips());
      assertEquals(0, a.unhealthySkips());
      assertEquals(0, a.retryAfterSecs());
    }
  }

  @Test
  void unavailableTargetsAreSkippedAndCounted() {
    setOffline(selector, "a", true);
    RouteAnswer a = selector.answer(RouteQuery.first("chain"));
    assertTarget(a, 1, "b", "b1");
    assertEquals(1, a.unhealthySkips());
    assertEquals(0, a.rateLimitedSkips());

    setOffline(selector, "b", true);
    RouteAnswer b = selector.answer(RouteQuery.first("chain"));
    assertTarget(b, 2, "c", "c1");
    assertEquals(2, b.unhealthySkips());

    // skips before fromIndex are not counted
    RouteAnswer c = selector.answer(RouteQuery.next(b.plan(), 2));
    assertTarget(c, 2, "c", "c1");
    assertEquals(0, c.unhealthySkips());
  }

  @Test
  void everyRemainingTargetUnavailableIsNoneUsableWithCounts() {
    setOffline(selector, "a", true);
    setOffline(selector, "b", true);
    setOffline(selector, "c", true);
    RouteAnswer all = selector.answer(RouteQuery.first("chain"));
    assertEquals(Refusal.NONE_USABLE, all.refusal());
    assertEquals(3, all.unhealthySkips());
    assertEquals(0, all.rateLimitedSkips());
    assertEquals(0, all.retryAfterSecs());
    assertNotNull(all.plan());

    RouteAnswer tail = selector.answer(RouteQuery.next(all.plan(), 1));
    assertEquals(Refusal.NONE_USABLE, tail.refusal());
    assertEquals(2, tail.unhealthySkips());
    assertFalse(selector.anyUsable());

    setOffline(selector, "b", false);
    assertTarget(selector.answer(RouteQuery.first("chain")), 1, "b", "b1");
    assertTrue(selector.anyUsable());
  }

  @Test
  void aQueryWithAPlanDoesNotReResolveAfterASwap() {
    RoutePlan plan = selector.answer(RouteQuery.first("chain")).plan();
    // New snapshot: "chain" now has a single, different target, and provider c is gone.
    RouteTable newer = RouteTable.build(config(provider("a", "\"m\"") + provider("z", "\"m\"")
        + "[virtual_models]\nchain = [ { provider = \"z\", model = \"z1\" } ]\n"));
    selector.swap(newer);
    assertSame(newer, selector.table());

    // The running request keeps walking its own plan...
    RouteAnswer next = selector.answer(RouteQuery.next(plan, 1));
    assertSame(plan, next.plan());
    assertTarget(next, 1, "b", "b1");
    assertTarget(selector.answer(RouteQuery.next(plan, 2)), 2, "c", "c1");
    assertEquals(Refusal.NONE_USABLE, selector.answer(RouteQuery.next(plan, 3)).refusal());

    // ...while a new request resolves against the new snapshot.
    RouteAnswer fresh = selector.answer(RouteQuery.first("chain"));
    assertTarget(fresh, 0, "z", "z1");
    assertSame(newer.config(), fresh.plan().config());
  }

  @Test
  void aPlanSurvivesItsModelDisappearing() {
    RoutePlan plan = selector.answer(RouteQuery.first("chain")).plan();
    selector.swap(RouteTable.build(config(provider("only", "\"other\""))));
    assertEquals(Refusal.MODEL_NOT_FOUND, selector.answer(RouteQuery.first("chain")).refusal());
    assertTarget(selector.answer(RouteQuery.next(plan, 0)), 0, "a", "a1");
  }

  @Test
  void healthSurvivesASwapForProvidersThatKeepTheirName() {
    setOffline(selector, "a", true);
    selector.swap(RouteTable.build(config(TOML)));
    RouteAnswer a = selector.answer(RouteQuery.first("chain"));
    assertTarget(a, 1, "b", "b1");
    assertEquals(1, a.unhealthySkips());
  }

  @Test
  void outcomesOfARemovedProviderDoNotReachTheOneReAddedUnderItsName() {
    String threshold1 = TOML.replace("failure_threshold = 2", "failure_threshold = 1");
    selector.swap(RouteTable.build(config(threshold1)));
    RouteAnswer old = selector.answer(RouteQuery.first("chain"));
    assertTarget(old, 0, "a", "a1");
    selector.swap(RouteTable.build(config(BREAKER + provider("b", "\"m\"") + "[virtual_models]\n"
        + "chain = [ { provider = \"b\", model = \"b1\" } ]\n")));
    selector.swap(RouteTable.build(config(threshold1)));  // a is back, fresh
    selector.record(new AttemptOutcome("a", AttemptOutcome.Kind.FAILURE, -1, old.healthId()));
    assertTarget(selector.answer(RouteQuery.first("chain")), 0, "a", "a1");
    assertEquals(0, selector.snapshot("a").failures(), "the old a's failure is not the new a's");
    assertEquals(1, selector.snapshot("a").inFlight(), "only the attempt the new a offered");
  }

  @Test
  void anOutcomeReachesTheHealthThatOfferedItAcrossAReloadThatKeepsTheName() {
    String threshold1 = TOML.replace("failure_threshold = 2", "failure_threshold = 1");
    RouteAnswer before = selector.answer(RouteQuery.first("chain"));
    selector.swap(RouteTable.build(config(threshold1)));
    selector.record(new AttemptOutcome("a", AttemptOutcome.Kind.FAILURE, -1, before.healthId()));
    assertEquals(1, selector.snapshot("a").failures());
    assertTarget(selector.answer(RouteQuery.first("chain")), 1, "b", "b1");
  }

  @Test
  void servedModelAndProviderSlashModelAreWalkedToo() {
    RouteAnswer served = selector.answer(RouteQuery.first("m"));
    assertTarget(served, 0, "a", "m");
    assertTarget(selector.answer(RouteQuery.next(served.plan(), 1)), 1, "b", "m");

    RouteAnswer direct = selector.answer(RouteQuery.first("c/custom"));
    assertTarget(direct, 0, "c", "custom");
    assertEquals(Refusal.NONE_USABLE, selector.answer(RouteQuery.next(direct.plan(), 1)).refusal());

    setOffline(selector, "c", true);
    RouteAnswer off = selector.answer(RouteQuery.first("c/custom"));
    assertEquals(Refusal.NONE_USABLE, off.refusal());
    assertEquals(1, off.unhealthySkips());
  }

  @Test
  void neutralAndSuccessOutcomesDoNotMakeAProviderUnavailable() {
    selector.record(new AttemptOutcome("a", AttemptOutcome.Kind.SUCCESS, -1));
    selector.record(new AttemptOutcome("a", AttemptOutcome.Kind.NEUTRAL, -1));
    selector.record(new AttemptOutcome("unknown-provider", AttemptOutcome.Kind.NEUTRAL, -1));
    assertTarget(selector.answer(RouteQuery.first("chain")), 0, "a", "a1");
    assertTrue(selector.anyUsable());
  }

  private void rateLimit(String provider, long retryAfterMs) {
    selector.record(new AttemptOutcome(provider, AttemptOutcome.Kind.RATE_LIMITED, retryAfterMs));
  }

  private void fail(String provider) {
    selector.record(new AttemptOutcome(provider, AttemptOutcome.Kind.FAILURE, -1));
  }

  @Test
  void rateLimitedTargetsAreSkippedAndCounted() {
    rateLimit("a", 2_500);
    RouteAnswer a = selector.answer(RouteQuery.first("chain"));
    assertTarget(a, 1, "b", "b1");
    assertEquals(1, a.rateLimitedSkips());
    assertEquals(0, a.unhealthySkips());

    now.addAndGet(2_500); // the cooldown is over
    assertTarget(selector.answer(RouteQuery.first("chain")), 0, "a", "a1");
  }

  @Test
  void allRateLimitedGivesTheSoonestRetryAfterRoundedUp() {
    rateLimit("a", 40_000);
    rateLimit("b", 2_500);
    rateLimit("c", 10_000);
    RouteAnswer all = selector.answer(RouteQuery.first("chain"));
    assertEquals(Refusal.NONE_USABLE, all.refusal());
    assertEquals(3, all.rateLimitedSkips());
    assertEquals(0, all.unhealthySkips());
    assertEquals(3, all.retryAfterSecs(), "2.5 s rounds up to 3");

    // only the targets walked count: from index 2 only c's 10 s
    RouteAnswer tail = selector.answer(RouteQuery.next(all.plan(), 2));
    assertEquals(1, tail.rateLimitedSkips());
    assertEquals(10, tail.retryAfterSecs());
    assertFalse(selector.anyUsable());
  }

  @Test
  void retryAfterIsAtLeastOneSecond() {
    rateLimit("a", 100);
    rateLimit("b", 100);
    rateLimit("c", 100);
    RouteAnswer all = selector.answer(RouteQuery.first("chain"));
    assertEquals(Refusal.NONE_USABLE, all.refusal());
    assertEquals(1, all.retryAfterSecs());
  }

  @Test
  void rateLimitWithoutRetryAfterUsesTheDefaultCooldown() {
    rateLimit("a", -1);
    rateLimit("b", -1);
    rateLimit("c", -1);
    RouteAnswer all = selector.answer(RouteQuery.first("chain"));
    assertEquals(30, all.retryAfterSecs()); // rate_limit_default_secs
  }

  @Test
  void anOpenCircuitIsSkippedAsUnhealthy() {
    fail("a");
    assertTarget(selector.answer(RouteQuery.first("chain")), 0, "a", "a1"); // below the threshold
    fail("a");
    RouteAnswer a = selector.answer(RouteQuery.first("chain"));
    assertTarget(a, 1, "b", "b1");
    assertEquals(1, a.unhealthySkips());
    assertEquals(0, a.rateLimitedSkips());
  }

  @Test
  void mixedSkipsAreCountedSeparately() {
    setOffline(selector, "a", true);
    rateLimit("b", 4_000);
    fail("c");
    fail("c");
    RouteAnswer all = selector.answer(RouteQuery.first("chain"));
    assertEquals(Refusal.NONE_USABLE, all.refusal());
    assertEquals(1, all.rateLimitedSkips());
    assertEquals(2, all.unhealthySkips());
    assertEquals(4, all.retryAfterSecs());
  }

  @Test
  void operatorSwitchesNameOnlyConfiguredProviders() {
    assertFalse(selector.setOffline("nope", true));
    assertFalse(selector.reset("nope"));
    assertTrue(selector.reset("a"));
  }
}
