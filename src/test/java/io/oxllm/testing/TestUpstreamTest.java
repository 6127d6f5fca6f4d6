package io.oxllm.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Self-test of {@link TestUpstream}: each behaviour as seen by a plain Vert.x HttpClient. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class TestUpstreamTest {
  private static final String CHAT = "/v1/chat/completions";
  private Vertx vertx;
  private TestUpstream up;
  private HttpClient client;
  private io.vertx.core.Context context;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    client = vertx.createHttpClient();
    context = vertx.getOrCreateContext();
    TestUpstream.start(vertx).onComplete(ctx.succeeding(u -> {
      up = u;
      ctx.completeNow();
    }));
  }

  @AfterEach
  void tearDown(VertxTestContext ctx) {
    client.close().compose(v -> up.close()).onComplete(ctx.succeedingThenComplete());
  }

  private Future<HttpClientRequest> request(String uri) {
    return client.request(new RequestOptions().setMethod(HttpMethod.POST)
        .setHost("127.0.0.1").setPort(up.port()).setURI(uri));
  }

  /**
   * Runs a whole client exchange (request, send, attaching handlers) on one Vert.x context:
   * Vert.x 5.0.8's client can lose response data or its end when any of those steps runs on the
   * JUnit thread (eclipse-vertx/vert.x#6038). Moving only the first step is not enough: a
   * continuation registered after its future completed runs on the registering thread.
   */
  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> exchange) {
    if (Vertx.currentContext() == context) {
      return exchange.get();
    }
    io.vertx.core.Promise<T> p = io.vertx.core.Promise.promise();
    context.runOnContext(v -> exchange.get().onComplete(p));
    return p.future();
  }

  /** POST + full body; the response is buffered into a String. */
  private Future<Map.Entry<HttpClientResponse, String>> post(String body) {
    return onContext(() -> request(CHAT).compose(r -> r.send(body))
        .compose(resp -> resp.body().map(b -> Map.entry(resp, b.toString()))));
  }

  /** POST and record the SSE stream. */
  private Future<SseCapture> stream() {
    return onContext(() -> request(CHAT).compose(r -> r.send("{}")).map(SseCapture::attach));
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  @Test
  void baseUrlAndDefaultChatCompletion(VertxTestContext ctx) {
    assertEquals("http://127.0.0.1:" + up.port() + "/v1", up.baseUrl());
    post("{}").onComplete(ctx.succeeding(e -> ctx.verify(() -> {
      assertEquals(200, e.getKey().statusCode());
      JsonObject j = new JsonObject(e.getValue());
      assertEquals("chat.completion", j.getString("object"));
      assertEquals("test-model", j.getString("model"));
      assertEquals("stop", j.getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
      ctx.completeNow();
    })));
  }

  @Test
  void jsonStatusAndHeaders(VertxTestContext ctx) {
    up.respond(Behaviour.json(429, "{\"error\":{\"message\":\"slow down\"}}",
        Map.of("Retry-After", "2", "x-request-id", "req-1", "x-ratelimit-remaining", "0")));
    post("{}").onComplete(ctx.succeeding(e -> ctx.verify(() -> {
      HttpClientResponse r = e.getKey();
      assertEquals(429, r.statusCode());
      assertEquals("application/json", r.getHeader("content-type"));
      assertEquals("2", r.getHeader("retry-after"));
      assertEquals("req-1", r.getHeader("X-Request-Id"));
      assertEquals("0", r.getHeader("x-ratelimit-remaining"));
      assertEquals("{\"error\":{\"message\":\"slow down\"}}", e.getValue());
      ctx.completeNow();
    })));
  }

  @Test
  void chatTextAndUsage(VertxTestContext ctx) {
    up.respond(Behaviour.chat("one two three four"));
    post("{}").onComplete(ctx.succeeding(e -> ctx.verify(() -> {
      JsonObject j = new JsonObject(e.getValue());
      JsonObject msg = j.getJsonArray("choices").getJsonObject(0).getJsonObject("message");
      assertEquals("assistant", msg.getString("role"));
      assertEquals("one two three four", msg.getString("content"));
      assertEquals(3, j.getJsonObject("usage").getInteger("prompt_tokens"));
      assertEquals(4, j.getJsonObject("usage").getInteger("completion_tokens"));
      assertEquals(7, j.getJsonObject("usage").getInteger("total_tokens"));
      ctx.completeNow();
    })));
  }

  @Test
  void sseChatEventsArriveGapApart(VertxTestContext ctx) {
    int n = 5;
    long gap = 100;
    up.respond(Behaviour.sseChat(n, gap));
    stream().compose(SseCapture::done).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      assertNull(c.failure());
      assertEquals("text/event-stream", c.headers().get("content-type"));
      List<String> ev = c.events();
      assertEquals(n + 2, ev.size()); // content chunks + finish chunk + [DONE]
      assertEquals(List.of("tok0 ", "tok1 ", "tok2 ", "tok3 ", "tok4 "), c.contents());
      assertEquals(Behaviour.streamText(n), String.join("", c.contents()));
      JsonObject finish = c.chunks().get(n).getJsonArray("choices").getJsonObject(0);
      assertEquals("stop", finish.getString("finish_reason"));
      assertNull(c.chunks().get(0).getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
      assertEquals("chat.completion.chunk", c.chunks().get(0).getString("object"));
      assertEquals("[DONE]", ev.get(ev.size() - 1));
      List<Long> at = c.arrivals();
      for (int i = 1; i < at.size(); i++) {
        long g = ms(at.get(i) - at.get(i - 1));
        assertTrue(g >= gap * 0.5, "gap " + i + " was " + g + " ms");
      }
      long total = ms(at.get(at.size() - 1) - at.get(0));
      assertTrue(total >= (ev.size() - 1) * gap * 0.8, "stream took " + total + " ms");
      ctx.completeNow();
    })));
  }

  @Test
  void sseChatWithUsageAddsUsageChunk(VertxTestContext ctx) {
    up.respond(Behaviour.sseChatWithUsage(2, 10));
    stream().compose(SseCapture::done).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      List<JsonObject> chunks = c.chunks();
      JsonObject usage = chunks.get(chunks.size() - 1).getJsonObject("usage");
      assertEquals(2, usage.getInteger("completion_tokens"));
      assertTrue(c.sawDone());
      ctx.completeNow();
    })));
  }

  @Test
  void cutAfterBreaksTheConnectionAfterKChunks(VertxTestContext ctx) {
    up.respond(Behaviour.cutAfter(3, 50));
    stream().compose(SseCapture::done).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      assertNotNull(c.failure(), "expected a connection failure, got a clean end");
      assertEquals(3, c.contents().size());
      assertFalse(c.sawDone());
      assertEquals(0, up.clientClosedCount()); // the upstream closed, not the client
      ctx.completeNow();
    })));
  }

  @Test
  void hangThenClientResetIsObserved(VertxTestContext ctx) {
    up.respond(Behaviour.hang());
    Future<Long> closed = up.nextClientClose();
    context.runOnContext(v -> request(CHAT).onComplete(ctx.succeeding(req -> {
      req.send("{}"); // never answered
      up.awaitRequests(1).onComplete(ctx.succeeding(r -> req.reset()));
    })));
    closed.onComplete(ctx.succeeding(at -> ctx.verify(() -> {
      assertEquals(1, up.clientClosedCount());
      assertTrue(at > up.received().get(0).arrivedNanos());
      assertEquals(List.of(at), up.clientCloseTimes());
      ctx.completeNow();
    })));
  }

  @Test
  void enqueueRunsInOrderThenFallsBack(VertxTestContext ctx) {
    up.respond(Behaviour.json(200, "{\"n\":0}"))
        .enqueue(Behaviour.json(201, "{\"n\":1}"), Behaviour.json(202, "{\"n\":2}"));
    List<Integer> codes = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < 4; i++) {
      chain = chain.compose(v -> post("{}").map(e -> {
        codes.add(e.getKey().statusCode());
        return null;
      }));
    }
    chain.onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertEquals(List.of(201, 202, 200, 200), codes);
      assertEquals(0, up.pending());
      assertEquals(4, up.requestCount());
      ctx.completeNow();
    })));
  }

  @Test
  void receivedCapturesHeadersAndBody(VertxTestContext ctx) {
    byte[] body = "{\"model\":\"m\",\"x\":\"\u00e9\u6f22\"}".getBytes(StandardCharsets.UTF_8);
    long before = System.nanoTime();
    onContext(() -> request(CHAT + "?trace=1").compose(r -> {
      r.putHeader("Authorization", "Bearer sk-test").putHeader("Content-Type", "application/json");
      r.headers().add("X-Multi", "a").add("X-Multi", "b");
      return r.send(Buffer.buffer(body));
    }).compose(HttpClientResponse::body)).onComplete(ctx.succeeding(b -> ctx.verify(() -> {
      List<TestUpstream.Received> all = up.received();
      assertEquals(1, all.size());
      TestUpstream.Received r = all.get(0);
      assertEquals("POST", r.method());
      assertEquals(CHAT, r.path());
      assertEquals("Bearer sk-test", r.header("authorization"));
      assertEquals("Bearer sk-test", r.header("AUTHORIZATION"));
      assertEquals(List.of("a", "b"), r.headers().get("x-multi"));
      assertNull(r.header("x-absent"));
      assertEquals(Buffer.buffer(body), r.body());
      assertEquals("m", r.bodyAsJson().getString("model"));
      assertTrue(r.arrivedNanos() >= before && r.arrivedNanos() <= System.nanoTime());
      ctx.completeNow();
    })));
  }

  @Test
  void resetBeforeHeadersFailsTheRequest(VertxTestContext ctx) {
    up.respond(Behaviour.resetBeforeHeaders());
    onContext(() -> request(CHAT).compose(r -> r.send("{}"))).onComplete(ctx.failing(t -> ctx.verify(() -> {
      assertEquals(1, up.requestCount());
      assertEquals(0, up.clientClosedCount());
      ctx.completeNow();
    })));
  }

  @Test
  void delayHeadersWaitsBeforeResponding(VertxTestContext ctx) {
    up.respond(Behaviour.delayHeaders(300, Behaviour.chat("late")));
    long t0 = System.nanoTime();
    onContext(() -> request(CHAT).compose(r -> r.send("{}"))).onComplete(ctx.succeeding(resp -> ctx.verify(() -> {
      assertTrue(ms(System.nanoTime() - t0) >= 240);
      assertEquals(200, resp.statusCode());
      ctx.completeNow();
    })));
  }

  @Test
  void stallAfterKeepsTheConnectionOpen(VertxTestContext ctx) {
    up.respond(Behaviour.stallAfter(2, 30));
    stream().onComplete(ctx.succeeding(c ->
        // Observe a quiet window well past the gap: nothing more may arrive, nor an end.
        vertx.setTimer(400, t -> ctx.verify(() -> {
          assertEquals(2, c.events().size());
          assertFalse(c.done().isComplete());
          client.close(); // the client gives up mid-stream: counted as a client close
          up.awaitClientCloses(1).onComplete(ctx.succeeding(at -> ctx.verify(() -> {
            assertEquals(1, up.clientClosedCount());
            ctx.completeNow();
          })));
        }))));
  }

  @Test
  void endWithoutDoneEndsCleanly(VertxTestContext ctx) {
    up.enqueue(Behaviour.endWithoutDone(true, 3, 10), Behaviour.endWithoutDone(false, 3, 10));
    stream().compose(SseCapture::done).compose(a -> stream().compose(SseCapture::done)
        .map(b -> List.of(a, b))).onComplete(ctx.succeeding(both -> ctx.verify(() -> {
          SseCapture a = both.get(0);
          SseCapture b = both.get(1);
          assertNull(a.failure());
          assertNull(b.failure());
          assertEquals(4, a.events().size());
          assertEquals("stop", a.chunks().get(3).getJsonArray("choices").getJsonObject(0)
              .getString("finish_reason"));
          assertEquals(3, b.events().size());
          assertFalse(a.sawDone() || b.sawDone());
          ctx.completeNow();
        })));
  }

  @Test
  void headersThenStallSendsOnlyHeaders(VertxTestContext ctx) {
    up.respond(Behaviour.headersThenStall());
    stream().onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      assertEquals(200, c.status());
      assertEquals("text/event-stream", c.headers().get("content-type"));
      up.awaitClientCloses(1).onComplete(ctx.succeeding(at -> ctx.verify(() -> {
        assertTrue(c.events().isEmpty());
        assertEquals(1, up.clientClosedCount());
        ctx.completeNow();
      })));
      // Then the client gives up: the upstream must see it.
      vertx.setTimer(200, t -> client.close());
    })));
  }
}
