package io.oxllm.mock;

import static io.oxllm.mock.MockClient.await;
import static io.oxllm.mock.MockClient.finish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.Gateway;
import io.oxllm.mock.MockClient.Reply;
import io.oxllm.mock.MockClient.Sse;
import io.oxllm.testing.GatewayHarness;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The documented way to test a failover config: a real gateway in front of two mocks, the first
 * made to fail by the provider's {@code headers} table (the gateway forwards only allow-listed
 * client headers, so x-mock-* go per provider). Every request must succeed via the second.
 */
@ExtendWith(VertxExtension.class)
class MockFailoverTest {
  @Test
  void aFailingPrimaryIsInvisibleToClients(Vertx vertx) {
    MockUpstream primary = await(MockUpstream.deploy(vertx, "127.0.0.1", 0, 1, MockKnobs.DEFAULTS));
    MockUpstream secondary = await(MockUpstream.deploy(vertx, "127.0.0.1", 0, 1, MockKnobs.DEFAULTS));
    String toml = String.join("\n",
        "[[providers]]",
        "name = \"primary\"",
        "type = \"openai\"",
        "base_url = \"" + primary.baseUrl() + "\"",
        "models = [\"m\"]",
        "headers = { \"x-mock-fail-rate\" = \"1\", \"x-mock-fail-status\" = \"503\" }",
        "[[providers]]",
        "name = \"secondary\"",
        "type = \"openai\"",
        "base_url = \"" + secondary.baseUrl() + "\"",
        "models = [\"m\"]",
        "[virtual_models]",
        "chain = [ { provider = \"primary\", model = \"m\" }, { provider = \"secondary\", model = \"m\" } ]",
        "");
    Gateway gateway = await(GatewayHarness.start(vertx, toml));
    try {
      MockClient client = new MockClient(vertx, gateway.port());
      for (int i = 0; i < 10; i++) {
        Reply r = client.post("/v1/chat/completions", "{\"model\":\"chain\",\"messages\":[]}");
        assertEquals(200, r.status(), r.body().toString());
        assertEquals("secondary", r.headers().get("x-oxllm-provider"));
        assertEquals("chat.completion", r.json().getString("object"));
      }
      Sse sse = finish(client.stream("/v1/chat/completions", "{\"model\":\"chain\",\"stream\":true}"));
      assertTrue(sse.endedCleanly(), "error: " + sse.error());
      assertEquals(200, sse.status);
      assertEquals(20, sse.contentEvents());
      assertEquals("[DONE]", sse.events.get(sse.events.size() - 1));
      assertTrue(primary.stats().injectedFailures() >= 1, "the primary was never tried");
      assertEquals(primary.stats().requests(), primary.stats().injectedFailures(), "the primary answered a request");
      assertEquals(11, secondary.stats().requests());
    } finally {
      await(gateway.close());
    }
  }
}
