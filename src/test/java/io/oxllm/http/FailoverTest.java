package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.assertError;
import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.Gateway;
import io.oxllm.testing.ApiChecks;
import io.oxllm.testing.Behaviour;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Failover before the commit point (SPEC section 4), non-streaming: a connect error, a reset, a
 * first-byte timeout or a status in retry_on moves to the next target; no target twice; at most
 * max_attempts; x-oxllm-attempts counts real attempts.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class FailoverTest {
  private static final String CHAT = "/v1/chat/completions";
  private static final String BODY = "{\"model\":\"chain\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  private Vertx vertx;
  private HttpClient client;
  private TestUpstream a;
  private TestUpstream b;
  private TestUpstream c;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    this.client = GatewayHarness.client(vertx);
    Future.all(TestUpstream.start(vertx), TestUpstream.start(vertx), TestUpstream.start(vertx))
        .onComplete(ctx.succeeding(all -> {
          a = all.resultAt(0);
          b = all.resultAt(1);
          c = all.resultAt(2);
          ctx.completeNow();
        }));
  }

  private static String provider(String name, TestUpstream up, String extra) {
    return GatewayHarness.provider(name, up) + extra;
  }

  private static String chain(String... providerModel) {
    StringBuilder sb = new StringBuilder("[virtual_models]\nchain = [");
    for (int i = 0; i < providerModel.length; i += 2) {
      sb.append(i == 0 ? " " : ", ").append("{ provider = \"").append(providerModel[i])
          .append("\", model = \"").append(providerModel[i + 1]).append("\" }");
    }
    return sb.append(" ]\n").toString();
  }

  /** pa → pb → pc, models ma, mb, mc. */
  private String threeProviders(String extraForA) {
    return provider("pa", a, extraForA) + provider("pb", b, "") + provider("pc", c, "")
        + chain("pa", "ma", "pb", "mb", "pc", "mc");
  }

  private Future<Response> run(String toml) {
    return GatewayHarness.start(vertx, toml).map(Gateway::port)
        .compose(port -> GatewayHarness.post(client, port, CHAT, BODY));
  }

  private static void assertAnsweredBy(Response r, String provider, String model, int attempts) {
    assertEquals(200, r.status(), r.bodyAsString());
    assertEquals(provider, r.header("x-oxllm-provider"));
    assertEquals(model, r.header("x-oxllm-model"));
    assertEquals(Integer.toString(attempts), r.header("x-oxllm-attempts"));
  }

  @Test
  void primary503FailsOverToSecondary(VertxTestContext ctx) {
    a.respond(Behaviour.error(503, "server_error", "overloaded"));
    verify(ctx, run(threeProviders("")), r -> {
      assertAnsweredBy(r, "pb", "mb", 2);
      assertEquals(1, a.requestCount());
      assertEquals(1, b.requestCount());
      assertEquals(0, c.requestCount());
      assertEquals("mb", b.lastReceived().bodyAsJson().getString("model"));
    });
  }

  @Test
  void aLargeBodyReachesEachAttemptWholeWithItsModelRenamed(VertxTestContext ctx) {
    a.respond(Behaviour.error(503, "server_error", "overloaded"));
    String content = "y".repeat(3 * BodyEdits.SLICED_FROM_BYTES); // the edit is made of slices
    String large = "{\"model\":\"chain\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    verify(ctx, GatewayHarness.start(vertx, threeProviders("")).map(Gateway::port)
        .compose(port -> GatewayHarness.post(client, port, CHAT, large)), r -> {
          assertAnsweredBy(r, "pb", "mb", 2);
          JsonObject toA = a.lastReceived().bodyAsJson();
          JsonObject toB = b.lastReceived().bodyAsJson();
          assertEquals("ma", toA.getString("model"));
          assertEquals("mb", toB.getString("model"));
          assertEquals(content, toB.getJsonArray("messages").getJsonObject(0).getString("content"));
          assertEquals(large.length() - "chain".length() + "mb".length(), b.lastReceived().body().length());
        });
  }

  @Test
  void connectionRefusedFailsOverToSecondary(VertxTestContext ctx) {
    String toml = "[[providers]]\nname = \"dead\"\ntype = \"openai\"\n"
        + "base_url = \"http://127.0.0.1:" + ApiChecks.unusedPort() + "/v1\"\n"
        + provider("pb", b, "") + chain("dead", "ma", "pb", "mb");
    verify(ctx, run(toml), r -> {
      assertAnsweredBy(r, "pb", "mb", 2);
      assertEquals(1, b.requestCount());
    });
  }

  @Test
  void hangingPrimaryFailsOverAfterFirstByteTimeoutAndIsClosed(VertxTestContext ctx) {
    a.respond(Behaviour.delayHeaders(8_000, Behaviour.chat("too late")));
    Future<Long> closed = a.awaitClientCloses(1);
    long[] startNanos = new long[1];
    long[] elapsedMs = new long[1];
    Future<Response> timed = GatewayHarness.start(vertx, threeProviders("timeouts = { first_byte_ms = 300 }\n"))
        .compose(gw -> {
          startNanos[0] = System.nanoTime();
          return GatewayHarness.post(client, gw.port(), CHAT, BODY);
        })
        .onSuccess(r -> elapsedMs[0] = (System.nanoTime() - startNanos[0]) / 1_000_000);
    verify(ctx, Future.all(timed, closed), all -> {
      Response r = all.resultAt(0);
      assertAnsweredBy(r, "pb", "mb", 2);
      assertTrue(elapsedMs[0] >= 300, "failed over before first_byte_ms: " + elapsedMs[0] + " ms");
      assertTrue(elapsedMs[0] < 3_000, "took " + elapsedMs[0] + " ms: the timeout did not fire");
      assertEquals(1, a.clientClosedCount(), "the hung upstream's connection was closed");
      long closedAfterMs = (all.<Long>resultAt(1) - startNanos[0]) / 1_000_000;
      assertTrue(closedAfterMs >= 300 && closedAfterMs < 3_000, "closed after " + closedAfterMs + " ms");
    });
  }

  @Test
  void resetBeforeHeadersFailsOver(VertxTestContext ctx) {
    a.respond(Behaviour.resetBeforeHeaders());
    verify(ctx, run(threeProviders("")), r -> {
      assertAnsweredBy(r, "pb", "mb", 2);
      assertEquals(1, a.requestCount());
    });
  }

  @Test
  void everyRetryableStatusFailsOverInOrder(VertxTestContext ctx) {
    a.respond(Behaviour.error(500, "server_error", "boom"));
    b.respond(Behaviour.error(504, "server_error", "gateway timeout"));
    verify(ctx, run(threeProviders("")), r -> {
      assertAnsweredBy(r, "pc", "mc", 3);
      assertTrue(a.lastReceived().arrivedNanos() < b.lastReceived().arrivedNanos());
      assertTrue(b.lastReceived().arrivedNanos() < c.lastReceived().arrivedNanos());
    });
  }

  @Test
  void status408And529FailOver(VertxTestContext ctx) {
    a.respond(Behaviour.error(408, "timeout", "request timeout"));
    b.respond(Behaviour.json(529, "{\"error\":{\"message\":\"overloaded\"}}"));
    verify(ctx, run(threeProviders("")), r -> assertAnsweredBy(r, "pc", "mc", 3));
  }

  @Test
  void maxAttemptsCapsTheWalk(VertxTestContext ctx) {
    a.respond(Behaviour.error(503, "server_error", "down a"));
    b.respond(Behaviour.error(503, "server_error", "down b"));
    c.respond(Behaviour.error(503, "server_error", "down c"));
    verify(ctx, run("[routing]\nmax_attempts = 2\n" + threeProviders("")), r -> {
      assertError(r, 502, "upstream_error", "all_providers_failed");
      assertEquals(2, a.requestCount() + b.requestCount() + c.requestCount(), "exactly max_attempts requests");
      assertEquals(0, c.requestCount());
      assertEquals("2", r.header("x-oxllm-attempts"));
    });
  }

  @Test
  void noTargetIsTriedTwiceEvenWithAttemptsLeft(VertxTestContext ctx) {
    a.respond(Behaviour.error(503, "server_error", "down a"));
    b.respond(Behaviour.error(503, "server_error", "down b"));
    String toml = "[routing]\nmax_attempts = 5\n" + provider("pa", a, "") + provider("pb", b, "")
        + chain("pa", "ma", "pb", "mb");
    verify(ctx, run(toml), r -> {
      assertError(r, 502, "upstream_error", "all_providers_failed");
      assertEquals(1, a.requestCount());
      assertEquals(1, b.requestCount());
      assertEquals("2", r.header("x-oxllm-attempts"));
    });
  }

  @Test
  void sameProviderWithTwoModelsIsTwoTargets(VertxTestContext ctx) {
    a.enqueue(Behaviour.error(503, "server_error", "m-x is down"), Behaviour.chat("from m-y"));
    String toml = provider("pa", a, "") + chain("pa", "m-x", "pa", "m-y");
    verify(ctx, run(toml), r -> {
      assertAnsweredBy(r, "pa", "m-y", 2);
      assertEquals(2, a.requestCount());
      assertEquals("m-x", a.received().get(0).bodyAsJson().getString("model"));
      assertEquals("m-y", a.received().get(1).bodyAsJson().getString("model"));
    });
  }

  @Test
  void allAttemptsFailedIs502ListingEachAttempt(VertxTestContext ctx) {
    a.respond(Behaviour.error(503, "server_error", "down"));
    b.respond(Behaviour.resetBeforeHeaders());
    String toml = provider("pa", a, "") + provider("pb", b, "")
        + "[[providers]]\nname = \"pdead\"\ntype = \"openai\"\n"
        + "base_url = \"http://127.0.0.1:" + ApiChecks.unusedPort() + "/v1\"\n"
        + chain("pa", "ma", "pb", "mb", "pdead", "mc");
    verify(ctx, run(toml), r -> {
      String message = assertError(r, 502, "upstream_error", "all_providers_failed").getString("message");
      assertEquals("3", r.header("x-oxllm-attempts"));
      int ia = message.indexOf("pa");
      int ib = message.indexOf("pb");
      int id = message.indexOf("pdead");
      assertTrue(ia >= 0 && ib > ia && id > ib, "each attempt, in order: " + message);
      assertTrue(message.substring(ia, ib).contains("503"), "pa's status: " + message);
      String pbPart = message.substring(ib + 2, id).replaceAll("[^A-Za-z]", "");
      assertTrue(pbPart.length() > 3, "pb's error is named: " + message);
      assertTrue(message.substring(id).toLowerCase().contains("connect"), "pdead's connect error: " + message);
    });
  }
}
