package io.oxllm.mock;

import static io.oxllm.mock.MockClient.await;
import static io.oxllm.mock.MockClient.eventually;
import static io.oxllm.mock.MockClient.finish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.mock.MockClient.Reply;
import io.oxllm.mock.MockClient.Sse;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every fault, asked for per request with x-mock-* headers, as a client sees it on a real socket. */
@ExtendWith(VertxExtension.class)
class MockFaultTest {
  private static final String CHAT = "/v1/chat/completions";
  private static final String STREAM = "{\"model\":\"m\",\"stream\":true}";

  private Vertx vertx;
  private MockUpstream mock;
  private MockClient client;

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    mock = await(MockUpstream.deploy(vertx, "127.0.0.1", 0, 1, MockKnobs.DEFAULTS));
    client = new MockClient(vertx, mock.port());
  }

  @AfterEach
  void stop() {
    await(mock.close());
  }

  @Test
  void failRateOneAnswersTheStatusWithRetryAfter() {
    Reply r = client.post(CHAT, "{}", "x-mock-fail-rate", "1", "x-mock-fail-status", "503", "x-mock-retry-after", "7");
    assertEquals(503, r.status());
    assertEquals("7", r.headers().get("retry-after"));
    JsonObject error = r.json().getJsonObject("error");
    assertEquals("server_error", error.getString("type"));
    assertNotNull(error.getString("message"));
    Reply limited = client.post(CHAT, "{}", "x-mock-fail-rate", "1", "x-mock-fail-status", "429");
    assertEquals(429, limited.status());
    assertEquals("rate_limit_exceeded", limited.json().getJsonObject("error").getString("code"));
    assertEquals(2, mock.stats().injectedFailures());
  }

  @Test
  void aHeaderOverridesTheInstanceFlag() {
    MockUpstream flaky = await(MockUpstream.deploy(vertx, "127.0.0.1", 0, 1, MockKnobs.DEFAULTS.with("fail-rate", "1")));
    try {
      MockClient c = new MockClient(vertx, flaky.port());
      assertEquals(503, c.post(CHAT, "{}").status());
      assertEquals(200, c.post(CHAT, "{}", "x-mock-fail-rate", "0").status());
    } finally {
      await(flaky.close());
    }
  }

  @Test
  void failRateIsAFraction() {
    int failed = 0;
    for (int i = 0; i < 200; i++) {
      failed += client.post(CHAT, "{}", "x-mock-fail-rate", "0.3").status() == 503 ? 1 : 0;
    }
    assertTrue(failed > 30 && failed < 95, failed + " of 200 failed at rate 0.3");
  }

  @Test
  void hangNeverAnswersAndSeesTheClientLeave() {
    Sse sse = client.stream(CHAT, STREAM, "x-mock-fault", "hang");
    Promise<Void> waited = Promise.promise();
    vertx.setTimer(400, id -> waited.complete());
    await(waited.future());
    assertFalse(sse.finished.future().isComplete(), "a hang answered");
    assertEquals(0, sse.status);
    assertEquals(0, mock.stats().clientCloses());
    sse.request.reset(); // HTTP/1: closes the connection
    eventually("the mock saw the client close", () -> mock.stats().clientCloses() == 1);
  }

  @Test
  void resetClosesBeforeAnyResponse() {
    Future<Reply> r = client.send(HttpMethod.POST, CHAT, STREAM, "x-mock-fault", "reset");
    assertNotNull(MockClient.failure(r), "a reset answered: " + r.result());
    assertEquals(0, mock.stats().clientCloses(), "our own close is not a client's");
  }

  @Test
  void cutSendsKChunksThenBreaksTheConnection() {
    Sse sse = finish(client.stream(CHAT, STREAM, "x-mock-fault", "cut:3", "x-mock-gap-ms", "5"));
    assertEquals(200, sse.status);
    assertEquals(3, sse.events.size(), sse.events.toString());
    assertEquals(3, sse.contentEvents());
    assertNotNull(sse.error(), "a cut stream ended cleanly");
    Sse atOnce = finish(client.stream(CHAT, STREAM, "x-mock-fault", "cut:3", "x-mock-gap-ms", "0"));
    assertEquals(3, atOnce.events.size(), atOnce.events.toString());
    assertNotNull(atOnce.error());
  }

  @Test
  void stallSendsKChunksThenGoesSilent() {
    Sse sse = client.stream(CHAT, STREAM, "x-mock-fault", "stall:2", "x-mock-gap-ms", "5");
    eventually("two events", () -> sse.events.size() >= 2);
    Promise<Void> quiet = Promise.promise();
    vertx.setTimer(500, id -> quiet.complete());
    await(quiet.future());
    assertEquals(2, sse.events.size(), sse.events.toString());
    assertFalse(sse.finished.future().isComplete(), "a stalled stream ended");
    sse.request.reset();
    eventually("the mock saw the client close", () -> mock.stats().clientCloses() == 1);
  }

  @Test
  void errorFirstIsA200StreamWhoseFirstEventIsAnError() {
    Sse sse = finish(client.stream(CHAT, STREAM, "x-mock-fault", "error-first"));
    assertEquals(200, sse.status);
    assertTrue(sse.endedCleanly());
    assertEquals(1, sse.events.size(), sse.events.toString());
    assertEquals("{\"error\":{\"message\":\"mock overloaded\",\"type\":\"server_error\"}}", sse.events.get(0));
  }

  @Test
  void noDoneEndsCleanlyAfterTheFinishChunk() {
    Sse sse = finish(client.stream(CHAT, STREAM, "x-mock-fault", "no-done", "x-mock-chunks", "4", "x-mock-gap-ms", "2"));
    assertTrue(sse.endedCleanly(), "error: " + sse.error());
    assertEquals(5, sse.events.size(), sse.events.toString());
    assertEquals(4, sse.contentEvents());
    assertTrue(sse.events.get(4).contains("\"finish_reason\":\"stop\""), sse.events.get(4));
    assertFalse(sse.events.contains("[DONE]"));
  }

  @Test
  void nonStreamCutSendsHalfTheBody() {
    Future<Reply> r = client.send(HttpMethod.POST, CHAT, "{}", "x-mock-fault", "cut:1");
    assertNotNull(MockClient.failure(r), "a cut body completed");
    Reply errorFirst = client.post(CHAT, "{}", "x-mock-fault", "error-first");
    assertEquals(200, errorFirst.status());
    assertEquals("mock overloaded", errorFirst.json().getJsonObject("error").getString("message"));
  }
}
