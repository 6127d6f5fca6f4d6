package io.oxllm.routing;

import static io.oxllm.routing.RoutingFixtures.config;
import static io.oxllm.routing.RoutingFixtures.provider;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.routing.AttemptOutcome.Kind;
import io.oxllm.routing.RouteAnswer.Refusal;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The breaker as the walk sees it: open, half-open and rate-limited providers are skipped. */
class RouteSelectorBreakerTest {
  private static final String BREAKER = """
      [breaker]
      failure_threshold = 2
      open_base_secs = 10
      open_max_secs = 40
      idle_decay_secs = 3000
      rate_limit_default_secs = 30
      rate_limit_max_secs = 600
      """;
  private static final String CHAIN = """
      [virtual_models]
      chain = [ { provider = "a", model = "a1" }, { provider = "b", model = "b1" },
                { provider = "c", model = "c1" } ]
      """;
  private static final String TOML = BREAKER + provider("a", "\"m\"") + provider("b", "\"m\"")
      + provider("c", "\"m\"") + "timeouts = { total_ms = 1000 }\n" + CHAIN;

  private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
  private RouteSelector selector;

  @BeforeEach
  void setUp() {
    selector = new RouteSelector(RouteTable.build(config(TOML)), now::get, () -> 1.0);
  }

  @Test
  void aProviderOpenedByFailuresIsSkippedForTheNextInTheChain() {
    fail("a", 2);
    RouteAnswer ans = first();
    assertEquals("b", ans.target().providerName());
    assertEquals(1, ans.index());
    assertEquals(1, ans.unhealthySkips());
    assertEquals(ProviderHealth.State.OPEN, selector.snapshot("a").state());
  }

  @Test
  void allTargetsOpenIsNoneUsable() {
    fail("a", 2);
    fail("b", 2);
    fail("c", 2);
    RouteAnswer ans = first();
    assertEquals(Refusal.NONE_USABLE, ans.refusal());
    assertEquals(3, ans.unhealthySkips());
    assertEquals(0, ans.rateLimitedSkips());
    assertEquals(10, ans.retryAfterSecs(), "the soonest half-opens in open_base_secs");
    assertFalse(selector.anyUsable());
  }

  @Test
  void noneUsableSaysWhenTheSoonestSkippedTargetIsBack() {
    fail("a", 2);
    now.addAndGet(4_500);
    fail("b", 2);
    limit("c", 30_000);
    RouteAnswer ans = first();
    assertEquals(Refusal.NONE_USABLE, ans.refusal());
    assertEquals(6, ans.retryAfterSecs(), "a half-opens in 5.5 s, rounded up");
    assertTrue(selector.setOffline("a", true));
    assertEquals(10, first().retryAfterSecs(), "an offline target has no known return; b half-opens in 10 s");
    assertTrue(selector.setOffline("b", true));
    assertEquals(30, first().retryAfterSecs(), "c cools down for 30 s");
    assertTrue(selector.setOffline("c", true));
    assertEquals(0, first().retryAfterSecs(), "all offline: nobody can say");
  }

  @Test
  void allRateLimitedAnswersTheSoonestInWholeSecondsRoundedUp() {
    limit("a", 5_000);
    limit("b", 2_500);
    limit("c", -1); // default 30 s
    RouteAnswer ans = first();
    assertEquals(Refusal.NONE_USABLE, ans.refusal());
    assertEquals(3, ans.rateLimitedSkips());
    assertEquals(0, ans.unhealthySkips());
    assertEquals(3, ans.retryAfterSecs());
    now.addAndGet(2_500);
    assertEquals("b", first().target().providerName());
  }

  @Test
  void halfOpenHandsOutOneProbeAndItsSuccessCloses() {
    fail("a", 2);
    now.addAndGet(10_000);
    assertEquals("a", first().target().providerName(), "the probe");
    RouteAnswer other = first();
    assertEquals("b", other.target().providerName(), "others skip a while the probe is out");
    assertEquals(1, other.unhealthySkips());
    selector.record(new AttemptOutcome("a", Kind.SUCCESS, -1));
    assertEquals(ProviderHealth.State.CLOSED, selector.snapshot("a").state());
    assertEquals("a", first().target().providerName());
  }

  @Test
  void theProbeLeaseIsTheProvidersTotalTimeoutPlusFiveSeconds() {
    fail("a", 2);
    fail("b", 2);
    fail("c", 2);
    now.addAndGet(10_000);
    for (String p : List.of("a", "b", "c")) {
      assertEquals(p, first().target().providerName(), "probe of " + p);
    }
    assertEquals(Refusal.NONE_USABLE, first().refusal());
    now.addAndGet(6_000); // c: total_ms 1000 + 5000; a and b still within 600 000 + 5000
    RouteAnswer ans = first();
    assertEquals("c", ans.target().providerName());
    assertEquals(2, ans.unhealthySkips());
  }

  @Test
  void answeringCountsInFlightAndOutcomesReleaseIt() {
    first();
    first();
    assertEquals(2, selector.snapshot("a").inFlight());
    assertEquals(now.get(), selector.snapshot("a").lastRequestAtMs());
    selector.record(new AttemptOutcome("a", Kind.SUCCESS, -1));
    ProviderHealth.Snapshot s = selector.snapshot("a");
    assertEquals(1, s.inFlight());
    assertEquals(1, s.requests(), "counted as it ends");
    assertEquals(1, s.successes());
  }

  @Test
  void swapKeepsStateByNameAppliesTheNewBreakerAndDropsRemovedProviders() {
    fail("a", 2);
    fail("c", 1);
    String next = BREAKER.replace("open_base_secs = 10", "open_base_secs = 5")
        + provider("c", "\"m\"") + provider("a", "\"m\"") + provider("d", "\"m\"");
    selector.swap(RouteTable.build(config(next)));
    assertEquals(List.of("c", "a", "d"), List.copyOf(selector.snapshots().keySet()));
    assertEquals(ProviderHealth.State.OPEN, selector.snapshot("a").state());
    assertEquals(1, selector.snapshot("c").consecutiveFailures());
    assertNull(selector.snapshot("b"));
    now.addAndGet(10_000);
    assertEquals("a", selector.answer(RouteQuery.first("a/x")).target().providerName());
    selector.record(new AttemptOutcome("a", Kind.FAILURE, -1));
    assertEquals(now.get() + 10_000, selector.snapshot("a").openUntilMs(), "new base 5 s doubled");
  }

  @Test
  void operatorSwitches() {
    assertTrue(selector.setOffline("a", true));
    assertEquals("b", first().target().providerName());
    fail("b", 2);
    limit("c", -1);
    assertTrue(selector.reset("b"));
    assertEquals("b", first().target().providerName());
    assertTrue(selector.setOffline("a", false));
    assertTrue(selector.reset("c"));
    assertEquals(0, selector.snapshot("c").rateLimitedUntilMs());
    assertEquals("a", first().target().providerName());
    assertFalse(selector.setOffline("nope", true));
    assertFalse(selector.reset("nope"));
    assertNull(selector.snapshot("nope"));
  }

  private RouteAnswer first() {
    return selector.answer(RouteQuery.first("chain"));
  }

  private void fail(String provider, int times) {
    for (int i = 0; i < times; i++) {
      selector.record(new AttemptOutcome(provider, Kind.FAILURE, -1));
    }
  }

  private void limit(String provider, long retryAfterMs) {
    selector.record(new AttemptOutcome(provider, Kind.RATE_LIMITED, retryAfterMs));
  }
}
