package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.assertError;
import static io.oxllm.testing.ApiChecks.assertRequestId;
import static io.oxllm.testing.ApiChecks.jsonHeaders;
import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * x-request-id (SPEC section 3): the client's id is echoed and sent upstream when it matches
 * {@code [A-Za-z0-9._:-]{1,128}}; otherwise the gateway generates one, and uses that same id
 * toward the upstream.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
class RequestIdTest {
  private static final String CHAT = "/v1/chat/completions";
  private static final String BODY = "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  private Vertx vertx;
  private TestUpstream up;
  private HttpClient client;
  private int port;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    this.client = GatewayHarness.client(vertx);
    TestUpstream.start(vertx)
        .compose(u -> {
          up = u;
          return GatewayHarness.start(vertx, GatewayHarness.provider("p1", up, "m1"));
        })
        .map(Gateway::port)
        .onComplete(ctx.succeeding(p -> {
          port = p;
          ctx.completeNow();
        }));
  }

  private Future<Response> chat(MultiMap headers, String body) {
    return GatewayHarness.send(client, port, HttpMethod.POST, CHAT, headers, Buffer.buffer(body));
  }

  private void expectEchoed(VertxTestContext ctx, String id) {
    verify(ctx, chat(jsonHeaders("x-request-id", id), BODY), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertEquals(id, r.header("x-request-id"));
      assertEquals(id, up.lastReceived().header("x-request-id"), "the upstream gets the same id");
    });
  }

  private void expectReplaced(VertxTestContext ctx, String id) {
    verify(ctx, chat(jsonHeaders("x-request-id", id), BODY), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      String generated = assertRequestId(r);
      assertNotEquals(id, generated);
      assertEquals(generated, up.lastReceived().header("x-request-id"),
          "the upstream gets the generated id, not the client's");
    });
  }

  @Test
  void validClientIdIsEchoedAndForwarded(VertxTestContext ctx) {
    expectEchoed(ctx, "req-42.abc_DEF:xyz");
  }

  @Test
  void clientIdOf128CharactersIsEchoed(VertxTestContext ctx) {
    expectEchoed(ctx, "a".repeat(64) + "Z9._:-".repeat(10) + "b".repeat(4));
  }

  @Test
  void singleCharacterClientIdIsEchoed(VertxTestContext ctx) {
    expectEchoed(ctx, "7");
  }

  @Test
  void clientIdWithASpaceIsReplaced(VertxTestContext ctx) {
    expectReplaced(ctx, "my request");
  }

  @Test
  void clientIdOf200CharactersIsReplaced(VertxTestContext ctx) {
    expectReplaced(ctx, "x".repeat(200));
  }

  @Test
  void clientIdOf129CharactersIsReplaced(VertxTestContext ctx) {
    expectReplaced(ctx, "y".repeat(129));
  }

  @Test
  void clientIdWithASlashIsReplaced(VertxTestContext ctx) {
    expectReplaced(ctx, "a/b");
  }

  @Test
  void absentIdIsGeneratedAndDiffersPerRequest(VertxTestContext ctx) {
    Future<List<Response>> two = chat(jsonHeaders(), BODY)
        .compose(a -> chat(jsonHeaders(), BODY).map(b -> List.of(a, b)));
    verify(ctx, two, rs -> {
      String first = assertRequestId(rs.get(0));
      String second = assertRequestId(rs.get(1));
      assertNotEquals(first, second);
      assertEquals(first, up.received().get(0).header("x-request-id"));
      assertEquals(second, up.received().get(1).header("x-request-id"));
    });
  }

  @Test
  void validClientIdIsEchoedOnGatewayErrors(VertxTestContext ctx) {
    verify(ctx, chat(jsonHeaders("x-request-id", "err-1"), "{\"model\":\"nope\"}"), r -> {
      assertError(r, 404, "invalid_request_error", "model_not_found");
      assertEquals("err-1", r.header("x-request-id"));
    });
  }

  @Test
  void validClientIdIsEchoedOnRoutingErrors(VertxTestContext ctx) {
    verify(ctx, GatewayHarness.send(client, port, HttpMethod.GET, "/v1/does-not-exist",
        jsonHeaders("x-request-id", "err-2"), null), r -> {
          assertError(r, 404, "invalid_request_error", null);
          assertEquals("err-2", r.header("x-request-id"));
        });
  }

  @Test
  void invalidClientIdIsReplacedOnErrors(VertxTestContext ctx) {
    verify(ctx, chat(jsonHeaders("x-request-id", "bad id"), "not json"), r -> {
      assertError(r, 400, "invalid_request_error", "invalid_json");
      assertNotEquals("bad id", r.header("x-request-id"));
    });
  }

  @Test
  void upstreamsOwnRequestIdDoesNotReplaceOurs(VertxTestContext ctx) {
    up.respond(ex -> ex.response().setStatusCode(200).putHeader("content-type", "application/json")
        .putHeader("x-request-id", "upstream-id-9").end("{\"ok\":true}"));
    verify(ctx, chat(jsonHeaders("x-request-id", "mine-1"), BODY), r -> {
      assertEquals(200, r.status());
      assertEquals(List.of("mine-1"), r.headers().getAll("x-request-id"));
      assertEquals("upstream-id-9", r.header("x-upstream-request-id"));
    });
  }
}
