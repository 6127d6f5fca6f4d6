package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.assertRequestId;
import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.Gateway;
import io.oxllm.testing.ApiChecks;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** /healthz, /readyz and the built-in echo provider, through the whole gateway. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
class EchoAndHealthTest {
  private HttpClient client;
  private int port;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    client = GatewayHarness.client(vertx);
    // like the shipped config: a dead local server first, then echo
    String toml = "[[providers]]\nname = \"dead\"\ntype = \"openai\"\n"
        + "base_url = \"http://127.0.0.1:" + ApiChecks.unusedPort() + "/v1\"\nmodels = [\"llama\"]\n"
        + "[[providers]]\nname = \"echo\"\ntype = \"echo\"\n"
        + "[virtual_models]\n"
        + "default = [ { provider = \"dead\", model = \"llama\" }, { provider = \"echo\", model = \"echo\" } ]\n";
    GatewayHarness.start(vertx, toml).map(Gateway::port).onComplete(ctx.succeeding(p -> {
      port = p;
      ctx.completeNow();
    }));
  }

  private Future<Response> post(String path, JsonObject body) {
    return GatewayHarness.post(client, port, path, body.encode());
  }

  private Future<Response> get(String path) {
    return GatewayHarness.send(client, port, HttpMethod.GET, path, MultiMap.caseInsensitiveMultiMap(), null);
  }

  private static JsonObject msg(String role, String content) {
    return new JsonObject().put("role", role).put("content", content);
  }

  @Test
  void healthzIs200(VertxTestContext ctx) {
    verify(ctx, get("/healthz"), r -> {
      assertEquals(200, r.status());
      assertRequestId(r);
    });
  }

  @Test
  void everyGetRouteAnswersHeadWithItsHeadAndNoBody(VertxTestContext ctx) {
    MultiMap none = MultiMap.caseInsensitiveMultiMap();
    List<String> paths = List.of("/healthz", "/readyz", "/v1/models", "/status", "/health", "/metrics");
    Future<List<Response>> all = Future.succeededFuture(List.of());
    for (String path : paths) {
      all = all.compose(done -> GatewayHarness.send(client, port, HttpMethod.HEAD, path, none, null)
          .compose(h -> get(path).map(g -> {
            List<Response> more = new java.util.ArrayList<>(done);
            more.add(h);
            more.add(g);
            return more;
          })));
    }
    verify(ctx, all, rs -> {
      for (int i = 0; i < rs.size(); i += 2) {
        Response head = rs.get(i);
        Response getOne = rs.get(i + 1);
        String path = paths.get(i / 2);
        assertEquals(200, head.status(), path + " " + head.bodyAsString());
        assertEquals(0, head.body().length(), path);
        assertEquals(getOne.headers().get("content-type"), head.headers().get("content-type"), path);
        assertNotNull(head.headers().get("content-length"), path + ": the length a GET's body has");
        if (!path.equals("/status") && !path.equals("/metrics")) { // those change between the two calls
          assertEquals(getOne.headers().get("content-length"), head.headers().get("content-length"), path);
        }
        assertRequestId(head);
      }
    });
  }

  @Test
  void readyzIs200WithAUsableProvider(VertxTestContext ctx) {
    verify(ctx, get("/readyz"), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertRequestId(r);
    });
  }

  @Test
  void aModelNameOutsideAsciiComesBackPercentEncoded(VertxTestContext ctx) {
    JsonObject body = new JsonObject().put("model", "echo/模型").put("messages", new JsonArray().add(msg("user", "hi")));
    verify(ctx, post("/v1/chat/completions", body), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertEquals("%E6%A8%A1%E5%9E%8B", r.header("x-oxllm-model"));
    });
  }

  @Test
  void echoStreamsCarryTheStreamHeadersAsProxiedOnesDo(VertxTestContext ctx) {
    JsonObject body = new JsonObject().put("model", "echo").put("stream", true)
        .put("messages", new JsonArray().add(msg("user", "a b")));
    verify(ctx, post("/v1/chat/completions", body), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertTrue(r.header("content-type").startsWith("text/event-stream"));
      assertEquals("no-cache", r.header("cache-control"));
      assertEquals("no", r.header("x-accel-buffering"));
    });
  }

  @Test
  void echoChatAnswersTheLastUserMessage(VertxTestContext ctx) {
    JsonObject body = new JsonObject().put("model", "echo").put("messages", new JsonArray()
        .add(msg("system", "be brief"))
        .add(msg("user", "first question"))
        .add(msg("assistant", "an answer"))
        .add(msg("user", "what is the capital of France")));
    verify(ctx, post("/v1/chat/completions", body), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertTrue(r.header("content-type").startsWith("application/json"));
      assertEquals("echo", r.header("x-oxllm-provider"));
      assertEquals("echo", r.header("x-oxllm-model"));
      assertEquals("1", r.header("x-oxllm-attempts"));
      assertRequestId(r);
      JsonObject j = r.json();
      assertEquals("chat.completion", j.getString("object"));
      JsonObject choice = j.getJsonArray("choices").getJsonObject(0);
      assertEquals("echo: what is the capital of France", choice.getJsonObject("message").getString("content"));
      assertEquals("assistant", choice.getJsonObject("message").getString("role"));
      assertEquals("stop", choice.getString("finish_reason"));
      JsonObject usage = j.getJsonObject("usage");
      assertEquals(7, usage.getInteger("completion_tokens"), "one token per word of the reply");
      assertEquals(usage.getInteger("prompt_tokens") + usage.getInteger("completion_tokens"),
          usage.getInteger("total_tokens"));
    });
  }

  @Test
  void defaultChainFailsOverFromADeadServerToEcho(VertxTestContext ctx) {
    JsonObject body = new JsonObject().put("model", "default")
        .put("messages", new JsonArray().add(msg("user", "hello there")));
    verify(ctx, post("/v1/chat/completions", body), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertEquals("echo", r.header("x-oxllm-provider"));
      assertEquals("2", r.header("x-oxllm-attempts"));
      assertEquals("echo: hello there",
          r.json().getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content"));
    });
  }

  private static float[] floats(JsonArray a) {
    float[] out = new float[a.size()];
    for (int i = 0; i < a.size(); i++) {
      out[i] = a.getNumber(i).floatValue();
    }
    return out;
  }

  @Test
  void echoEmbeddingsReturn16FloatsDeterministically(VertxTestContext ctx) {
    JsonObject body = new JsonObject().put("model", "echo").put("input", new JsonArray().add("hello").add("world"));
    Future<List<Response>> two = post("/v1/embeddings", body)
        .compose(first -> post("/v1/embeddings", body).map(second -> List.of(first, second)));
    verify(ctx, two, rs -> {
      Response r = rs.get(0);
      assertEquals(200, r.status(), r.bodyAsString());
      assertEquals("echo", r.header("x-oxllm-provider"));
      JsonArray data = r.json().getJsonArray("data");
      assertEquals(2, data.size());
      for (int i = 0; i < 2; i++) {
        JsonObject e = data.getJsonObject(i);
        assertEquals("embedding", e.getString("object"));
        assertEquals(i, e.getInteger("index"));
        JsonArray v = e.getJsonArray("embedding");
        assertEquals(16, v.size());
        v.forEach(x -> assertTrue(x instanceof Number, "a float: " + x));
      }
      assertNotEquals(data.getJsonObject(0).getJsonArray("embedding"), data.getJsonObject(1).getJsonArray("embedding"));
      assertEquals(data, rs.get(1).json().getJsonArray("data"), "same input, same vectors");
    });
  }

  @Test
  void echoEmbeddingsAsBase64DecodeToTheSameFloats(VertxTestContext ctx) {
    JsonObject asFloats = new JsonObject().put("model", "echo").put("input", "the quick brown fox");
    JsonObject asBase64 = asFloats.copy().put("encoding_format", "base64");
    Future<List<Response>> both = post("/v1/embeddings", asFloats)
        .compose(f -> post("/v1/embeddings", asBase64).map(b -> List.of(f, b)));
    verify(ctx, both, rs -> {
      assertEquals(200, rs.get(1).status(), rs.get(1).bodyAsString());
      float[] expected = floats(rs.get(0).json().getJsonArray("data").getJsonObject(0).getJsonArray("embedding"));
      String b64 = rs.get(1).json().getJsonArray("data").getJsonObject(0).getString("embedding");
      byte[] raw = Base64.getDecoder().decode(b64);
      assertEquals(16 * 4, raw.length, "16 little-endian float32 values");
      ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
      float[] got = new float[16];
      for (int i = 0; i < 16; i++) {
        got[i] = buf.getFloat();
      }
      assertArrayEquals(expected, got);
    });
  }

  @Test
  void echoCompletionsEchoThePrompt(VertxTestContext ctx) {
    verify(ctx, post("/v1/completions", new JsonObject().put("model", "echo").put("prompt", "say this")), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertEquals("echo: say this", r.json().getJsonArray("choices").getJsonObject(0).getString("text"));
    });
  }
}
