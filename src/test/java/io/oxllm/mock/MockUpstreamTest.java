package io.oxllm.mock;

import static io.oxllm.mock.MockClient.await;
import static io.oxllm.mock.MockClient.finish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.mock.MockClient.Reply;
import io.oxllm.mock.MockClient.Sse;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The mock's answers over real sockets: shapes, sizes, stream framing and timing knobs. */
@ExtendWith(VertxExtension.class)
class MockUpstreamTest {
  private static final String CHAT = "/v1/chat/completions";
  private static final String ASK = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
  private static final String STREAM = ASK + ",\"stream\": true}";

  private MockUpstream mock;
  private MockClient client;
  private Vertx vertx;

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
  void nonStreamChatHasOpenAiShapeAndSize() {
    Reply r = client.post(CHAT, ASK + "}", "x-mock-size", "300");
    assertEquals(200, r.status());
    assertEquals("application/json", r.headers().get("content-type"));
    JsonObject j = r.json();
    assertTrue(j.getString("id").startsWith("chatcmpl-"), j.encode());
    assertEquals("chat.completion", j.getString("object"));
    assertEquals("gpt-4o-mini", j.getString("model"));
    assertTrue(Math.abs(j.getLong("created") - System.currentTimeMillis() / 1000) < 5);
    JsonObject choice = j.getJsonArray("choices").getJsonObject(0);
    assertEquals("stop", choice.getString("finish_reason"));
    assertEquals("assistant", choice.getJsonObject("message").getString("role"));
    assertEquals(300, choice.getJsonObject("message").getString("content").length());
    JsonObject usage = j.getJsonObject("usage");
    assertEquals(usage.getInteger("prompt_tokens") + usage.getInteger("completion_tokens"), usage.getInteger("total_tokens"));
  }

  @Test
  void otlpExportsAreAnsweredCountedAndDropped() {
    String body = "x".repeat(3 * 1024 * 1024); // several reads: counted as they arrive
    Reply r = client.post("/v1/traces", body, "content-type", "application/x-protobuf");
    assertEquals(200, r.status());
    assertEquals("application/x-protobuf", r.headers().get("content-type"));
    assertEquals(0, r.body().length(), "an empty ExportTraceServiceResponse");
    assertEquals(200, client.post("/v1/metrics", "m", "content-type", "application/x-protobuf").status());
    assertEquals(2, mock.stats().otlpExports());
    assertEquals(body.length() + 1, mock.stats().otlpBytes());
    JsonObject stats = client.get("/mock/stats").json();
    assertEquals(2, stats.getLong("otlp_exports"));
    assertEquals(body.length() + 1, stats.getLong("otlp_bytes"));
  }

  @Test
  void completionsAnswerTextCompletionsAndIdsDiffer() {
    JsonObject a = client.post("/v1/completions", "{\"prompt\":\"hi\"}").json();
    JsonObject b = client.post("/v1/completions", "{\"prompt\":\"hi\"}").json();
    assertEquals("text_completion", a.getString("object"));
    assertEquals("mock", a.getString("model")); // no model in the body
    assertEquals(64, a.getJsonArray("choices").getJsonObject(0).getString("text").length());
    assertNotEquals(a.getString("id"), b.getString("id"));
  }

