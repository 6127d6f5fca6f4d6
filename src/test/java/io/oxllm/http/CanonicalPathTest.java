package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.TestUpstream.Received;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * vertx-web routes {@code /v1/chat/completions/} and {@code /v1//chat/completions} to the chat
 * route; the upstream gets the API's own path, which a strict provider would otherwise 404.
 */
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class CanonicalPathTest extends StreamTestBase {

  @Test
  void theUpstreamGetsTheCanonicalPath(VertxTestContext ctx) {
    a.respond(Behaviour.chat("hi"));
    String body = "{\"model\":\"" + CHAIN + "\",\"messages\":[]}";
    onlyA("").compose(port -> GatewayHarness.post(client, port, "/v1/chat/completions/", body)
        .compose(r1 -> GatewayHarness.post(client, port, "/v1//chat/completions", body)
            .compose(r2 -> GatewayHarness.post(client, port, "/v1/embeddings/", "{\"model\":\"" + CHAIN + "\",\"input\":\"x\"}")
                .map(r3 -> List.of(r1.status(), r2.status(), r3.status())))))
        .onComplete(ctx.succeeding(statuses -> ctx.verify(() -> {
          assertEquals(List.of(200, 200, 200), statuses);
          List<String> paths = a.received().stream().map(Received::path).toList();
          assertEquals(List.of("/v1/chat/completions", "/v1/chat/completions", "/v1/embeddings"), paths);
          ctx.completeNow();
        })));
  }
}
