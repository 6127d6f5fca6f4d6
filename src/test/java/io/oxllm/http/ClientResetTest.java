package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.LogCapture;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client that resets its connection (RST, not FIN) is gone the same way as one that closes it:
 * the upstream request is cancelled and nothing is logged. Vert.x 5.0.8 throws a
 * NullPointerException, which Netty logs as a WARNING, when a reset comes while a pipelined
 * request waits behind the answer in progress.
 */
@ExtendWith(VertxExtension.class)
class ClientResetTest {
  private static final String BODY = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String STREAM = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      + "Content-Length: " + BODY.length() + "\r\n\r\n" + BODY;

  @Test
  void aResetDuringAStreamWithARequestPipelinedBehindItCancelsQuietly(Vertx vertx) throws Exception {
    TestUpstream upstream = await(TestUpstream.start(vertx)).respond(Behaviour.sseChat(40, 100)); // 4 s
    int port = await(GatewayHarness.start(vertx, "[server]\nport = 0\ninstances = 1\n[[providers]]\nname = \"up\"\n"
        + "base_url = \"" + upstream.baseUrl() + "\"\nmodels = [\"m\"]\n")).port();
    try (LogCapture log = LogCapture.start()) {
      long reset;
      try (Socket socket = new Socket("127.0.0.1", port)) {
        socket.getOutputStream().write((STREAM + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        socket.setSoTimeout(5_000);
        InputStream in = socket.getInputStream();
        StringBuilder got = new StringBuilder();
        while (!got.toString().contains("data: ")) { // the stream has begun
          got.append((char) in.read());
        }
        socket.setSoLinger(true, 0); // close() now sends a reset
        reset = System.nanoTime();
      }
      long cancelled = await(upstream.awaitClientCloses(1));
      assertTrue((cancelled - reset) / 1_000_000 < 1_000, "the upstream request is cancelled at once");
      List<String> logged = log.records();
      assertEquals(List.of(), logged.stream().filter(r -> r.startsWith("WARNING") || r.startsWith("SEVERE")).toList());
    }
  }
}
