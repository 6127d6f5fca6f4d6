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
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The circuit breaker of SPEC section 4 end to end, with real upstreams: it opens after
 * failure_threshold consecutive failures and the provider is then left alone; after the open
 * period exactly one request probes; a failed probe reopens for twice as long; a probe whose client
 * left is released at once; 4xx answers never count; nothing usable is 503 no_healthy_provider.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class BreakerFlowTest {
  private static final Behaviour FAIL_503 = Behaviour.error(503, "server_error", "overloaded");

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

  /** A → B with the given [breaker] settings. */
  private Future<Integer> gateway(String breaker) {
    String toml = "[breaker]\n" + breaker + "\n" + ChainToml.provider("A", a, "") + ChainToml.provider("B", b, "")
        + ChainToml.chain("chain", "A", "B");
    return GatewayHarness.start(vertx, toml).map(gw -> gw.port());
  }

  private Future<Response> chat(int port) {
    return FlowSupport.chat(client, port, "chain");
  }

  private Future<JsonObject> providerA(int port) {
    return FlowSupport.provider(client, port, "A");
  }

  /** Two 503s trip A (threshold 2); both requests are answered by B on their second attempt. */
  private Future<List<Response>> trip(int port) {
    return FlowSupport.sequential(2, () -> chat(port)).map(rs -> {
      for (Response r : rs) {
        assertAnsweredBy(r, "B", 2);
      }
      return rs;
    });
  }

  private Future<JsonObject> halfOpen(int port) {
    return FlowSupport.providerWhen(vertx, client, port, "A", 5_000, p -> "half_open".equals(p.getString("state")));
  }

  private static void assertAnsweredBy(Response r, String provider, int attempts) {
    assertEquals(200, r.status(), r::bodyAsString);
    assertEquals(provider, r.header("x-oxllm-provider"), "x-oxllm-provider");
    assertEquals(Integer.toString(attempts), r.header("x-oxllm-attempts"), "x-oxllm-attempts");
  }

  @Test
  void opensAfterThresholdAndThenLeavesTheProviderAlone(VertxTestContext ctx) {
    a.respond(FAIL_503);
    long[] t = new long[1];
    Future<JsonObject> flow = gateway("failure_threshold = 2\nopen_base_secs = 60").compose(port -> trip(port)
        .compose(rs -> {
          t[0] = System.currentTimeMillis();
          return providerA(port);
        })
        .compose(st -> {
          ctx.verify(() -> {
            assertEquals("open", st.getString("state"), st::encode);
            assertEquals(2, st.getInteger("consecutive_failures"));
            assertNotNull(st.getString("open_until"), "open_until while open");
            long ahead = epochMs(st, "open_until") - t[0];
            assertTrue(ahead > 50_000 && ahead <= 66_000, "open for ~60 s, got " + ahead + " ms");
          });
          return FlowSupport.sequential(5, () -> chat(port));
        })
        .compose(rs -> {
          ctx.verify(() -> rs.forEach(r -> assertAnsweredBy(r, "B", 1)));
          return providerA(port);
        }));
    verify(ctx, flow, st -> {
      assertEquals(2, a.requestCount(), "A is not contacted while open");
      assertEquals(7, b.requestCount());
      assertEquals("open", st.getString("state"));
      assertEquals(2, st.getLong("failures"));
    });
  }

  @Test
  void exactlyOneProbeAmongTenConcurrentRequests(VertxTestContext ctx) {
    // the probe is held at A until the other 9 requests have reached B (at most 5 s), then answers 200
    a.enqueue(FAIL_503, FAIL_503)
        .respond(FlowSupport.holdUntil(() -> b.awaitRequests(2 + 9), 5_000, Behaviour.chat("ok")));
    List<Response> burst = new ArrayList<>();
    int[] port = new int[1];
    Future<Response> flow = gateway("failure_threshold = 2\nopen_base_secs = 1").compose(p -> {
      port[0] = p;
      return trip(p);
    }).compose(rs -> halfOpen(port[0])).compose(st -> {
      List<Future<Response>> all = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        all.add(chat(port[0]));
      }
      return Future.all(all).map(cf -> {
        all.forEach(f -> burst.add(f.result()));
        return null;
      });
    }).compose(v -> {
      ctx.verify(() -> {
        long viaA = burst.stream().filter(r -> "A".equals(r.header("x-oxllm-provider"))).count();
        assertEquals(1, viaA, "exactly one probe reached A");
        burst.forEach(r -> assertAnsweredBy(r, r.header("x-oxllm-provider"), 1));
        assertEquals(3, a.requestCount(), "2 failures + 1 probe");
        assertEquals(2 + 9, b.requestCount(), "the other 9 went to B");
      });
      return FlowSupport.providerWhen(vertx, client, port[0], "A", 3_000, p -> "closed".equals(p.getString("state")));
    }).compose(st -> {
      ctx.verify(() -> assertEquals(0, st.getInteger("consecutive_failures")));
      return chat(port[0]);
    });
    verify(ctx, flow, r -> {
      assertAnsweredBy(r, "A", 1);
      assertEquals(4, a.requestCount());
    });
  }

  @Test
  void failedProbeReopensForTwiceAsLong(VertxTestContext ctx) {
    a.respond(FAIL_503);
    long[] t = new long[4];
    long[] firstUntil = new long[1];
    int[] port = new int[1];
    Future<JsonObject> flow = gateway("failure_threshold = 2\nopen_base_secs = 1\nopen_max_secs = 60").compose(p -> {
      port[0] = p;
      return chat(p);
    }).compose(r -> {
      t[0] = System.currentTimeMillis();
      return chat(port[0]);
    }).compose(r -> {
      t[1] = System.currentTimeMillis();
      return providerA(port[0]);
    }).compose(st -> {
      ctx.verify(() -> {
        assertEquals("open", st.getString("state"));
        firstUntil[0] = epochMs(st, "open_until");
        // 1 s ± 10 % from the moment the second failure was recorded (between t0 and t1)
        assertTrue(firstUntil[0] >= t[0] + 900 && firstUntil[0] <= t[1] + 1100,
            "first open period ~1 s: " + (firstUntil[0] - t[0]) + " ms after t0");
      });
      return halfOpen(port[0]);
    }).compose(st -> {
      t[2] = System.currentTimeMillis();
      return chat(port[0]);
    }).compose(r -> {
      t[3] = System.currentTimeMillis();
      ctx.verify(() -> {
        assertAnsweredBy(r, "B", 2); // the probe went to A, failed, and B answered
        assertEquals(3, a.requestCount());
      });
      return providerA(port[0]);
    }).compose(st -> {
      ctx.verify(() -> {
        assertEquals("open", st.getString("state"), st::encode);
        assertEquals(3, st.getInteger("consecutive_failures"));
        long until = epochMs(st, "open_until");
        // 2 s ± 10 %: the period doubled
        assertTrue(until >= t[2] + 1800 && until <= t[3] + 2200,
            "second open period ~2 s: " + (until - t[2]) + " ms after the probe was sent");
        assertTrue(until - t[3] > firstUntil[0] - t[0], "the second open period is longer than the first");
      });
      return chat(port[0]).compose(r -> {
        ctx.verify(() -> assertAnsweredBy(r, "B", 1));
        return providerA(port[0]);
      });
    });
    verify(ctx, flow, st -> {
      assertEquals(3, a.requestCount(), "reopened: A not contacted");
      assertEquals("open", st.getString("state"));
    });
  }

  @Test
  void probeWhoseClientLeftDoesNotWedgeTheProvider(VertxTestContext ctx) {
    a.enqueue(FAIL_503, FAIL_503).respond(Behaviour.hang());
    int[] port = new int[1];
    Future<Response> flow = gateway("failure_threshold = 2\nopen_base_secs = 1").compose(p -> {
      port[0] = p;
      return trip(p);
    }).compose(rs -> halfOpen(port[0])).compose(st -> {
      // the probe: sent, seen by A (which hangs), then the client resets it
      RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST).setPort(port[0]).setHost("127.0.0.1")
          .setURI(FlowSupport.CHAT).putHeader("content-type", "application/json");
      return client.request(opts).compose(req -> {
        req.send(Buffer.buffer(FlowSupport.chatBody("chain")));
        return a.awaitRequests(3).compose(seen -> req.reset());
      });
    }).compose(v -> a.awaitClientCloses(1)) // the gateway abandoned the upstream attempt
        .compose(v -> FlowSupport.providerWhen(vertx, client, port[0], "A", 3_000,
            p -> p.getLong("in_flight") == 0))
        .compose(st -> {
          ctx.verify(() -> {
            assertEquals("half_open", st.getString("state"),
                "a probe whose client left is neither success nor failure");
            assertEquals(2, st.getInteger("consecutive_failures"));
          });
          a.respond(Behaviour.chat("back"));
          return chat(port[0]);
        });
    verify(ctx, flow, r -> {
      assertAnsweredBy(r, "A", 1); // the next request probed A at once, no lease wait
      assertEquals(4, a.requestCount());
      assertEquals(2, b.requestCount());
    });
  }

  @Test
  void clientErrorsNeverCountAgainstTheProvider(VertxTestContext ctx) {
    a.respond(Behaviour.error(400, "invalid_request_error", "bad field"));
    int[] port = new int[1];
    Future<JsonObject> flow = gateway("failure_threshold = 2").compose(p -> {
      port[0] = p;
      return FlowSupport.sequential(6, () -> chat(p));
    }).compose(rs -> {
      ctx.verify(() -> rs.forEach(r -> {
        assertEquals(400, r.status(), r::bodyAsString);
        assertEquals("A", r.header("x-oxllm-provider"));
        assertEquals("1", r.header("x-oxllm-attempts"));
        assertEquals("bad field", r.json().getJsonObject("error").getString("message"), "passed through");
      }));
      return providerA(port[0]);
    });
    verify(ctx, flow, st -> {
      assertEquals(6, a.requestCount());
      assertEquals(0, b.requestCount(), "a 4xx is not failed over");
      assertEquals("closed", st.getString("state"));
      assertEquals(0, st.getInteger("consecutive_failures"));
      assertEquals(0, st.getLong("failures"));
    });
  }

  @Test
  void offlineOnlyTargetIs503NoHealthyProvider(VertxTestContext ctx) {
    String toml = ChainToml.provider("A", a, "") + ChainToml.chain("solo", "A");
    Future<Response> flow = GatewayHarness.start(vertx, toml).map(gw -> gw.port()).compose(port ->
        FlowSupport.admin(client, port, "A", "offline").compose(r -> {
          ctx.verify(() -> assertEquals(200, r.status(), r::bodyAsString));
          return FlowSupport.chat(client, port, "solo");
        }).compose(r -> {
          ctx.verify(() -> {
            assertError(r, 503, "service_unavailable", "no_healthy_provider");
            assertEquals(null, r.header("retry-after"), "an offline provider has no known return");
            assertEquals(0, a.requestCount());
          });
          return FlowSupport.admin(client, port, "A", "online");
        }).compose(r -> FlowSupport.chat(client, port, "solo")));
    verify(ctx, flow, r -> {
      assertAnsweredBy(r, "A", 1);
      assertEquals(1, a.requestCount());
    });
  }

  @Test
  void openOnlyTargetIs503NoHealthyProviderWithoutContact(VertxTestContext ctx) {
    a.respond(FAIL_503);
    String toml = "[breaker]\nfailure_threshold = 1\nopen_base_secs = 60\n" + ChainToml.provider("A", a, "")
        + ChainToml.chain("solo", "A");
    Future<Response> flow = GatewayHarness.start(vertx, toml).map(gw -> gw.port()).compose(port ->
        FlowSupport.chat(client, port, "solo").compose(r -> {
          ctx.verify(() -> assertError(r, 502, "upstream_error", "all_providers_failed"));
          return FlowSupport.chat(client, port, "solo");
        }));
    verify(ctx, flow, r -> {
      assertError(r, 503, "service_unavailable", "no_healthy_provider");
      assertEquals(1, a.requestCount(), "an open circuit is not contacted");
      // when it half-opens: 60 s times the jitter in [0.9, 1.1], less the moments gone since
      long retryAfter = Long.parseLong(r.header("retry-after"));
      assertTrue(retryAfter >= 53 && retryAfter <= 66, "Retry-After " + retryAfter);
    });
  }
}
