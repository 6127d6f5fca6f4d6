package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.assertError;
import static io.oxllm.testing.ApiChecks.assertRequestId;
import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.oxllm.Gateway;
import io.oxllm.testing.Behaviour;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.TestUpstream;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Model resolution (SPEC section 3): virtual model → its chain; a served name → the enabled
 * providers serving it in config order; {@code provider/model} → that provider with the rest as
 * the model; else 404. And {@code GET /v1/models}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
class ModelResolutionTest {
  private static final String CHAT = "/v1/chat/completions";

  private TestUpstream dis;
  private TestUpstream up1;
  private TestUpstream up2;
  private HttpClient client;
  private int port;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    client = GatewayHarness.client(vertx);
    Future.all(TestUpstream.start(vertx), TestUpstream.start(vertx), TestUpstream.start(vertx))
        .compose(all -> {
          dis = all.resultAt(0);
          up1 = all.resultAt(1);
          up2 = all.resultAt(2);
          // config order: the disabled provider first, so "first in config order" must skip it
          String toml = GatewayHarness.provider("pdis", dis, "shared", "m-dis") + "enabled = false\n"
              + GatewayHarness.provider("p1", up1, "shared", "only1", "p2/special")
              + GatewayHarness.provider("p2", up2, "shared", "smart")
              + "[virtual_models]\n"
              + "smart = [ { provider = \"p1\", model = \"m-a\" }, { provider = \"p2\", model = \"m-b\" } ]\n"
              + "fast = [ { provider = \"p2\", model = \"fast-upstream\" } ]\n";
          return GatewayHarness.start(vertx, toml);
        })
        .map(Gateway::port)
        .onComplete(ctx.succeeding(p -> {
          port = p;
          ctx.completeNow();
        }));
  }

  private Future<Response> chat(String model) {
    return GatewayHarness.post(client, port, CHAT, new JsonObject().put("model", model)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")))
        .encode());
  }

  /** 200 from {@code provider} (by the gateway's headers), which received {@code upstreamModel}. */
  private void assertServed(Response r, TestUpstream upstream, String provider, String upstreamModel) {
    assertEquals(200, r.status(), r.bodyAsString());
    assertEquals(provider, r.header("x-oxllm-provider"));
    assertEquals(upstreamModel, r.header("x-oxllm-model"));
    assertEquals("1", r.header("x-oxllm-attempts"));
    assertEquals(1, upstream.requestCount(), provider + " requests");
    assertEquals(upstreamModel, upstream.lastReceived().bodyAsJson().getString("model"));
    assertEquals("/v1/chat/completions", upstream.lastReceived().path());
    assertEquals(1, up1.requestCount() + up2.requestCount() + dis.requestCount(), "exactly one upstream request");
  }

  @Test
  void virtualModelGoesToItsChain(VertxTestContext ctx) {
    verify(ctx, chat("fast"), r -> assertServed(r, up2, "p2", "fast-upstream"));
  }

  @Test
  void servedModelGoesToFirstEnabledProviderInConfigOrder(VertxTestContext ctx) {
    verify(ctx, chat("shared"), r -> assertServed(r, up1, "p1", "shared"));
  }

  @Test
  void servedModelFailsOverToTheNextProviderServingIt(VertxTestContext ctx) {
    up1.respond(Behaviour.error(503, "server_error", "busy"));
    verify(ctx, chat("shared"), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertEquals("p2", r.header("x-oxllm-provider"));
      assertEquals("2", r.header("x-oxllm-attempts"));
      assertEquals("shared", up2.lastReceived().bodyAsJson().getString("model"));
      assertEquals(0, dis.requestCount(), "a disabled provider is never tried");
    });
  }

  @Test
  void providerSlashModelGoesToThatProviderWithTheModelPassedOn(VertxTestContext ctx) {
    verify(ctx, chat("p2/some-model"), r -> assertServed(r, up2, "p2", "some-model"));
  }

  @Test
  void providerSlashModelKeepsFurtherSlashesInTheModel(VertxTestContext ctx) {
    verify(ctx, chat("p1/org/model"), r -> assertServed(r, up1, "p1", "org/model"));
  }

  @Test
  void providerSlashModelWorksForAModelTheProviderDoesNotList(VertxTestContext ctx) {
    verify(ctx, chat("p1/only1"), r -> assertServed(r, up1, "p1", "only1"));
  }

  @Test
  void servedNameWinsOverProviderSlashModel(VertxTestContext ctx) {
    // "p2/special" is listed in p1's models: rule 2 (served name) comes before rule 3 (provider/model)
    verify(ctx, chat("p2/special"), r -> assertServed(r, up1, "p1", "p2/special"));
  }

  @Test
  void virtualModelWinsOverAServedModelOfTheSameName(VertxTestContext ctx) {
    verify(ctx, chat("smart"), r -> assertServed(r, up1, "p1", "m-a"));
  }

  @Test
  void modelServedOnlyByADisabledProviderIs404(VertxTestContext ctx) {
    verify(ctx, chat("m-dis"), r -> {
      assertError(r, 404, "invalid_request_error", "model_not_found");
      assertEquals(0, dis.requestCount());
    });
  }

  @Test
  void disabledProviderSlashModelIs404(VertxTestContext ctx) {
    verify(ctx, chat("pdis/m-dis"), r -> {
      assertError(r, 404, "invalid_request_error", "model_not_found");
      assertEquals(0, dis.requestCount());
    });
  }

  @Test
  void unknownModelIs404(VertxTestContext ctx) {
    verify(ctx, chat("nope"), r -> assertError(r, 404, "invalid_request_error", "model_not_found"));
  }

  @Test
  void unknownProviderSlashModelIs404(VertxTestContext ctx) {
    verify(ctx, chat("nope/m1"), r -> assertError(r, 404, "invalid_request_error", "model_not_found"));
  }

  @Test
  void providerWithEmptyModelPartIs404(VertxTestContext ctx) {
    verify(ctx, chat("p1/"), r -> {
      assertError(r, 404, "invalid_request_error", "model_not_found");
      assertEquals(0, up1.requestCount());
    });
  }

  @Test
  void modelsListsVirtualThenServedModelsWithOwners(VertxTestContext ctx) {
    verify(ctx, GatewayHarness.send(client, port, HttpMethod.GET, "/v1/models",
        MultiMap.caseInsensitiveMultiMap(), null), r -> {
          assertEquals(200, r.status(), r.bodyAsString());
          assertRequestId(r);
          assertEquals("list", r.json().getString("object"));
          JsonArray data = r.json().getJsonArray("data");
          Map<String, String> owners = new LinkedHashMap<>();
          for (int i = 0; i < data.size(); i++) {
            JsonObject m = data.getJsonObject(i);
            assertEquals("model", m.getString("object"), m.encode());
            assertEquals(null, owners.put(m.getString("id"), m.getString("owned_by")), "listed once: " + m);
          }
          Map<String, String> expected = new LinkedHashMap<>();
          expected.put("smart", "oxllm");
          expected.put("fast", "oxllm");
          expected.put("shared", "p1");
          expected.put("only1", "p1");
          expected.put("p2/special", "p1");
          assertEquals(expected, owners, "virtual models first (owned_by oxllm), then served models; "
              + "a model only a disabled provider lists is not offered");
          assertEquals(0, up1.requestCount() + up2.requestCount() + dis.requestCount());
        });
  }

  @Test
  void oneModelByIdIsItsEntryOfTheListOr404(VertxTestContext ctx) {
    MultiMap none = MultiMap.caseInsensitiveMultiMap();
    java.util.List<String> ids = java.util.List.of("smart", "shared", "p2/special", "p2/anything", "nope", "pdis/x",
        "p2//x", "p2%2F%2Fx", "/smart", "p2/a%00b", "p2/%C3", "p2/" + "a".repeat(254), "p2/%zz");
    Future<java.util.List<Response>> all = Future.succeededFuture(java.util.List.of());
    for (String id : ids) {
      all = all.compose(done -> GatewayHarness.send(client, port, HttpMethod.GET, "/v1/models/" + id, none, null)
          .map(r -> {
            java.util.List<Response> more = new java.util.ArrayList<>(done);
            more.add(r);
            return more;
          }));
    }
    verify(ctx, all, rs -> {
      assertEquals(new JsonObject().put("id", "smart").put("object", "model").put("created", 0).put("owned_by", "oxllm"),
          rs.get(0).json());
      assertEquals("p1", rs.get(1).json().getString("owned_by"));
      assertEquals("p1", rs.get(2).json().getString("owned_by"), "a served name with a slash is the served model");
      assertEquals("p2", rs.get(3).json().getString("owned_by"), "provider/model resolves, so it exists");
      assertEquals("p2/anything", rs.get(3).json().getString("id"));
      assertError(rs.get(4), 404, "invalid_request_error", "model_not_found");
      assertError(rs.get(5), 404, "invalid_request_error", "model_not_found");  // a disabled provider
      // the id as sent, decoded: "p2//x" is p2's "/x", as a request for it would route; "/smart" is nothing
      assertEquals("p2//x", rs.get(6).json().getString("id"));
      assertEquals("p2//x", rs.get(7).json().getString("id"));
      assertError(rs.get(8), 404, "invalid_request_error", "model_not_found");
      assertError(rs.get(9), 404, "invalid_request_error", "model_not_found"); // no name holds a control character
      assertError(rs.get(10), 404, "invalid_request_error", "model_not_found"); // broken UTF-8 names nothing
      assertError(rs.get(11), 404, "invalid_request_error", "model_not_found"); // longer than a request may name
      assertError(rs.get(12), 400, "invalid_request_error", "malformed_request"); // a bad escape: JSON, not plain text
      assertEquals(0, up1.requestCount() + up2.requestCount() + dis.requestCount());
    });
  }
}