  @Test
  void streamSendsChunksThenStopThenDone() {
    Sse sse = finish(client.stream(CHAT, STREAM, "x-mock-chunks", "7", "x-mock-size", "50", "x-mock-gap-ms", "1"));
    assertTrue(sse.endedCleanly(), "error: " + sse.error());
    assertEquals("text/event-stream", sse.headers.get("content-type"));
    assertEquals(9, sse.events.size(), sse.events.toString()); // 7 content, stop, [DONE]
    assertEquals(7, sse.contentEvents());
    StringBuilder text = new StringBuilder();
    for (String e : sse.events.subList(0, 7)) {
      JsonObject chunk = new JsonObject(e);
      assertEquals("chat.completion.chunk", chunk.getString("object"));
      assertEquals("gpt-4o-mini", chunk.getString("model"));
      assertFalse(chunk.containsKey("usage"), "usage:null only when include_usage is asked");
      text.append(chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta").getString("content"));
    }
    assertEquals(50, text.length());
    assertEquals("stop", new JsonObject(sse.events.get(7)).getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
    assertEquals("[DONE]", sse.events.get(8));
  }

  @Test
  void usageChunkOnlyWhenAsked() {
    String asked = ASK + ",\"stream\":true,\"stream_options\":{\"include_usage\": true}}";
    Sse sse = finish(client.stream(CHAT, asked, "x-mock-chunks", "3", "x-mock-gap-ms", "0"));
    assertEquals(6, sse.events.size(), sse.events.toString()); // 3 content, stop, usage, [DONE]
    JsonObject usage = new JsonObject(sse.events.get(4));
    assertEquals(new JsonArray(), usage.getJsonArray("choices"));
    assertEquals(16, usage.getJsonObject("usage").getInteger("completion_tokens")); // 64 bytes / 4
    assertTrue(new JsonObject(sse.events.get(0)).containsKey("usage")); // "usage":null, as OpenAI does
    String notAsked = ASK + ",\"stream\":true,\"stream_options\":{\"include_usage\":false}}";
    assertEquals(5, finish(client.stream(CHAT, notAsked, "x-mock-chunks", "3")).events.size());
  }

  @Test
  void gapsBetweenChunksAreRespected() {
    Sse sse = finish(client.stream(CHAT, STREAM, "x-mock-chunks", "6", "x-mock-gap-ms", "60"));
    assertEquals(8, sse.events.size());
    // Chunks follow a fixed-rate schedule: one late arrival makes the next gap shorter, so check
    // each chunk against the schedule (with slack for a busy machine), not each gap on its own.
    List<Long> at = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      at.add(TimeUnit.NANOSECONDS.toMillis(sse.arrivals.get(i) - sse.arrivals.get(0)));
    }
    for (int i = 1; i < 6; i++) {
      assertTrue(at.get(i) >= i * 60 - 25, "chunk " + i + " early: " + at);
    }
    assertTrue(at.get(5) < 5 * 60 * 2, "5 gaps of 60 ms took " + at.get(5) + " ms: " + at);
    long finish = TimeUnit.NANOSECONDS.toMillis(sse.arrivals.get(7) - sse.arrivals.get(5));
    assertTrue(finish < 60, "stop and [DONE] follow the last chunk at once, not after a gap: " + finish + " ms");
  }

  @Test
  void gapZeroWritesTheStreamAtOnce() {
    Sse sse = finish(client.stream(CHAT, STREAM, "x-mock-gap-ms", "0"));
    assertEquals(22, sse.events.size()); // 20 chunks by default
    long spread = TimeUnit.NANOSECONDS.toMillis(sse.arrivals.get(21) - sse.arrivals.get(0));
    assertTrue(spread < 50, "spread " + spread + " ms");
  }

  @Test
  void ttftDelaysTheFirstByte() {
    long t0 = System.nanoTime();
    Reply r = client.post(CHAT, ASK + "}", "x-mock-ttft-ms", "250");
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertEquals(200, r.status());
    assertTrue(ms >= 240 && ms < 2000, "non-stream took " + ms + " ms");
    Sse sse = finish(client.stream(CHAT, STREAM, "x-mock-ttft-ms", "250", "x-mock-gap-ms", "0"));
    long first = TimeUnit.NANOSECONDS.toMillis(sse.arrivals.get(0) - sse.sentNanos);
    assertTrue(first >= 240 && first < 2000, "first event after " + first + " ms");
  }

  @Test
  void embeddingsAreFloatsOrBase64Float32() {
    JsonArray floats = client.post("/v1/embeddings", "{\"model\":\"e\",\"input\":\"hi\"}").json()
        .getJsonArray("data").getJsonObject(0).getJsonArray("embedding");
    assertEquals(16, floats.size());
    JsonObject b64 = client.post("/v1/embeddings", "{\"input\":\"hi\",\"encoding_format\" : \"base64\"}").json();
    assertEquals("list", b64.getString("object"));
    byte[] raw = Base64.getDecoder().decode(b64.getJsonArray("data").getJsonObject(0).getString("embedding"));
    assertEquals(16 * 4, raw.length);
    ByteBuffer le = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 16; i++) {
      assertEquals(floats.getDouble(i).floatValue(), le.getFloat(), "component " + i);
    }
  }

  @Test
  void modelsHealthAndUnknownPaths() {
    assertEquals("mock", client.get("/v1/models").json().getJsonArray("data").getJsonObject(0).getString("id"));
    assertEquals("ok", client.get("/healthz").json().getString("status"));
    Reply missing = client.post("/v1/nothing", "{}");
    assertEquals(404, missing.status());
    assertEquals("unknown_url", missing.json().getJsonObject("error").getString("code"));
  }

  @Test
  void aBadHeaderKnobIsA400NamingIt() {
    Reply r = client.post(CHAT, "{}", "x-mock-chunks", "zero");
    assertEquals(400, r.status());
    assertTrue(r.json().getJsonObject("error").getString("message").contains("x-mock-chunks"), r.body().toString());
  }

  @Test
  void severalInstancesShareOnePort() {
    MockUpstream four = await(MockUpstream.deploy(vertx, "127.0.0.1", 0, 4, MockKnobs.DEFAULTS.with("size", "5")));
    try {
      assertNotEquals(0, four.port());
      MockClient c = new MockClient(vertx, four.port());
      for (int i = 0; i < 8; i++) {
        assertEquals(5, c.post(CHAT, "{}").json().getJsonArray("choices").getJsonObject(0)
            .getJsonObject("message").getString("content").length());
      }
      assertEquals(8, four.stats().requests());
      assertNull(c.post(CHAT, "{}").headers().get("retry-after"));
    } finally {
      await(four.close());
    }
  }
}
