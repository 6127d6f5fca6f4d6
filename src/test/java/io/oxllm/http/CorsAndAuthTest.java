package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.assertError;
import static io.oxllm.testing.ApiChecks.assertErrorShape;
import static io.oxllm.testing.ApiChecks.assertRequestId;
import static io.oxllm.testing.ApiChecks.headers;
import static io.oxllm.testing.ApiChecks.jsonHeaders;
import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** API keys ({@code auth.api_keys}) and CORS ({@code server.cors_origins}) on the /v1 routes. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
class CorsAndAuthTest {
  private static final String CHAT = "/v1/chat/completions";
  private static final Buffer BODY = Buffer.buffer(
      "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  private static final String SERVER = "[server]\nhost = \"127.0.0.1\"\nport = 0\ninstances = 1\n";
  private static final String KEYS = "[auth]\napi_keys = [\"key-one\", \"key-two\"]\n";

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

  /** Starts a gateway from {@code toml} + one provider, then sends one request. */
  private Future<Response> send(String toml, HttpMethod method, String path, MultiMap headers, Buffer body) {
    return GatewayHarness.start(vertx, toml + GatewayHarness.provider("p1", up, "m1")).map(Gateway::port)
        .compose(port -> GatewayHarness.send(client, port, method, path, headers, body));
  }

  private static Set<String> tokens(String headerValue) {
    assertNotNull(headerValue);
    return Arrays.stream(headerValue.split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT))
        .collect(Collectors.toSet());
  }

  // ---- API keys ------------------------------------------------------------------------------

  @Test
  void missingApiKeyIs401(VertxTestContext ctx) {
    verify(ctx, send(KEYS, HttpMethod.POST, CHAT, jsonHeaders(), BODY), r -> {
      assertError(r, 401, "authentication_error", "invalid_api_key");
      assertEquals(0, up.requestCount());
    });
  }

  @Test
  void wrongApiKeyIs401(VertxTestContext ctx) {
    verify(ctx, send(KEYS, HttpMethod.POST, CHAT, jsonHeaders("authorization", "Bearer key-three"), BODY), r -> {
      assertError(r, 401, "authentication_error", "invalid_api_key");
      assertEquals(0, up.requestCount());
    });
  }

  @Test
  void nonBearerAuthorizationIs401(VertxTestContext ctx) {
    verify(ctx, send(KEYS, HttpMethod.POST, CHAT, jsonHeaders("authorization", "Basic a2V5LW9uZTo="), BODY),
        r -> assertError(r, 401, "authentication_error", "invalid_api_key"));
  }

