package io.oxllm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.oxllm.config.ConfigLoader;
import io.oxllm.config.ConfigResult;
import io.oxllm.config.GatewayConfig;
import io.oxllm.config.ServerConfig;
import io.oxllm.testing.GatewayHarness;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The promise of SPEC section 1: conf/config.toml, as shipped, answers on a fresh machine with no
 * LLM running, through failover to the built-in echo provider. Ollama and vLLM ports are assumed
 * closed here (CI and the build machines run neither).
 */
@ExtendWith(VertxExtension.class)
class ShippedConfigTest {

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void theDefaultModelAnswersThroughEchoWithNothingElseRunning(Vertx vertx) throws Exception {
    ConfigResult loaded = ConfigLoader.load(vertx, Path.of("conf/config.toml"), k -> null)
        .toCompletionStage().toCompletableFuture().get();
    assertEquals(java.util.List.of(), loaded.problems());
    GatewayConfig c = loaded.config();
    ServerConfig s = c.server();
    GatewayConfig onEphemeralPort = new GatewayConfig(
        new ServerConfig("127.0.0.1", 0, s.bindFamily(), 1, s.maxBodyBytes(), s.shutdownGraceSecs(),
            s.adminToken(), s.corsOrigins(), s.configScanMs(), s.bodyTimeoutSecs(), s.idleTimeoutSecs(),
            s.bodyMemoryBytes()),
        c.auth(), c.routing(), c.timeouts(), c.breaker(), c.telemetry(), c.providers(), c.virtualModels());
    Gateway gateway = Gateway.deploy(vertx, onEphemeralPort).toCompletionStage().toCompletableFuture().get();
    HttpClient client = GatewayHarness.client(vertx);

    GatewayHarness.Response r = GatewayHarness.post(client, gateway.port(), "/v1/chat/completions",
            "{\"model\":\"default\",\"messages\":[{\"role\":\"user\",\"content\":\"hello gateway\"}]}")
        .toCompletionStage().toCompletableFuture().get();

    assertEquals(200, r.status(), r.bodyAsString());
    assertEquals("echo", r.header("x-oxllm-provider"));
    assertEquals("3", r.header("x-oxllm-attempts"), "ollama and vllm were tried and refused first");
    JsonObject message = r.json().getJsonArray("choices").getJsonObject(0).getJsonObject("message");
    assertEquals("echo: hello gateway", message.getString("content"));
  }
}
