package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.Gateway;
import io.oxllm.config.GatewayConfig;
import io.oxllm.config.ProviderConfig;
import io.oxllm.config.UpstreamUrl;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.GatewayHarness;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An attempt whose request Vert.x refuses outright (here a port out of range, which validation
 * now refuses too) is a failed attempt like any other: the chain goes on, the provider's in-flight
 * count comes back down, and the error text quotes nothing Vert.x said (it may quote a header).
 */
@ExtendWith(VertxExtension.class)
class UnsendableAttemptTest {
  @Test
  void aRequestVertxRefusesFailsOverAndLeavesNothingInFlight(Vertx vertx) {
    GatewayConfig parsed = GatewayHarness.parse("[server]\nhost = \"127.0.0.1\"\nport = 0\ninstances = 1\n"
        + "[[providers]]\nname = \"bad\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodels = [\"m\"]\n"
        + ChainToml.echo("e") + ChainToml.chain("v", "bad", "e"), Map.of()).config();
    ProviderConfig bad = parsed.provider("bad");
    ProviderConfig unsendable = new ProviderConfig(bad.name(), bad.type(), new UpstreamUrl(false, "127.0.0.1", 65_536, "/v1"),
        bad.apiKey(), bad.models(), bad.enabled(), bad.headers(), bad.maxConnections(), bad.timeouts(), bad.injectStreamUsage());
    GatewayConfig config = new GatewayConfig(parsed.server(), parsed.auth(), parsed.routing(), parsed.timeouts(),
        parsed.breaker(), parsed.telemetry(), java.util.List.of(unsendable, parsed.provider("e")), parsed.virtualModels());
    int port = await(Gateway.deploy(vertx, config)).port();
    HttpClient client = GatewayHarness.client(vertx);

    GatewayHarness.Response answer = await(GatewayHarness.post(client, port, "/v1/chat/completions",
        "{\"model\":\"v\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
    assertEquals(200, answer.status(), answer.body().toString());
    assertEquals("e", answer.header("x-oxllm-provider"));

    GatewayHarness.Response only = await(GatewayHarness.post(client, port, "/v1/chat/completions",
        "{\"model\":\"bad/m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
    assertEquals(502, only.status(), only.body().toString());
    String message = only.json().getJsonObject("error").getString("message");
    assertTrue(message.contains("IllegalArgumentException: the HTTP client refused"), message);
    assertFalse(message.contains("65536"), "Vert.x's own words are not quoted: " + message);

    JsonObject status = await(GatewayHarness.send(client, port, io.vertx.core.http.HttpMethod.GET, "/status",
        io.vertx.core.MultiMap.caseInsensitiveMultiMap(), null)).json();
    JsonObject p = status.getJsonArray("providers").getJsonObject(0);
    assertEquals("bad", p.getString("name"));
    assertEquals(0, p.getInteger("in_flight"), p::encode);
    assertEquals(2, p.getInteger("failures"), p::encode);
  }
}
