package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.GatewayHarness;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Response heads from upstreams: one of 20 KB (long rate-limit or tracing headers, a big cookie)
 * is read, where the HTTP client's default 8 KB limit failed a healthy provider's answer; one
 * past the gateway's 64 KB bound fails the attempt, which fails over and says why.
 */
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class LargeUpstreamHeadTest extends StreamTestBase {
  private static final String ANSWER = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[]}";

  private static String filler(int bytes) {
    return "x".repeat(bytes);
  }

  @Test
  void aTwentyKilobyteHeadIsRead(VertxTestContext ctx) {
    a.respond(ex -> ex.response().putHeader("content-type", "application/json")
        .putHeader("x-ratelimit-remaining-requests", "7").putHeader("x-trace-baggage", filler(10_000))
        .putHeader("set-cookie", filler(10_000)).end(ANSWER));
    b.respond(ex -> ex.response().setStatusCode(500).end());
    chainAB("").compose(port -> GatewayHarness.post(client, port, "/v1/chat/completions",
        "{\"model\":\"" + CHAIN + "\",\"messages\":[]}")).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(200, r.status(), r::bodyAsString);
          assertEquals("a", r.header("x-oxllm-provider"));
          assertEquals("7", r.header("x-ratelimit-remaining-requests"));
          assertEquals(ANSWER, r.bodyAsString());
          ctx.completeNow();
        })));
  }

  @Test
  void aHeadOverTheBoundFailsTheAttemptAndSaysWhy(VertxTestContext ctx) {
    a.respond(ex -> ex.response().putHeader("content-type", "application/json")
        .putHeader("set-cookie", filler(70_000)).end(ANSWER));
    b.respond(ex -> ex.response().setStatusCode(500).end());
    chainAB("").compose(port -> GatewayHarness.post(client, port, "/v1/chat/completions",
        "{\"model\":\"" + CHAIN + "\",\"messages\":[]}")).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(502, r.status(), r::bodyAsString);
          assertTrue(r.bodyAsString().contains("a: response head over 64 KB"), r.bodyAsString());
          assertTrue(r.bodyAsString().contains("b: status 500"), r.bodyAsString());
          ctx.completeNow();
        })));
  }
}
