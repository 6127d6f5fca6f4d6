package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.ChainToml;
import io.oxllm.testing.FlowSupport;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.RawUpstream;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An https provider whose TLS handshake never completes (a server that accepts and says nothing,
 * a load balancer whose backend is gone): its connect_ms bounds the handshake too, and it is the
 * provider's connect timeout, so its circuit can open. Vert.x's own 10 s handshake timeout ran
 * past connect_ms, the pool's timer fired first and read as "no pooled connection free", neutral:
 * the circuit never opened, and total_ms did not bound the wait (an audit).
 */
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class TlsUpstreamTest extends StreamTestBase {
  private RawUpstream silent;

  @AfterEach
  void closeSilent() {
    if (silent != null) {
      await(silent.close());
    }
  }

  /** Chain {@value #CHAIN} = [r (https, says nothing), b]; "solo" = [r]. */
  private int start(String rTimeouts) {
    silent = await(RawUpstream.start(vertx, (n, socket) -> { }));
    return await(gateway(silent.provider("r", rTimeouts).replace("http://", "https://") + ChainToml.provider("b", b, "")
        + ChainToml.chain(CHAIN, "r", "b") + "solo = [{ provider = \"r\", model = \"" + ChainToml.MODEL + "\" }]\n"));
  }

  private Response post(int port, String model) {
    return await(GatewayHarness.post(client, port, "/v1/chat/completions",
        "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
  }

  @Test
  void aHandshakeThatHangsIsTheProvidersConnectTimeout() {
    int port = start("connect_ms = 400");
    // the provider's first TLS connection also builds its SSL context, which on a cold JVM (a CI
    // run) took past the pool's 250 ms margin, so that one read as a pool wait: warm it first
    post(port, "solo");
    long t0 = System.nanoTime();
    Response r = post(port, CHAIN);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(200, r.status(), r::bodyAsString);
    assertEquals("b", r.header("x-oxllm-provider"));
    assertEquals("2", r.header("x-oxllm-attempts"), "the handshake was a real attempt");
    assertTrue(ms < 2_000, "failed over after connect_ms, took " + ms + " ms");
    JsonObject status = await(FlowSupport.providerWhen(vertx, client, port, "r", 3_000, p -> p.getLong("failures") >= 1));
    assertTrue(status.getLong("failures") >= 1, status::encode);
    Response solo = post(port, "solo");
    assertEquals(502, solo.status(), solo::bodyAsString);
    assertTrue(solo.bodyAsString().contains("handshake"), solo::bodyAsString);
  }

  @Test
  void aHandshakeFailureSaysWhy() {
    // https to a server that speaks plain HTTP: Vert.x says "Failed to create SSL connection" for
    // this, an untrusted certificate and a name mismatch alike; its cause tells them apart
    int port = await(gateway(ChainToml.provider("p", b, "").replace("http://", "https://")
        + ChainToml.chain(CHAIN, "p")));
    Response r = post(port, CHAIN);
    assertEquals(502, r.status(), r::bodyAsString);
    String message = r.json().getJsonObject("error").getString("message");
    assertTrue(message.contains("p: TLS handshake failed: ") && !message.contains("Failed to create SSL connection"), message);
  }

  @Test
  void totalMsBoundsAnAttemptStillWaitingForItsConnection() {
    int port = start("connect_ms = 10000, total_ms = 500");
    long t0 = System.nanoTime();
    Response solo = post(port, "solo");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(502, solo.status(), solo::bodyAsString);
    assertTrue(solo.bodyAsString().contains("total timeout after 500 ms"), solo::bodyAsString);
    assertTrue(ms < 2_000, "total_ms is the attempt's hard cap, took " + ms + " ms");
  }
}
