package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.routing.RoutingVerticle;
import io.oxllm.testing.GatewayHarness;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.deployment.DeploymentContext;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A route query that no routing verticle receives fails its request at once with the SPEC's JSON
 * 500: the query's write fails (no handlers) and fails the asker's promise. Without that wiring
 * the request would wait forever, since the answer no longer comes back as an event-bus reply
 * with a timeout.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
class RoutingUnavailableTest {

  @Test
  void withoutTheRoutingVerticleARequestGetsA500AtOnce(Vertx vertx, VertxTestContext ctx) {
    HttpClient client = GatewayHarness.client(vertx);
    String toml = "[[providers]]\nname = \"echo\"\ntype = \"echo\"\n";
    long[] sent = new long[1];
    Future<GatewayHarness.Response> answer = GatewayHarness.start(vertx, toml).compose(gateway -> {
      DeploymentContext routing = ((VertxInternal) vertx).deploymentManager().deployments().stream()
          .filter(d -> d.deployment().instances().stream().anyMatch(v -> v instanceof RoutingVerticle))
          .findFirst().orElseThrow();
      return vertx.undeploy(routing.id()).compose(v -> {
        sent[0] = System.nanoTime();
        return GatewayHarness.post(client, gateway.port(), "/v1/chat/completions",
            "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
      });
    });
    verify(ctx, answer, r -> {
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent[0]);
      assertEquals(500, r.status(), r.bodyAsString());
      assertTrue(r.json().getJsonObject("error").getString("message").startsWith("routing unavailable"),
          r.bodyAsString());
      assertTrue(ms < 2_000, "answered after " + ms + " ms");
    });
  }
}
