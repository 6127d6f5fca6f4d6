package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A model name with a lone surrogate ({@code "up/\ud83d"}: valid JSON, in ASCII, but no Unicode
 * text) cannot be written into the upstream's body. It was a 500 quoting Jackson's exception, and
 * the provider it named counted the attempt in flight for ever: as the half-open probe it refused
 * every request for {@code total_ms} (found by an audit).
 */
@ExtendWith(VertxExtension.class)
class LoneSurrogateModelTest {
  @Test
  void aLoneSurrogateInTheModelIsRefusedAndNothingStaysInFlight(Vertx vertx) {
    TestUpstream upstream = await(TestUpstream.start(vertx));
    int port = await(GatewayHarness.start(vertx, GatewayHarness.provider("up", upstream, "m"))).port();
    HttpClient client = GatewayHarness.client(vertx);

    for (String model : new String[] {"up/\\ud83d", "up/x\\ude00", "up/\\ude00\\ud83d", "\\ud83d"}) {
      GatewayHarness.Response r = await(GatewayHarness.post(client, port, "/v1/chat/completions",
          "{\"model\":\"" + model + "\",\"messages\":[]}"));
      assertEquals(400, r.status(), r.bodyAsString());
      assertEquals("invalid_model", r.errorCode(), r.bodyAsString());
    }
    GatewayHarness.Response pair = await(GatewayHarness.post(client, port, "/v1/chat/completions",
        "{\"model\":\"up/\\ud83d\\ude00\",\"messages\":[]}"));
    assertEquals(200, pair.status(), "a surrogate pair is a character (U+1F600): " + pair.bodyAsString());
    assertEquals("\uD83D\uDE00", upstream.lastReceived().bodyAsJson().getString("model"));

    JsonObject p = await(GatewayHarness.send(client, port, HttpMethod.GET, "/status", MultiMap.caseInsensitiveMultiMap(),
        null)).json().getJsonArray("providers").getJsonObject(0);
    assertEquals(0, p.getInteger("in_flight"), p::encode);
    assertEquals(1, p.getInteger("requests"), p::encode);
    assertEquals(1, upstream.requestCount());
  }
}
