package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.assertError;
import static io.oxllm.testing.ApiChecks.headers;
import static io.oxllm.testing.ApiChecks.jsonHeaders;
import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.Gateway;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The request-validation rows of the SPEC section 3 error table, on a real gateway: each error has
 * OpenAI's exact shape and an x-request-id, and a refused request never reaches the upstream.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
class ErrorTableTest {
  private static final String CHAT = "/v1/chat/completions";
  private static final String MSGS = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

  private Vertx vertx;
  private TestUpstream up;
  private HttpClient client;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    this.client = GatewayHarness.client(vertx);
    TestUpstream.start(vertx).onComplete(ctx.succeeding(u -> {
      up = u;
      ctx.completeNow();
    }));
  }

  private String config() {
    return GatewayHarness.provider("p1", up, "m1");
  }

  private Future<Integer> gateway(String toml) {
    return GatewayHarness.start(vertx, toml).map(Gateway::port);
  }

  /** Starts the default gateway and POSTs {@code body} as JSON to the chat route. */
  private Future<Response> chat(Buffer body) {
    return gateway(config()).compose(port -> GatewayHarness.send(client, port, HttpMethod.POST, CHAT,
        jsonHeaders(), body));
  }

  private void expectRejected(VertxTestContext ctx, Buffer body, int status, String code) {
    verify(ctx, chat(body), r -> {
      assertError(r, status, "invalid_request_error", code);
      assertEquals(0, up.requestCount(), "a refused request must not reach the upstream");
    });
  }

  // ---- 400 invalid_json ----------------------------------------------------------------------

  @Test
  void bodyThatIsNotJsonIs400InvalidJson(VertxTestContext ctx) {
    expectRejected(ctx, Buffer.buffer("model=m1&hello"), 400, "invalid_json");
  }

  @Test
  void jsonArrayIs400InvalidJson(VertxTestContext ctx) {
    expectRejected(ctx, Buffer.buffer("[{\"model\":\"m1\"," + MSGS + "}]"), 400, "invalid_json");
  }

  @Test
  void jsonScalarIs400InvalidJson(VertxTestContext ctx) {
    expectRejected(ctx, Buffer.buffer("\"m1\""), 400, "invalid_json");
  }

  @Test
  void emptyBodyIs400InvalidJson(VertxTestContext ctx) {
    expectRejected(ctx, Buffer.buffer(), 400, "invalid_json");
  }

  @Test
  void invalidUtf8InsideAStringIs400InvalidJson(VertxTestContext ctx) {
    // 0xC3 starts a two-byte sequence, 0x28 ('(') is not a continuation byte
    Buffer body = Buffer.buffer("{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"a")
        .appendByte((byte) 0xC3).appendByte((byte) 0x28)
        .appendString("b\"}]}");
    expectRejected(ctx, body, 400, "invalid_json");
  }

  @Test
  void trailingGarbageAfterTheObjectIs400InvalidJson(VertxTestContext ctx) {
    expectRejected(ctx, Buffer.buffer("{\"model\":\"m1\"," + MSGS + "} xyz"), 400, "invalid_json");
  }

  @Test
  void secondObjectAfterTheFirstIs400InvalidJson(VertxTestContext ctx) {
    expectRejected(ctx, Buffer.buffer("{\"model\":\"m1\"," + MSGS + "}{}"), 400, "invalid_json");
  }

  @Test
  void truncatedObjectIs400InvalidJson(VertxTestContext ctx) {
    expectRejected(ctx, Buffer.buffer("{\"model\":\"m1\"," + MSGS), 400, "invalid_json");
  }

  // ---- 400 missing_model ---------------------------------------------------------------------

  private void expectMissingModel(VertxTestContext ctx, String json) {
    verify(ctx, chat(Buffer.buffer(json)), r -> {
      assertEquals("model", assertError(r, 400, "invalid_request_error", "missing_model").getString("param"));
      assertEquals(0, up.requestCount());
    });
  }

  @Test
  void absentModelIs400MissingModel(VertxTestContext ctx) {
    expectMissingModel(ctx, "{" + MSGS + "}");
  }

  @Test
  void emptyModelIs400MissingModel(VertxTestContext ctx) {
    expectMissingModel(ctx, "{\"model\":\"\"," + MSGS + "}");
  }

  @Test
  void numericModelIs400MissingModel(VertxTestContext ctx) {
    expectMissingModel(ctx, "{\"model\":42," + MSGS + "}");
  }

  @Test
  void nullModelIs400MissingModel(VertxTestContext ctx) {
    expectMissingModel(ctx, "{\"model\":null," + MSGS + "}");
  }

  // ---- 404 model_not_found -------------------------------------------------------------------

  @Test
  void unknownModelIs404ModelNotFound(VertxTestContext ctx) {
    expectRejected(ctx, Buffer.buffer("{\"model\":\"nope\"," + MSGS + "}"), 404, "model_not_found");
  }

  // ---- 413 request_too_large -----------------------------------------------------------------

  private static final String SMALL_LIMIT = "[server]\nhost = \"127.0.0.1\"\nport = 0\ninstances = 1\n"
      + "max_body_bytes = 256\n";

  @Test
  void bodyOverMaxBodyBytesIs413(VertxTestContext ctx) {
    String big = "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(1000) + "\"}]}";
    verify(ctx, gateway(SMALL_LIMIT + config()).compose(port ->
        GatewayHarness.post(client, port, CHAT, big)), r -> {
          assertError(r, 413, "invalid_request_error", "request_too_large");
          assertEquals(0, up.requestCount());
        });
  }

  @Test
  void chunkedBodyOverMaxBodyBytesIs413(VertxTestContext ctx) {
    // no Content-Length: the limit must hold while the body streams in
    Future<Response> f = gateway(SMALL_LIMIT + config()).compose(port -> client.request(new RequestOptions()
            .setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port).setURI(CHAT)
            .setHeaders(jsonHeaders()))
        .compose(req -> {
          req.setChunked(true);
          for (int i = 0; i < 20; i++) {
            req.write(i == 0 ? "{\"model\":\"m1\",\"pad\":\"" : "x".repeat(100));
          }
          return req.send("\"}");
        })
        .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), resp.headers(), b))));
    verify(ctx, f, r -> {
      assertError(r, 413, "invalid_request_error", "request_too_large");
      assertEquals(0, up.requestCount());
    });
  }

  /** A chat body of exactly {@code size} bytes. */
  private static String bodyOfSize(int size) {
    String head = "{\"model\":\"m1\",\"pad\":\"";
    return head + "x".repeat(size - head.length() - 2) + "\"}";
  }

  @Test
  void bodyOfExactlyMaxBodyBytesIsServed(VertxTestContext ctx) {
    verify(ctx, gateway(SMALL_LIMIT + config()).compose(port ->
        GatewayHarness.post(client, port, CHAT, bodyOfSize(256))), r -> {
          assertEquals(200, r.status(), r.bodyAsString());
          assertEquals(256, up.lastReceived().body().length());
        });
  }

  @Test
  void bodyOneByteOverMaxBodyBytesIs413(VertxTestContext ctx) {
    verify(ctx, gateway(SMALL_LIMIT + config()).compose(port ->
        GatewayHarness.post(client, port, CHAT, bodyOfSize(257))), r -> {
          assertError(r, 413, "invalid_request_error", "request_too_large");
          assertEquals(0, up.requestCount());
        });
  }

  @Test
  void bodyUnderMaxBodyBytesIsServed(VertxTestContext ctx) {
    verify(ctx, gateway(SMALL_LIMIT + config()).compose(port ->
        GatewayHarness.post(client, port, CHAT, "{\"model\":\"m1\"," + MSGS + "}")), r -> {
          assertEquals(200, r.status(), r.bodyAsString());
          assertEquals(1, up.requestCount());
        });
  }

  // ---- 415 unsupported_media_type ------------------------------------------------------------

  private Future<Response> chatWith(MultiMap headers) {
    return gateway(config()).compose(port -> GatewayHarness.send(client, port, HttpMethod.POST, CHAT,
        headers, Buffer.buffer("{\"model\":\"m1\"," + MSGS + "}")));
  }

  @Test
  void textPlainIs415(VertxTestContext ctx) {
    verify(ctx, chatWith(headers("content-type", "text/plain")), r -> {
      assertError(r, 415, "invalid_request_error", "unsupported_media_type");
      assertEquals(0, up.requestCount());
    });
  }

  @Test
  void jsonWithCharsetIsAccepted(VertxTestContext ctx) {
    verify(ctx, chatWith(headers("content-type", "application/json; charset=utf-8")),
        r -> assertEquals(200, r.status(), r.bodyAsString()));
  }

  @Test
  void absentContentTypeIsAccepted(VertxTestContext ctx) {
    verify(ctx, chatWith(headers()), r -> assertEquals(200, r.status(), r.bodyAsString()));
  }

  // ---- 404 unknown path / 405 wrong method ---------------------------------------------------

  private Future<Response> call(HttpMethod method, String path) {
    return gateway(config()).compose(port -> GatewayHarness.send(client, port, method, path,
        jsonHeaders(), method == HttpMethod.GET ? null : Buffer.buffer("{\"model\":\"m1\"}")));
  }

  @Test
  void unknownV1PathIs404(VertxTestContext ctx) {
    verify(ctx, call(HttpMethod.POST, "/v1/nope"), r -> assertError(r, 404, "invalid_request_error", null));
  }

  @Test
  void unknownPathOutsideV1Is404(VertxTestContext ctx) {
    verify(ctx, call(HttpMethod.GET, "/nothing/here"), r -> assertError(r, 404, "invalid_request_error", null));
  }

  @Test
  void getOnChatCompletionsIs405WithAllowPost(VertxTestContext ctx) {
    verify(ctx, call(HttpMethod.GET, CHAT), r -> {
      assertError(r, 405, "invalid_request_error", null);
      assertEquals("POST", r.header("allow"));
    });
  }

  @Test
  void postOnModelsIs405WithAllowGet(VertxTestContext ctx) {
    verify(ctx, call(HttpMethod.POST, "/v1/models"), r -> {
      assertError(r, 405, "invalid_request_error", null);
      assertTrue(r.header("allow") != null && r.header("allow").contains("GET"), "Allow: " + r.header("allow"));
    });
  }

  @Test
  void deleteOnEmbeddingsIs405WithAllowPost(VertxTestContext ctx) {
    verify(ctx, call(HttpMethod.DELETE, "/v1/embeddings"), r -> {
      assertError(r, 405, "invalid_request_error", null);
      assertEquals("POST", r.header("allow"));
      assertEquals(0, up.requestCount());
    });
  }

  /** vertx-web matches these to the route, so they are its 405, and the Allow must be there too (an audit). */
  @Test
  void aWrongMethodOnAPathWithATrailingOrDoubledSlashIs405WithItsAllow(VertxTestContext ctx) {
    verify(ctx, call(HttpMethod.GET, "/v1/completions/")
        .compose(a -> call(HttpMethod.GET, "/v1//embeddings").map(b -> List.of(a, b)))
        .compose(ab -> call(HttpMethod.PUT, "/healthz/").map(c -> List.of(ab.get(0), ab.get(1), c))), rs -> {
          for (Response r : rs.subList(0, 2)) {
            assertError(r, 405, "invalid_request_error", null);
            assertEquals("POST", r.header("allow"));
          }
          assertError(rs.get(2), 405, "invalid_request_error", null);
          assertEquals("GET, HEAD", rs.get(2).header("allow"));
        });
  }
}
