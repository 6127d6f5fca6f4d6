package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.FlowSupport;
import io.oxllm.testing.FlowSupport.Timed;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
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
 * The four timeouts of SPEC section 2, non-streaming, each against a real slow upstream:
 * connect_ms (here: waiting for a pooled connection) and first_byte_ms fail over before anything
 * was sent to the client; total_ms and idle_ms strike after the headers went out, so the client's
 * response is cut (the connection closed, the chunked body never terminated). Every timed-out
 * attempt closes its upstream connection.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class TimeoutFlowTest {
  private static final String FULL_TAIL = "\"}";

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

  /**
   * A (with extra provider lines, e.g. max_connections or timeouts) → B. One warm-up request
   * straight to B (then forgotten) loads the proxy path, so the timings measured next are not
   * inflated by a cold JVM.
   */
  private Future<Integer> gateway(String aExtra) {
    String toml = ChainToml.provider("A", a, "") + aExtra + "\n" + ChainToml.provider("B", b, "")
        + ChainToml.chain("chain", "A", "B");
    return GatewayHarness.start(vertx, toml).map(gw -> gw.port())
        .compose(port -> FlowSupport.chat(client, port, "B/" + ChainToml.MODEL).map(r -> {
          assertEquals(200, r.status(), r::bodyAsString);
          b.reset();
          return port;
        }));
  }

  /**
   * 200 JSON, chunked: {@code {"x":"} with the headers, then one {@code "a"} piece every
   * {@code gapMs} for {@code pieces} pieces, then either the closing {@code "}} or nothing (stall).
   */
  private static Behaviour dribble(long gapMs, int pieces, boolean finish) {
    return ex -> {
      ex.response().setStatusCode(200).setChunked(true).putHeader("content-type", "application/json");
      List<Runnable> steps = new ArrayList<>();
      steps.add(() -> ex.response().write("{\"x\":\""));
      for (int i = 0; i < pieces; i++) {
        steps.add(() -> ex.response().write("a"));
      }
      if (finish) {
        steps.add(() -> ex.response().end(FULL_TAIL));
      }
      ex.steps(gapMs, steps);
    };
  }

  /** The cut after commit counts as one failure of A (polled: outcomes reach the breaker asynchronously). */
  private Future<io.vertx.core.json.JsonObject> failureCounted(int port) {
    return FlowSupport.providerWhen(vertx, client, port, "A", 3_000, st -> st.getLong("failures") == 1);
  }

  private static void assertAnsweredBy(Response r, String provider, int attempts) {
    assertEquals(200, r.status(), r::bodyAsString);
    assertEquals(provider, r.header("x-oxllm-provider"), "x-oxllm-provider");
    assertEquals(Integer.toString(attempts), r.header("x-oxllm-attempts"), "x-oxllm-attempts");
  }

  /** The response started (200 from A) and was then cut: no clean end, body incomplete. */
  private static void assertCut(Timed t) {
    assertEquals(200, t.status());
    assertEquals("A", t.header("x-oxllm-provider"));
    assertNotNull(t.failure(), () -> "the body must be cut, but it ended cleanly: " + t.body());
    String body = t.body().toString();
    assertTrue(body.startsWith("{\"x\":\""), () -> "what arrived before the cut: " + body);
    assertTrue(!body.endsWith(FULL_TAIL), () -> "the body must not be complete: " + body);
  }

  @Test
  void connectTimeoutCoversWaitingForAPooledConnection(VertxTestContext ctx) {
    a.respond(Behaviour.hang());
    int[] port = new int[1];
    long[] start = new long[1];
    Future<Response> flow = gateway("max_connections = 1\ntimeouts = { connect_ms = 500, first_byte_ms = 15000 }")
        .compose(p -> {
          port[0] = p;
          FlowSupport.chat(client, p, "chain"); // takes A's only connection and hangs there
          return a.awaitRequests(1);
        }).compose(first -> {
          start[0] = System.nanoTime();
          return FlowSupport.chat(client, port[0], "chain");
        });
    Future<Object[]> withStatus = flow.compose(r -> GatewayHarness.send(client, port[0], io.vertx.core.http.HttpMethod.GET,
        "/status", io.vertx.core.MultiMap.caseInsensitiveMultiMap(), null).map(s -> new Object[] {r, s}));
    verify(ctx, withStatus, both -> {
      Response r = (Response) both[0];
      long elapsed = (System.nanoTime() - start[0]) / 1_000_000;
      // one real attempt: the wait for A's pool sent nothing (so max_attempts does not count it either)
      assertAnsweredBy(r, "B", 1);
      assertTrue(elapsed >= 500 && elapsed < 1500, "failed over after connect_ms = 500, took " + elapsed + " ms");
      assertEquals(1, a.requestCount(), "the second request never got a connection to A");
      assertEquals(1, b.requestCount());
      // our own pool was full, A was never asked: no failure of A's (three would open its circuit)
      io.vertx.core.json.JsonObject providerA = ((Response) both[1]).json().getJsonArray("providers").getJsonObject(0);
      assertEquals("A", providerA.getString("name"));
      assertEquals(0, providerA.getLong("failures"), providerA::encode);
      assertEquals(0, providerA.getInteger("consecutive_failures"), providerA::encode);
      // the request that reached A still hangs there: in flight, and a request once it ends; the
      // one that waited for the pool is neither (requests only grow: a Prometheus counter)
      assertEquals(1, providerA.getLong("in_flight"), providerA::encode);
      assertEquals(0, providerA.getLong("requests"), "only the request that reached A, when it ends: " + providerA.encode());
    });
  }

  @Test
  void aHostThatNeverAnswersTheConnectIsTheProvidersConnectTimeoutNotAPoolWait(VertxTestContext ctx)
      throws java.io.IOException {
    // a listener whose accept queue is full and never drained: the kernel drops further SYNs, so a
    // connect to it hangs as one to a host that is down does. Vert.x's pool timer and the TCP
    // connect's timer both ran connect_ms, and the pool's fired first: "no pooled connection free"
    java.net.ServerSocket blackhole = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
    List<java.net.Socket> queued = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      java.net.Socket s = new java.net.Socket();
      try {
        s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), blackhole.getLocalPort()), 200);
      } catch (java.io.IOException full) {
        // the queue is full: this SYN was dropped, as the gateway's will be
      }
      queued.add(s);
    }
    b.respond(Behaviour.chat("from b"));
    String toml = "[[providers]]\nname = \"D\"\ntype = \"openai\"\nbase_url = \"http://127.0.0.1:"
        + blackhole.getLocalPort() + "/v1\"\nmodels = [\"" + ChainToml.MODEL + "\"]\ntimeouts = { connect_ms = 300 }\n"
        + ChainToml.provider("B", b, "") + ChainToml.chain("chain", "D", "B");
    int[] port = new int[1];
    Future<Response> flow = GatewayHarness.start(vertx, toml).map(gw -> gw.port())
        .compose(p -> FlowSupport.chat(client, port[0] = p, "chain"));
    Future<Object[]> withStatus = flow.compose(r -> FlowSupport.providerWhen(vertx, client, port[0], "D", 3_000,
        st -> st.getLong("failures") == 1).map(d -> new Object[] {r, d}));
    withStatus.onComplete(done -> {
      for (java.net.Socket s : queued) {
        try {
          s.close();
        } catch (java.io.IOException ignored) {
          // closing test sockets
        }
      }
      try {
        blackhole.close();
      } catch (java.io.IOException ignored) {
        // closing the test listener
      }
    });
    verify(ctx, withStatus, both -> {
      Response r = (Response) both[0];
      assertAnsweredBy(r, "B", 2); // the connect to D was a real attempt
      io.vertx.core.json.JsonObject d = (io.vertx.core.json.JsonObject) both[1];
      assertEquals(1, d.getLong("failures"), "a connect timeout counts against D: " + d.encode());
    });
  }

  @Test
  void theFirstByteDeadlineStartsWhenThePooledConnectionIsHad(VertxTestContext ctx) {
    // each answer takes 700 ms, so the second request waits ~700 ms for A's one connection, then
    // 700 ms for its answer: 1400 ms in all, but A was asked for only 700 of them. Counted from the
    // attempt's start, it was a first-byte timeout, a failure of A's that A never had.
    a.respond(Behaviour.delayHeaders(700, Behaviour.chat("slow but in time")));
    Future<List<Response>> flow = gateway("max_connections = 1\ntimeouts = { connect_ms = 2000, first_byte_ms = 1000 }")
        .compose(p -> Future.all(FlowSupport.chat(client, p, "chain"), FlowSupport.chat(client, p, "chain"))
            .map(all -> List.<Response>of(all.resultAt(0), all.resultAt(1)))
            .compose(rs -> FlowSupport.providerWhen(vertx, client, p, "A", 3_000, st -> st.getLong("in_flight") == 0)
                .map(st -> {
                  ctx.verify(() -> {
                    assertEquals(0, st.getLong("failures"), st::encode);
                    assertEquals(2, st.getLong("successes"), st::encode);
                  });
                  return rs;
                })));
    verify(ctx, flow, rs -> {
      for (Response r : rs) {
        assertAnsweredBy(r, "A", 1);
      }
      assertEquals(2, a.requestCount());
      assertEquals(0, b.requestCount(), "nothing failed over");
    });
  }

  @Test
  void aPoolWaitLongerThanFirstByteMsIsNoFirstByteTimeout(VertxTestContext ctx) {
    // the first request holds A's one connection for ~1200 ms (its headers at once, its body
    // dribbling); the second waits that long for it, longer than first_byte_ms, then is answered
    // in 100 ms. Only the pool wait is over first_byte_ms, and that wait is not A's.
    a.enqueue(dribble(100, 12, true));
    a.respond(Behaviour.delayHeaders(100, Behaviour.chat("quick")));
    int[] port = new int[1];
    Future<Response> first = gateway("max_connections = 1\ntimeouts = { connect_ms = 3000, first_byte_ms = 800 }")
        .compose(p -> {
          port[0] = p;
          Future<Response> f = FlowSupport.chat(client, p, "chain");
          return a.awaitRequests(1).map(r -> f);
        }).compose(f -> {
          Future<Response> second = FlowSupport.chat(client, port[0], "chain");
          return Future.all(f, second).map(all -> (Response) all.resultAt(1));
        });
    verify(ctx, first, second -> {
      assertAnsweredBy(second, "A", 1);
      assertTrue(second.bodyAsString().contains("quick"), second::bodyAsString);
      assertEquals(2, a.requestCount());
      assertEquals(0, b.requestCount(), "nothing failed over");
    });
  }

  @Test
  void aWalkThatFoundNoFreeConnectionAnywhereIs503NotAnUpstreamError(VertxTestContext ctx) {
    a.respond(Behaviour.hang());
    String toml = ChainToml.provider("A", a, "") + "max_connections = 1\ntimeouts = { connect_ms = 300 }\n"
        + ChainToml.chain("solo", "A");
    int[] port = new int[1];
    Future<Response> flow = GatewayHarness.start(vertx, toml).map(gw -> gw.port()).compose(p -> {
      port[0] = p;
      FlowSupport.chat(client, p, "solo"); // takes A's only connection and hangs there
      return a.awaitRequests(1);
    }).compose(first -> FlowSupport.chat(client, port[0], "solo"));
    verify(ctx, flow, r -> {
      assertEquals(503, r.status(), r::bodyAsString);
      io.vertx.core.json.JsonObject error = r.json().getJsonObject("error");
      assertEquals("connection_pool_exhausted", error.getString("code"), error::encode);
      assertEquals("service_unavailable", error.getString("type"));
      assertTrue(error.getString("message").contains("A: no pooled connection free within connect_ms"), error::encode);
      assertEquals("1", r.header("retry-after"));
      assertEquals(1, a.requestCount(), "the second request never reached A");
    });
  }

  @Test
  void firstByteTimeoutFailsOverAndClosesTheSlowConnection(VertxTestContext ctx) {
    a.respond(Behaviour.delayHeaders(5_000, Behaviour.chat("too late")));
    Future<Long> closed = a.awaitClientCloses(1);
    long[] start = new long[2];
    Future<Response> flow = gateway("timeouts = { first_byte_ms = 400 }").compose(p -> {
      start[0] = System.nanoTime();
      return FlowSupport.chat(client, p, "chain");
    }).compose(r -> {
      start[1] = System.nanoTime();
      return closed.map(c -> r);
    });
    verify(ctx, flow, r -> {
      long elapsed = (start[1] - start[0]) / 1_000_000;
      assertAnsweredBy(r, "B", 2);
      assertTrue(elapsed >= 400 && elapsed < 1400, "failed over after first_byte_ms = 400, took " + elapsed + " ms");
      long closedAfter = (closed.result() - a.received().get(0).arrivedNanos()) / 1_000_000;
      assertTrue(closedAfter < 1400, "the slow connection was closed at the timeout, " + closedAfter + " ms");
      assertEquals(1, a.requestCount());
      assertEquals(1, a.clientClosedCount());
    });
  }

  @Test
  void totalTimeoutCutsADribblingBody(VertxTestContext ctx) {
    a.respond(dribble(100, 50, true)); // ~5 s in all, data every 100 ms: never idle
    Future<Long> closed = a.awaitClientCloses(1);
    int[] port = new int[1];
    Future<Timed> flow = gateway("timeouts = { total_ms = 800, idle_ms = 5000 }").compose(p -> {
      port[0] = p;
      return FlowSupport.timed(client, p, FlowSupport.CHAT, FlowSupport.chatBody("chain"));
    }).compose(t -> closed.compose(c -> failureCounted(port[0])).map(st -> t));
    verify(ctx, flow, t -> {
      assertCut(t);
      assertTrue(t.headersAfterMs() < 500, "headers came at once: " + t.headersAfterMs() + " ms");
      assertTrue(t.endAfterMs() >= 800 && t.endAfterMs() < 1800,
          "cut at total_ms = 800, got " + t.endAfterMs() + " ms");
      assertTrue(t.body().length() > 6, "some of the body passed before the cut");
      assertEquals(0, b.requestCount(), "no failover once the headers are out");
      assertEquals(1, a.clientClosedCount(), "the upstream connection was closed");
    });
  }

  @Test
  void idleTimeoutCutsABodyThatStalls(VertxTestContext ctx) {
    // pieces at 0, 200, 400, 600 ms (within idle_ms), then silence
    a.respond(dribble(200, 3, false));
    Future<Long> closed = a.awaitClientCloses(1);
    int[] port = new int[1];
    Future<Timed> flow = gateway("timeouts = { idle_ms = 500, total_ms = 15000 }").compose(p -> {
      port[0] = p;
      return FlowSupport.timed(client, p, FlowSupport.CHAT, FlowSupport.chatBody("chain"));
    }).compose(t -> closed.compose(c -> failureCounted(port[0])).map(st -> t));
    verify(ctx, flow, t -> {
      assertCut(t);
      assertEquals("{\"x\":\"aaa", t.body().toString(), "everything sent before the stall passed");
      long afterLast = t.endAfterLastChunkMs();
      assertTrue(afterLast >= 400 && afterLast < 1500,
          "cut idle_ms = 500 after the last chunk, got " + afterLast + " ms");
      assertTrue(t.endAfterHeadersMs() >= 1000, "chunks within idle_ms keep the body alive; cut "
          + t.endAfterHeadersMs() + " ms after the headers");
      assertEquals(0, b.requestCount(), "no failover once the headers are out");
      assertEquals(1, a.clientClosedCount(), "the upstream connection was closed");
    });
  }

  @Test
  void aBodyThatOutlivesFirstByteMsIsNotCutByIt(VertxTestContext ctx) {
    // the attempt's one deadline timer is first set for first_byte_ms; the first byte arrives at
    // once, so when that timer fires (300 ms) it must move on to idle_ms, not cut a body that
    // flows for ~900 ms in 150 ms gaps
    a.respond(dribble(150, 5, true));
    Future<Timed> flow = gateway("timeouts = { first_byte_ms = 300, idle_ms = 400, total_ms = 5000 }")
        .compose(p -> FlowSupport.timed(client, p, FlowSupport.CHAT, FlowSupport.chatBody("chain")));
    verify(ctx, flow, t -> {
      assertNull(t.failure(), () -> "cut: " + t.failure());
      assertEquals("{\"x\":\"aaaaa\"}", t.body().toString());
      assertTrue(t.endAfterHeadersMs() >= 600,
          "the body took " + t.endAfterHeadersMs() + " ms, not past first_byte_ms");
      assertEquals(0, a.clientClosedCount());
      assertEquals(0, b.requestCount(), "no failover");
    });
  }

  @Test
  void aBodyWithinTheTimeoutsIsNotCut(VertxTestContext ctx) {
    a.respond(dribble(100, 4, true)); // ~500 ms, gaps well under idle_ms
    Future<Timed> flow = gateway("timeouts = { idle_ms = 400, total_ms = 3000 }")
        .compose(p -> FlowSupport.timed(client, p, FlowSupport.CHAT, FlowSupport.chatBody("chain")));
    verify(ctx, flow, t -> {
      assertNull(t.failure(), () -> "cut: " + t.failure());
      assertEquals("{\"x\":\"aaaa\"}", t.body().toString());
      assertEquals(0, a.clientClosedCount());
    });
  }
}
