package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.assertError;
import static io.oxllm.testing.ApiChecks.assertRequestId;
import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.Gateway;
import io.oxllm.testing.Behaviour;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Upstream errors that are not failed over (a client 4xx, a 5xx outside retry_on: returned as they
 * came) and the all-rate-limited answer (429 with the soonest Retry-After).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class UpstreamErrorsTest {
  private static final String CHAT = "/v1/chat/completions";
  private static final String BODY = "{\"model\":\"chain\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String CHAIN = "[virtual_models]\nchain = [ { provider = \"pa\", model = \"ma\" },"
      + " { provider = \"pb\", model = \"mb\" } ]\n";

  private Vertx vertx;
  private HttpClient client;
  private TestUpstream a;
  private TestUpstream b;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    this.client = GatewayHarness.client(vertx);
    Future.all(TestUpstream.start(vertx), TestUpstream.start(vertx)).onComplete(ctx.succeeding(all -> {
      a = all.resultAt(0);
      b = all.resultAt(1);
      ctx.completeNow();
    }));
  }

  private Future<Response> run(String extraToml) {
    String toml = extraToml + GatewayHarness.provider("pa", a) + GatewayHarness.provider("pb", b) + CHAIN;
    return GatewayHarness.start(vertx, toml).map(Gateway::port)
        .compose(port -> GatewayHarness.post(client, port, CHAT, BODY));
  }

  /** The primary's answer reached the client unchanged, and the secondary was never asked. */
  private void expectReturnedAsIs(VertxTestContext ctx, String extraToml, int status, String upstreamBody) {
    a.respond(Behaviour.json(status, upstreamBody, Map.of("x-request-id", "up-err-1")));
    verify(ctx, run(extraToml), r -> {
      assertEquals(status, r.status());
      assertEquals(upstreamBody, r.bodyAsString(), "the upstream's body, byte for byte");
      assertEquals("application/json", r.header("content-type"));
      assertEquals("pa", r.header("x-oxllm-provider"));
      assertEquals("1", r.header("x-oxllm-attempts"));
      assertEquals("up-err-1", r.header("x-upstream-request-id"));
      assertRequestId(r);
      assertEquals(1, a.requestCount());
      assertEquals(0, b.requestCount(), "not failed over");
    });
  }

  private static String openAiError(String message, String type, String code) {
    return "{\n  \"error\": {\n    \"message\": \"" + message + "\",\n    \"type\": \"" + type
        + "\",\n    \"param\": null,\n    \"code\": \"" + code + "\"\n  }\n}\n";
  }

  @Test
  void upstream400IsReturnedAsItCame(VertxTestContext ctx) {
    expectReturnedAsIs(ctx, "", 400, openAiError("max_tokens is too large", "invalid_request_error", "bad"));
  }

  @Test
  void upstream401IsReturnedAsItCame(VertxTestContext ctx) {
    expectReturnedAsIs(ctx, "", 401, openAiError("Incorrect API key", "invalid_request_error", "invalid_api_key"));
  }

  @Test
  void upstream404IsReturnedAsItCame(VertxTestContext ctx) {
    expectReturnedAsIs(ctx, "", 404, openAiError("model ma not found", "invalid_request_error", "model_not_found"));
  }

  @Test
  void upstream422IsReturnedAsItCame(VertxTestContext ctx) {
    expectReturnedAsIs(ctx, "", 422, "{\"detail\":[{\"loc\":[\"body\",\"messages\"],\"msg\":\"field required\"}]}");
  }

  @Test
  void upstream501IsReturnedAsItCame(VertxTestContext ctx) {
    expectReturnedAsIs(ctx, "", 501, openAiError("not implemented", "server_error", "nope"));
  }

  @Test
  void a5xxRemovedFromRetryOnIsReturnedAsItCame(VertxTestContext ctx) {
    expectReturnedAsIs(ctx, "[routing]\nretry_on = [503]\n", 500, openAiError("boom", "server_error", "e"));
  }

  @Test
  void anErrorBodyThatQuotesTheProvidersKeyReachesTheClientWithoutIt(VertxTestContext ctx) {
    String key = "sk-live-0123456789abcdef";
    a.respond(Behaviour.json(401, openAiError("Incorrect API key provided: " + key + ".", "invalid_request_error",
        "invalid_api_key") + " ".repeat(70_000) + key, Map.of()));
    String toml = GatewayHarness.provider("pa", a) + "api_key = \"" + key + "\"\n" + GatewayHarness.provider("pb", b) + CHAIN;
    verify(ctx, GatewayHarness.start(vertx, toml).compose(g -> GatewayHarness.post(client, g.port(), CHAT, BODY)), r -> {
      assertEquals(401, r.status());
      String body = r.bodyAsString();
      assertTrue(!body.contains(key) && body.contains("Incorrect API key provided: [redacted]."), body);
      assertTrue(body.endsWith(" [redacted]"), "the body's end, past its first chunks, too");
      assertEquals(0, b.requestCount(), "not failed over");
    });
  }

  @Test
  void a200WhoseBodyIsAnErrorObjectFailsOver(VertxTestContext ctx) {
    // a server that answers a failure with 200 and {"error":…} (some aggregators do): it went to
    // the client as a 200 for non-stream requests, while a stream request failed over on it
    String error = "{\n  \"error\": {\"message\": \"upstream overloaded\", \"code\": 502}}";
    a.respond(Behaviour.json(200, error, Map.of()));
    b.respond(Behaviour.json(200, error, Map.of()));
    verify(ctx, run(""), r -> {
      assertError(r, 502, "upstream_error", "all_providers_failed");
      assertTrue(r.bodyAsString().contains("pa: error body with status 200: upstream overloaded"), r.bodyAsString());
      assertTrue(r.bodyAsString().contains("pb: error body with status 200: upstream overloaded"), r.bodyAsString());
    });
  }

  @Test
  void a200WhoseErrorIsNullIsTheAnswer(VertxTestContext ctx) {
    String answer = "{\"error\":null,\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[]}";
    a.respond(Behaviour.json(200, answer, Map.of()));
    verify(ctx, run(""), r -> {
      assertEquals(200, r.status());
      assertEquals(answer, r.bodyAsString());
      assertEquals("pa", r.header("x-oxllm-provider"));
      assertEquals(0, b.requestCount());
    });
  }

  /** Two requests, one after the other, through one gateway. */
  private Future<java.util.List<Response>> runTwice(String extraToml) {
    String toml = extraToml + GatewayHarness.provider("pa", a) + GatewayHarness.provider("pb", b) + CHAIN;
    return GatewayHarness.start(vertx, toml).map(Gateway::port)
        .compose(port -> GatewayHarness.post(client, port, CHAT, BODY)
            .compose(first -> GatewayHarness.post(client, port, CHAT, BODY).map(second -> java.util.List.of(first, second))));
  }

  @Test
  void a429OutsideRetryOnIsReturnedAndStillCoolsTheProviderDown(VertxTestContext ctx) {
    a.respond(Behaviour.error(429, "rate_limit_error", "slow down", Map.of("retry-after", "30")));
    verify(ctx, runTwice("[routing]\nretry_on = [503]\n"), rs -> {
      assertEquals(429, rs.get(0).status(), "returned as it came");
      assertEquals("pa", rs.get(0).header("x-oxllm-provider"));
      assertEquals(200, rs.get(1).status(), rs.get(1).bodyAsString());
      assertEquals("pb", rs.get(1).header("x-oxllm-provider"), "pa cools down for its Retry-After (SPEC 4)");
      assertEquals(1, a.requestCount());
    });
  }

  @Test
  void a408OutsideRetryOnIsReturnedAndStillCountsAsAFailure(VertxTestContext ctx) {
    a.respond(Behaviour.error(408, "timeout", "request timeout"));
    verify(ctx, runTwice("[routing]\nretry_on = [503]\n[breaker]\nfailure_threshold = 1\n"), rs -> {
      assertEquals(408, rs.get(0).status(), "returned as it came");
      assertEquals(200, rs.get(1).status(), rs.get(1).bodyAsString());
      assertEquals("pb", rs.get(1).header("x-oxllm-provider"), "one failure opened pa's circuit");
      assertEquals(1, a.requestCount());
    });
  }

  // ---- 429 -----------------------------------------------------------------------------------

  @Test
  void rateLimitedPrimaryFailsOver(VertxTestContext ctx) {
    a.respond(Behaviour.error(429, "rate_limit_error", "slow down", Map.of("retry-after", "7")));
    verify(ctx, run(""), r -> {
      assertEquals(200, r.status(), r.bodyAsString());
      assertEquals("pb", r.header("x-oxllm-provider"));
      assertEquals("2", r.header("x-oxllm-attempts"));
    });
  }

  @Test
  void allRateLimitedIs429WithTheSoonestRetryAfter(VertxTestContext ctx) {
    a.respond(Behaviour.error(429, "rate_limit_error", "a is limited", Map.of("retry-after", "7")));
    b.respond(Behaviour.error(429, "rate_limit_error", "b is limited", Map.of("retry-after", "3")));
    verify(ctx, run(""), r -> {
      assertError(r, 429, "rate_limit_error", "all_providers_rate_limited");
      assertEquals("3", r.header("retry-after"));
      assertEquals("2", r.header("x-oxllm-attempts"));
      assertEquals(1, a.requestCount());
      assertEquals(1, b.requestCount());
    });
  }

  @Test
  void allRateLimitedWithoutRetryAfterUsesTheDefaultCooldown(VertxTestContext ctx) {
    a.respond(Behaviour.error(429, "rate_limit_error", "limited"));
    b.respond(Behaviour.error(429, "rate_limit_error", "limited"));
    verify(ctx, run("[breaker]\nrate_limit_default_secs = 12\n"), r -> {
      assertError(r, 429, "rate_limit_error", "all_providers_rate_limited");
      assertEquals("12", r.header("retry-after"));
    });
  }

  @Test
  void retryAfterAsAnHttpDateIsUnderstood(VertxTestContext ctx) {
    String inTenSecs = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(10));
    a.respond(Behaviour.error(429, "rate_limit_error", "limited", Map.of("retry-after", inTenSecs)));
    b.respond(Behaviour.error(429, "rate_limit_error", "limited", Map.of("retry-after", "60")));
    verify(ctx, run(""), r -> {
      assertError(r, 429, "rate_limit_error", "all_providers_rate_limited");
      long secs = Long.parseLong(r.header("retry-after"));
      assertTrue(secs >= 8 && secs <= 11, "Retry-After from the HTTP date: " + secs);
    });
  }

  @Test
  void retryAfterIsCappedByRateLimitMaxSecs(VertxTestContext ctx) {
    a.respond(Behaviour.error(429, "rate_limit_error", "limited", Map.of("retry-after", "99999")));
    b.respond(Behaviour.error(429, "rate_limit_error", "limited", Map.of("retry-after", "88888")));
    verify(ctx, run("[breaker]\nrate_limit_max_secs = 100\n"), r -> {
      assertError(r, 429, "rate_limit_error", "all_providers_rate_limited");
      assertEquals("100", r.header("retry-after"));
    });
  }

  @Test
  void rateLimitPlusFailureIs502NotA429(VertxTestContext ctx) {
    a.respond(Behaviour.error(429, "rate_limit_error", "limited", Map.of("retry-after", "5")));
    b.respond(Behaviour.error(503, "server_error", "down"));
    verify(ctx, run(""), r -> {
      String message = assertError(r, 502, "upstream_error", "all_providers_failed").getString("message");
      assertTrue(message.contains("pa") && message.contains("429"), message);
      assertTrue(message.contains("pb") && message.contains("503"), message);
    });
  }
}
