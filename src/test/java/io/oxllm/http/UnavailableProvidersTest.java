package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.assertError;
import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Targets skipped because their circuit is open or they are cooling down after a 429 (SPEC
 * section 4), seen from the data plane: skipped targets are not attempts, and when nothing is left
 * the answer is 503 no_healthy_provider or 429 all_providers_rate_limited.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class UnavailableProvidersTest {
  private static final String CHAT = "/v1/chat/completions";
  private static final String BODY = "{\"model\":\"chain\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  /** One failure opens a circuit for a minute: long enough to outlast the test. */
  private static final String TRIP_FAST = "[breaker]\nfailure_threshold = 1\nopen_base_secs = 60\n";

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

  private String onlyA(String extra) {
    return extra + GatewayHarness.provider("pa", a)
        + "[virtual_models]\nchain = [ { provider = \"pa\", model = \"ma\" } ]\n";
  }

  private String aThenB(String extra) {
    return extra + GatewayHarness.provider("pa", a) + GatewayHarness.provider("pb", b)
        + "[virtual_models]\nchain = [ { provider = \"pa\", model = \"ma\" }, { provider = \"pb\", model = \"mb\" } ]\n";
  }

  /** Starts the gateway, then sends the chat request twice, one after the other. */
  private Future<List<Response>> twice(String toml) {
    return GatewayHarness.start(vertx, toml).map(Gateway::port).compose(port ->
        GatewayHarness.post(client, port, CHAT, BODY).compose(first ->
            GatewayHarness.post(client, port, CHAT, BODY).map(second -> List.of(first, second))));
  }

  private static void assertNoAttempts(Response r) {
    String attempts = r.header("x-oxllm-attempts");
    assertTrue(attempts == null || attempts.equals("0"), "no real attempt, got x-oxllm-attempts " + attempts);
  }

  @Test
  void openCircuitOnEveryTargetIs503NoHealthyProvider(VertxTestContext ctx) {
    a.respond(Behaviour.error(503, "server_error", "down"));
    verify(ctx, twice(onlyA(TRIP_FAST)), rs -> {
      assertError(rs.get(0), 502, "upstream_error", "all_providers_failed");
      assertError(rs.get(1), 503, "service_unavailable", "no_healthy_provider");
      assertNoAttempts(rs.get(1));
      assertEquals(1, a.requestCount(), "an open circuit is not tried");
    });
  }

  @Test
  void readyzTurns503WhenNoProviderIsUsable(VertxTestContext ctx) {
    a.respond(Behaviour.error(503, "server_error", "down"));
    Future<Response> f = GatewayHarness.start(vertx, onlyA(TRIP_FAST)).map(Gateway::port).compose(port ->
        GatewayHarness.post(client, port, CHAT, BODY)
            .compose(first -> GatewayHarness.post(client, port, CHAT, BODY)) // routed after the outcome
            .compose(second -> GatewayHarness.send(client, port, HttpMethod.GET, "/readyz",
                MultiMap.caseInsensitiveMultiMap(), null)));
    verify(ctx, f, r -> assertEquals(503, r.status(), r.bodyAsString()));
  }

  @Test
  void skippedOpenTargetIsNotCountedAsAnAttempt(VertxTestContext ctx) {
    a.respond(Behaviour.error(503, "server_error", "down"));
    verify(ctx, twice(aThenB(TRIP_FAST)), rs -> {
      assertEquals("2", rs.get(0).header("x-oxllm-attempts"));
      assertEquals(200, rs.get(1).status(), rs.get(1).bodyAsString());
      assertEquals("pb", rs.get(1).header("x-oxllm-provider"));
      assertEquals("1", rs.get(1).header("x-oxllm-attempts"), "real attempts only: pa was skipped");
      assertEquals(1, a.requestCount());
      assertEquals(2, b.requestCount());
    });
  }

  @Test
  @Timeout(value = 5, timeUnit = TimeUnit.SECONDS)
  void coolingDownTargetIsSkippedAnd429CarriesItsRetryAfter(VertxTestContext ctx) {
    a.respond(Behaviour.error(429, "rate_limit_error", "limited", Map.of("retry-after", "60")));
    verify(ctx, twice(onlyA("")), rs -> {
      assertError(rs.get(0), 429, "rate_limit_error", "all_providers_rate_limited");
      assertEquals("60", rs.get(0).header("retry-after"));
      assertError(rs.get(1), 429, "rate_limit_error", "all_providers_rate_limited");
      long secs = Long.parseLong(rs.get(1).header("retry-after"));
      assertTrue(secs >= 55 && secs <= 60, "the remaining cooldown: " + secs);
      assertNoAttempts(rs.get(1));
      assertEquals(1, a.requestCount(), "a provider in cooldown is not tried");
    });
  }

  @Test
  void coolingDownTargetIsSkippedAndNotCounted(VertxTestContext ctx) {
    a.respond(Behaviour.error(429, "rate_limit_error", "limited", Map.of("retry-after", "60")));
    verify(ctx, twice(aThenB("")), rs -> {
      assertEquals("2", rs.get(0).header("x-oxllm-attempts"));
      assertEquals("pb", rs.get(1).header("x-oxllm-provider"));
      assertEquals("1", rs.get(1).header("x-oxllm-attempts"));
      assertEquals(1, a.requestCount());
    });
  }

  @Test
  void clientErrorsDoNotOpenTheCircuit(VertxTestContext ctx) {
    a.respond(Behaviour.error(400, "invalid_request_error", "bad"));
    verify(ctx, twice(onlyA(TRIP_FAST)), rs -> {
      assertEquals(400, rs.get(0).status());
      assertEquals(400, rs.get(1).status(), "a 4xx is not a provider failure");
      assertEquals(2, a.requestCount());
    });
  }
}
