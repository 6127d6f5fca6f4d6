package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.Gateway;
import io.oxllm.testing.Behaviour;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
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
 * The non-streaming relay once the upstream answered: bodies of any size and framing pass intact;
 * a body cut, stalled or capped after the headers is never presented as complete, and the upstream
 * connection is closed; a client that leaves cancels the upstream request.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class BodyRelayTest {
  private static final String CHAT = "/v1/chat/completions";
  private static final String BODY = "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  private Vertx vertx;
  private HttpClient client;
  private TestUpstream up;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    this.client = GatewayHarness.client(vertx);
    TestUpstream.start(vertx).onComplete(ctx.succeeding(u -> {
      up = u;
      ctx.completeNow();
    }));
  }

  private Future<Integer> gateway(String providerExtra) {
    return GatewayHarness.start(vertx, GatewayHarness.provider("p1", up, "m1") + providerExtra).map(Gateway::port);
  }

  /** The whole exchange as an AsyncResult, so a cut response can be asserted on. */
  private Future<AsyncResult<Response>> attempt(String providerExtra) {
    return gateway(providerExtra).compose(port -> GatewayHarness.post(client, port, CHAT, BODY))
        .transform(Future::succeededFuture);
  }

  private static String bigJson(String key, int size) {
    StringBuilder sb = new StringBuilder(size + 64).append("{\"model\":\"m1\",\"").append(key).append("\":\"");
    for (int i = 0; sb.length() < size; i++) {
      sb.append((char) ('a' + i % 26));
    }
    return sb.append("\"}").toString();
  }

  @Test
  void largeBodiesPassIntactBothWays(VertxTestContext ctx) {
    String request = bigJson("pad", 2 * 1024 * 1024);
    String answer = bigJson("answer", 3 * 1024 * 1024);
    up.respond(Behaviour.json(200, answer));
    verify(ctx, gateway("").compose(port -> GatewayHarness.post(client, port, CHAT, request)), r -> {
      assertEquals(200, r.status());
      assertArrayEquals(request.getBytes(), up.lastReceived().body().getBytes(), "request bytes");
      assertEquals(answer.length(), r.body().length());
      assertTrue(answer.equals(r.bodyAsString()), "response bytes");
    });
  }

  @Test
  void concurrentRequestsAcrossSeveralHttpInstancesAllSucceed(VertxTestContext ctx) {
    up.respond(Behaviour.delayHeaders(100, Behaviour.chat("slow enough to overlap")));
    String toml = "[server]\nhost = \"127.0.0.1\"\nport = 0\ninstances = 3\n" + GatewayHarness.provider("p1", up, "m1");
    HttpClient many = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(30));
    Future<List<Response>> all = GatewayHarness.start(vertx, toml).map(Gateway::port).compose(port -> {
      List<Future<Response>> fs = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        fs.add(GatewayHarness.post(many, port, CHAT, BODY));
      }
      return Future.all(fs).map(cf -> cf.<Response>list());
    });
    verify(ctx, all, rs -> {
      for (Response r : rs) {
        assertEquals(200, r.status(), r.bodyAsString());
        assertEquals("p1", r.header("x-oxllm-provider"));
      }
      assertEquals(30, up.requestCount());
    });
  }

  @Test
  void chunkedUpstreamBodyIsRelayedWhole(VertxTestContext ctx) {
    up.respond(ex -> {
      ex.response().setStatusCode(200).setChunked(true).putHeader("content-type", "application/json");
      ex.response().write("{\"id\":\"x\",");
      ex.after(50, () -> ex.response().write("\"choices\":[],"));
      ex.after(100, () -> ex.response().end("\"object\":\"chat.completion\"}"));
    });
    verify(ctx, gateway("").compose(port -> GatewayHarness.post(client, port, CHAT, BODY)), r -> {
      assertEquals(200, r.status());
      assertEquals("{\"id\":\"x\",\"choices\":[],\"object\":\"chat.completion\"}", r.bodyAsString());
    });
  }

  @Test
  void bodyCutShortOfContentLengthIsNotPresentedAsComplete(VertxTestContext ctx) {
    up.respond(ex -> {
      ex.response().setStatusCode(200).putHeader("content-type", "application/json")
          .putHeader("content-length", "1000");
      ex.response().write("{\"id\":\"partial\",\"choices\":[");
      ex.after(50, ex::closeConnection);
    });
    verify(ctx, attempt(""), ar -> assertTrue(ar.failed(),
        () -> "a truncated body must reach the client as a broken response, got " + ar.result().status()
            + " with " + ar.result().bodyAsString()));
  }

  @Test
  void chunkedBodyCutMidwayIsNotPresentedAsComplete(VertxTestContext ctx) {
    up.respond(ex -> {
      ex.response().setStatusCode(200).setChunked(true).putHeader("content-type", "application/json");
      ex.response().write("{\"id\":\"partial\",\"choices\":[");
      ex.after(50, ex::closeConnection);
    });
    verify(ctx, attempt(""), ar -> assertTrue(ar.failed(),
        () -> "a truncated body must reach the client as a broken response, got " + ar.result().status()
            + " with " + ar.result().bodyAsString()));
  }

  @Test
  void bodyStallingPastIdleTimeoutIsCutAndTheUpstreamClosed(VertxTestContext ctx) {
    up.respond(ex -> {
      ex.response().setStatusCode(200).setChunked(true).putHeader("content-type", "application/json");
      ex.response().write("{\"id\":\"stalls\",");
      // then nothing, ever
    });
    Future<Long> closed = up.awaitClientCloses(1);
    long start = System.nanoTime();
    verify(ctx, Future.all(attempt("timeouts = { idle_ms = 300 }\n"), closed), all -> {
      AsyncResult<Response> ar = all.resultAt(0);
      assertTrue(ar.failed(), "a stalled body must not end as a complete response");
      long closedMs = (all.<Long>resultAt(1) - start) / 1_000_000;
      assertTrue(closedMs >= 300 && closedMs < 5_000, "upstream closed after " + closedMs + " ms");
    });
  }

  @Test
  void bodyDribblingPastTotalTimeoutIsCutAndTheUpstreamClosed(VertxTestContext ctx) {
    up.respond(ex -> {
      ex.response().setStatusCode(200).setChunked(true).putHeader("content-type", "application/json");
      ex.response().write("{\"pad\":\"");
      long id = ex.vertx().setPeriodic(50, t -> {
        if (ex.closed()) {
          ex.vertx().cancelTimer(t);
        } else {
          ex.response().write("x");
        }
      });
      ex.after(10_000, () -> ex.vertx().cancelTimer(id));
    });
    Future<Long> closed = up.awaitClientCloses(1);
    long start = System.nanoTime();
    verify(ctx, Future.all(attempt("timeouts = { total_ms = 600 }\n"), closed), all -> {
      AsyncResult<Response> ar = all.resultAt(0);
      assertTrue(ar.failed(), "a body cut by total_ms must not end as a complete response");
      long closedMs = (all.<Long>resultAt(1) - start) / 1_000_000;
      assertTrue(closedMs >= 600 && closedMs < 5_000, "upstream closed after " + closedMs + " ms");
    });
  }

  @Test
  void clientLeavingBeforeTheAnswerCancelsTheUpstreamRequest(VertxTestContext ctx) {
    up.respond(Behaviour.hang());
    Future<Long> closed = up.awaitClientCloses(1);
    Future<Void> sent = gateway("").compose(port -> client.request(new RequestOptions().setMethod(HttpMethod.POST)
            .setHost("127.0.0.1").setPort(port).setURI(CHAT).putHeader("content-type", "application/json")))
        .compose(req -> {
          req.response().onFailure(e -> { }); // it is reset below
          return req.end(Buffer.buffer(BODY))
              .compose(v -> up.awaitRequests(1))
              .compose(r -> req.reset());
        });
    long start = System.nanoTime();
    verify(ctx, Future.all(sent, closed), all -> {
      long closedMs = (all.<Long>resultAt(1) - start) / 1_000_000;
      assertTrue(closedMs < 3_000, "upstream closed after " + closedMs + " ms");
      assertEquals(1, up.clientClosedCount());
    });
  }
}