  @Test
  void rightApiKeyPassesAndIsNotForwarded(VertxTestContext ctx) {
    verify(ctx, send(KEYS, HttpMethod.POST, CHAT, jsonHeaders("authorization", "Bearer key-two"), BODY), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertEquals(1, up.requestCount());
      // the provider has no api_key: no Authorization at all upstream, certainly not the client's
      assertNull(up.lastReceived().header("authorization"));
    });
  }

  @Test
  void modelsListNeedsTheApiKeyToo(VertxTestContext ctx) {
    verify(ctx, send(KEYS, HttpMethod.GET, "/v1/models", headers(), null),
        r -> assertError(r, 401, "authentication_error", "invalid_api_key"));
  }

  @Test
  void healthzNeedsNoApiKey(VertxTestContext ctx) {
    verify(ctx, send(KEYS, HttpMethod.GET, "/healthz", headers(), null), r -> assertEquals(200, r.status()));
  }

  // ---- CORS, default cors_origins = ["*"] ----------------------------------------------------

  private static MultiMap preflight(String origin) {
    return headers("origin", origin, "access-control-request-method", "POST",
        "access-control-request-headers", "authorization, content-type, x-request-id");
  }

  @Test
  void preflightAnswers204WithoutApiKey(VertxTestContext ctx) {
    verify(ctx, send(KEYS, HttpMethod.OPTIONS, CHAT, preflight("https://app.example"), null), r -> {
      assertEquals(204, r.status(), r.bodyAsString());
      assertRequestId(r);
      String allowOrigin = r.header("access-control-allow-origin");
      assertTrue("*".equals(allowOrigin) || "https://app.example".equals(allowOrigin), "ACAO " + allowOrigin);
      assertTrue(tokens(r.header("access-control-allow-headers"))
          .containsAll(Set.of("authorization", "content-type", "x-request-id")),
          "Access-Control-Allow-Headers: " + r.header("access-control-allow-headers"));
      assertTrue(tokens(r.header("access-control-allow-methods")).contains("post"),
          "Access-Control-Allow-Methods: " + r.header("access-control-allow-methods"));
      assertEquals(0, up.requestCount());
    });
  }

  @Test
  void preflightAllowsTheSdksOwnHeadersBesideTheThreeNamed(VertxTestContext ctx) {
    MultiMap asks = headers("origin", "https://app.example", "access-control-request-method", "POST",
        "access-control-request-headers", "x-stainless-os,x-stainless-lang, authorization,content-type");
    verify(ctx, send(ONLY_A.replace("a.example", "app.example"), HttpMethod.OPTIONS, CHAT, asks, null)
        .compose(listed -> send("", HttpMethod.OPTIONS, CHAT, asks, null).map(any -> List.of(listed, any))), rs -> {
          for (Response r : rs) {
            assertEquals(204, r.status(), r.bodyAsString());
            assertEquals(Set.of("authorization", "content-type", "x-request-id", "x-stainless-os", "x-stainless-lang"),
                tokens(r.header("access-control-allow-headers")));
            assertTrue(tokens(r.header("vary")).contains("access-control-request-headers"), "Vary: " + r.header("vary"));
          }
        });
  }

  @Test
  void aPreflightAskingForNoHeadersStillVariesOnThem(VertxTestContext ctx) {
    // its Allow-Headers would differ had it asked for some: a cache must not hand it to one that does
    MultiMap asks = headers("origin", "https://app.example", "access-control-request-method", "POST");
    verify(ctx, send("", HttpMethod.OPTIONS, CHAT, asks, null), r -> {
      assertEquals(204, r.status(), r.bodyAsString());
      assertEquals(Set.of("authorization", "content-type", "x-request-id"), tokens(r.header("access-control-allow-headers")));
      assertTrue(tokens(r.header("vary")).contains("access-control-request-headers"), "Vary: " + r.header("vary"));
    });
  }

  @Test
  void preflightReadsEveryLineOfItsRequestedHeaders(VertxTestContext ctx) {
    MultiMap asks = headers("origin", "https://app.example", "access-control-request-method", "POST",
        "access-control-request-headers", "x-stainless-os", "access-control-request-headers", "x-stainless-lang, authorization");
    verify(ctx, send("", HttpMethod.OPTIONS, CHAT, asks, null), r -> {
      assertEquals(204, r.status(), r.bodyAsString());
      assertEquals(Set.of("authorization", "content-type", "x-request-id", "x-stainless-os", "x-stainless-lang"),
          tokens(r.header("access-control-allow-headers")));
    });
  }

  @Test
  void responseToACorsRequestExposesGatewayHeaders(VertxTestContext ctx) {
    verify(ctx, send("", HttpMethod.POST, CHAT, jsonHeaders("origin", "https://app.example"), BODY), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      String allowOrigin = r.header("access-control-allow-origin");
      assertTrue("*".equals(allowOrigin) || "https://app.example".equals(allowOrigin), "ACAO " + allowOrigin);
      Set<String> exposed = tokens(r.header("access-control-expose-headers"));
      assertTrue(exposed.containsAll(Set.of("x-request-id", "x-oxllm-provider", "x-oxllm-model",
          "x-oxllm-attempts")), "Access-Control-Expose-Headers: " + exposed);
      // any other x-* header (an upstream's own x-ratelimit-* names) for requests without credentials
      assertTrue(exposed.contains("*"), "Access-Control-Expose-Headers: " + exposed);
    });
  }

  @Test
  void errorToACorsRequestStillCarriesCorsHeaders(VertxTestContext ctx) {
    // a browser can only read the 401 body if the error carries Access-Control-Allow-Origin
    verify(ctx, send(KEYS, HttpMethod.POST, CHAT, jsonHeaders("origin", "https://app.example"), BODY), r -> {
      assertError(r, 401, "authentication_error", "invalid_api_key");
      assertNotNull(r.header("access-control-allow-origin"), "ACAO on the error");
    });
  }

  // ---- CORS, an explicit origin list ---------------------------------------------------------

  private static final String ONLY_A = SERVER + "cors_origins = [\"https://a.example\"]\n";

  @Test
  void listedOriginIsAllowedByName(VertxTestContext ctx) {
    verify(ctx, send(ONLY_A, HttpMethod.POST, CHAT, jsonHeaders("origin", "https://a.example"), BODY), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertEquals("https://a.example", r.header("access-control-allow-origin"));
    });
  }

  @Test
  void aSingleListedOriginStillVariesOnOrigin(VertxTestContext ctx) {
    // the answer depends on Origin (allowed, or 403): a shared cache must not give one origin's to another
    verify(ctx, send(ONLY_A, HttpMethod.GET, "/v1/models", headers("origin", "https://a.example"), null), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertEquals(Set.of("origin"), tokens(r.header("vary")));
    });
  }

  @Test
  void varyNamesOriginOnceWhereVertxWebNamesItToo(VertxTestContext ctx) {
    String two = SERVER + "cors_origins = [\"https://a.example\", \"https://b.example\"]\n";
    verify(ctx, send(two, HttpMethod.POST, CHAT, jsonHeaders("origin", "https://a.example"), BODY), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      // it said "Origin,origin" (an audit): ours and vertx-web's
      assertEquals(List.of("origin"), Arrays.stream(String.join(",", r.headers().getAll("vary")).split(","))
          .map(s -> s.trim().toLowerCase(Locale.ROOT)).toList());
    });
  }

  @Test
  void listedOriginPreflightIs204(VertxTestContext ctx) {
    verify(ctx, send(ONLY_A, HttpMethod.OPTIONS, CHAT, preflight("https://a.example"), null), r -> {
      assertEquals(204, r.status());
      assertEquals("https://a.example", r.header("access-control-allow-origin"));
    });
  }

  @Test
  void otherOriginIsRefused(VertxTestContext ctx) {
    verify(ctx, send(ONLY_A, HttpMethod.POST, CHAT, jsonHeaders("origin", "https://evil.example"), BODY), r -> {
      String allowOrigin = r.header("access-control-allow-origin");
      assertNotEquals("*", allowOrigin);
      assertNotEquals("https://evil.example", allowOrigin);
    });
  }

  @Test
  void otherOriginPreflightIsRefused(VertxTestContext ctx) {
    verify(ctx, send(ONLY_A, HttpMethod.OPTIONS, CHAT, preflight("https://evil.example"), null), r -> {
      String allowOrigin = r.header("access-control-allow-origin");
      assertNotEquals("*", allowOrigin);
      assertNotEquals("https://evil.example", allowOrigin);
      assertEquals(0, up.requestCount());
    });
  }

  @Test
  void refusedOriginErrorIsAnOpenAiError(VertxTestContext ctx) {
    // SPEC 3: errors are always JSON in OpenAI's shape, with an x-request-id; a refused origin is
    // answered 403 (vertx-web's CorsHandler status), so that answer must be one of our errors too
    verify(ctx, send(ONLY_A, HttpMethod.POST, CHAT, jsonHeaders("origin", "https://evil.example"), BODY), r -> {
      assertEquals(0, up.requestCount(), "a refused origin must not reach the upstream");
      assertErrorShape(r, 403);
    });
  }

  @Test
  void aRefusedOriginsStatusLineSaysForbidden(VertxTestContext ctx) {
    // vertx-web's own reason phrase ("CORS Rejected - Invalid origin") is not the status line's
    verify(ctx, GatewayHarness.start(vertx, ONLY_A + GatewayHarness.provider("p1", up, "m1")).map(Gateway::port)
        .compose(port -> client.request(HttpMethod.POST, port, "127.0.0.1", CHAT)
            .compose(req -> req.putHeader("origin", "https://evil.example").putHeader("content-type", "application/json")
                .send(BODY))
            .compose(resp -> resp.body().map(b -> resp.statusCode() + " " + resp.statusMessage()))),
        line -> assertEquals("403 Forbidden", line));
  }

  // ---- CORS off ------------------------------------------------------------------------------

  private static final String CORS_OFF = SERVER + "cors_origins = []\n";

  @Test
  void emptyOriginListSendsNoCorsHeaders(VertxTestContext ctx) {
    verify(ctx, send(CORS_OFF, HttpMethod.POST, CHAT, jsonHeaders("origin", "https://app.example"), BODY), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertNull(r.header("access-control-allow-origin"));
      assertNull(r.header("access-control-expose-headers"));
    });
  }

  @Test
  void emptyOriginListAnswersNoPreflight(VertxTestContext ctx) {
    verify(ctx, send(CORS_OFF, HttpMethod.OPTIONS, CHAT, preflight("https://app.example"), null), r -> {
      assertNull(r.header("access-control-allow-origin"));
      assertNull(r.header("access-control-allow-headers"));
      assertEquals(0, up.requestCount());
    });
  }
}
