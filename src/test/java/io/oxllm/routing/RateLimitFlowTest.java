package io.oxllm.routing;

import static io.oxllm.testing.ApiChecks.assertError;
import static io.oxllm.testing.ApiChecks.verify;
import static io.oxllm.testing.FlowSupport.epochMs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.FlowSupport;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 429 handling of SPEC section 4, end to end: the cooldown follows Retry-After (else
 * rate_limit_default_secs, capped by rate_limit_max_secs), a cooling provider is not contacted, a
 * chain of only rate-limited providers answers 429 with the soonest Retry-After without contacting
 * anyone again, and a 429 never opens the circuit.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class RateLimitFlowTest {
  private Vertx vertx;
  private HttpClient client;
  private TestUpstream a;
  private TestUpstream b;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    this.client = FlowSupport.client(vertx, 16);
    Future.all(TestUpstream.start(vertx), TestUpstream.start(vertx)).onComplete(ctx.succeeding(all -> {
      a = all.resultAt(0);
      b = all.resultAt(1);
      ctx.completeNow();
    }));
  }

  private static Behaviour tooMany(String retryAfter) {
    return retryAfter == null ? Behaviour.error(429, "rate_limit_error", "slow down")
        : Behaviour.error(429, "rate_limit_error", "slow down", Map.of("Retry-After", retryAfter));
  }

  /** A → B with the given [breaker] settings. */
  private Future<Integer> gateway(String breaker) {
    String toml = "[breaker]\n" + breaker + "\n" + ChainToml.provider("A", a, "") + ChainToml.provider("B", b, "")
        + ChainToml.chain("chain", "A", "B");
    return GatewayHarness.start(vertx, toml).map(gw -> gw.port());
  }

  private Future<Response> chat(int port) {
    return FlowSupport.chat(client, port, "chain");
  }

  private static void assertAnsweredBy(Response r, String provider, int attempts) {
    assertEquals(200, r.status(), r::bodyAsString);
    assertEquals(provider, r.header("x-oxllm-provider"), "x-oxllm-provider");
    assertEquals(Integer.toString(attempts), r.header("x-oxllm-attempts"), "x-oxllm-attempts");
  }

  @Test
  void retryAfterIsHonouredThenTheProviderIsContactedAgain(VertxTestContext ctx) {
    a.enqueue(tooMany("2")).respond(Behaviour.chat("from A"));
    long[] t = new long[3];
    int[] port = new int[1];
    List<Response> meanwhile = new ArrayList<>();
    Future<Response> flow = gateway("").compose(p -> {
      port[0] = p;
      t[0] = System.currentTimeMillis();
      return chat(p);
    }).compose(r -> {
      t[1] = System.currentTimeMillis();
      ctx.verify(() -> assertAnsweredBy(r, "B", 2));
      return FlowSupport.provider(client, port[0], "A");
    }).compose(st -> {
      ctx.verify(() -> {
        long until = epochMs(st, "rate_limited_until");
        assertTrue(until >= t[0] + 2000 && until <= t[1] + 2000, "cooldown of Retry-After: 2 s, got "
            + (until - t[0]) + " ms after the request");
        assertEquals("closed", st.getString("state"));
      });
      // keep asking; every answer before the cooldown ends must come from B without touching A
      return FlowSupport.until(vertx, 5_000, 100, () -> chat(port[0]).map(r -> {
        if (!"A".equals(r.header("x-oxllm-provider"))) {
          meanwhile.add(r);
        }
        return r;
      }), r -> "A".equals(r.header("x-oxllm-provider")));
    });
    verify(ctx, flow, r -> {
      long at = System.currentTimeMillis();
      assertAnsweredBy(r, "A", 1);
      assertEquals(2, a.requestCount(), "one 429, then nothing until the cooldown ended");
      assertTrue(at - t[0] >= 2000, "A contacted again only after 2 s, got " + (at - t[0]) + " ms");
      assertTrue(at - t[1] < 3_500, "A contacted again soon after the cooldown, got " + (at - t[1]) + " ms");
      assertTrue(meanwhile.size() >= 5, "requests kept arriving during the cooldown: " + meanwhile.size());
      meanwhile.forEach(m -> assertAnsweredBy(m, "B", 1));
      assertEquals(1 + meanwhile.size(), b.requestCount());
    });
  }

  @Test
  void allRateLimitedIs429WithTheSoonestRetryAfterAndNoFurtherContact(VertxTestContext ctx) {
    a.respond(tooMany("5"));
    b.respond(tooMany("2"));
    int[] port = new int[1];
    Future<Response> flow = gateway("").compose(p -> {
      port[0] = p;
      return chat(p);
    }).compose(r -> {
      ctx.verify(() -> {
        assertError(r, 429, "rate_limit_error", "all_providers_rate_limited");
        assertEquals("2", r.header("retry-after"), "the soonest of 5 and 2");
        assertEquals("2", r.header("x-oxllm-attempts"));
        assertEquals(1, a.requestCount());
        assertEquals(1, b.requestCount());
      });
      return chat(port[0]);
    });
    verify(ctx, flow, r -> {
      assertError(r, 429, "rate_limit_error", "all_providers_rate_limited");
      String ra = r.header("retry-after");
      assertNotNull(ra, "Retry-After on the second 429");
      int secs = Integer.parseInt(ra);
      assertTrue(secs >= 1 && secs <= 2, "Retry-After of the soonest cooldown, got " + secs);
      assertEquals(1, a.requestCount(), "A cooling down: not contacted");
      assertEquals(1, b.requestCount(), "B cooling down: not contacted");
    });
  }

  @Test
  void tooManyWithoutRetryAfterCoolsDownForTheDefault(VertxTestContext ctx) {
    a.respond(tooMany(null));
    long[] t = new long[2];
    int[] port = new int[1];
    Future<JsonObject> flow = gateway("rate_limit_default_secs = 3").compose(p -> {
      port[0] = p;
      t[0] = System.currentTimeMillis();
      return chat(p);
    }).compose(r -> {
      t[1] = System.currentTimeMillis();
      ctx.verify(() -> assertAnsweredBy(r, "B", 2));
      return FlowSupport.provider(client, port[0], "A");
    }).compose(st -> {
      ctx.verify(() -> {
        long until = epochMs(st, "rate_limited_until");
        assertTrue(until >= t[0] + 3000 && until <= t[1] + 3000,
            "rate_limit_default_secs = 3: cooldown ends " + (until - t[0]) + " ms after the request");
        assertEquals("closed", st.getString("state"));
      });
      return chat(port[0]).compose(r -> {
        ctx.verify(() -> assertAnsweredBy(r, "B", 1));
        return FlowSupport.provider(client, port[0], "A");
      });
    });
    verify(ctx, flow, st -> {
      assertEquals(1, a.requestCount());
      assertEquals(0, st.getLong("failures"), "a 429 is not a failure");
    });
  }

  /**
   * One request to A → B, A answering its 429 (B answers): A's cooldown ends {@code ms} after the
   * request, give or take the request's own time.
   */
  private void assertCooldownOf(VertxTestContext ctx, String breaker, long ms, String what) {
    long[] t = new long[2];
    int[] port = new int[1];
    Future<JsonObject> flow = gateway(breaker).compose(p -> {
      port[0] = p;
      t[0] = System.currentTimeMillis();
      return chat(p);
    }).compose(r -> {
      t[1] = System.currentTimeMillis();
      ctx.verify(() -> assertAnsweredBy(r, "B", 2));
      return FlowSupport.provider(client, port[0], "A");
    });
    verify(ctx, flow, st -> {
      long until = epochMs(st, "rate_limited_until");
      assertTrue(until >= t[0] + ms && until <= t[1] + ms, what + ", got " + (until - t[0]) + " ms");
    });
  }

  @Test
  void retryAfterMsAloneIsTheCooldown(VertxTestContext ctx) {
    // some servers send only retry-after-ms; read as nothing, it was the 30 s default (an audit)
    a.respond(Behaviour.error(429, "rate_limit_error", "slow down", Map.of("retry-after-ms", "700")));
    assertCooldownOf(ctx, "", 700, "a cooldown of 700 ms");
  }

  @Test
  void retryAfterIsCappedByRateLimitMaxSecs(VertxTestContext ctx) {
    a.respond(tooMany("3600"));
    assertCooldownOf(ctx, "rate_limit_default_secs = 1\nrate_limit_max_secs = 2", 2000, "Retry-After: 3600 capped at 2 s");
  }

  @Test
  void tooManyNeverOpensTheCircuit(VertxTestContext ctx) {
    // Retry-After: 0 means no cooldown, so A is asked (and answers 429) on every request
    a.respond(tooMany("0"));
    int[] port = new int[1];
    Future<JsonObject> flow = gateway("failure_threshold = 2\nopen_base_secs = 60").compose(p -> {
      port[0] = p;
      return FlowSupport.sequential(6, () -> chat(p));
    }).compose(rs -> {
      ctx.verify(() -> rs.forEach(r -> assertAnsweredBy(r, "B", 2)));
      return FlowSupport.provider(client, port[0], "A");
    });
    verify(ctx, flow, st -> {
      assertEquals(6, a.requestCount(), "every request tried A first");
      assertEquals("closed", st.getString("state"), st::encode);
      assertEquals(0, st.getInteger("consecutive_failures"));
      assertEquals(0, st.getLong("failures"));
      assertEquals(null, st.getString("open_until"));
    });
  }
}
