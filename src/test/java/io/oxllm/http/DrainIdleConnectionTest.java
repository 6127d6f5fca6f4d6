package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.Gateway;
import io.oxllm.testing.Behaviour;
import io.oxllm.testing.ChildGateway;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * With several HTTP instances, an idle keep-alive connection closes once no exchange runs on any
 * instance, not at the end of the grace period: the instances whose streams' clients closed right
 * after the last chunk must not be left counted as busy when their own stop completes.
 */
@ExtendWith(VertxExtension.class)
class DrainIdleConnectionTest {
  private static final String BODY = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final int STREAMS = 8;

  @Test
  void anIdleConnectionClosesOnceTheStreamsOnEveryInstanceHaveEnded(Vertx vertx) throws Exception {
    TestUpstream upstream = await(TestUpstream.start(vertx)).respond(Behaviour.sseChat(6, 200)); // 1.2 s
    Gateway gateway = await(GatewayHarness.start(vertx, "[server]\nhost = \"127.0.0.1\"\nport = 0\ninstances = 4\n"
        + "shutdown_grace_secs = 30\n" + GatewayHarness.provider("up", upstream, "m")));
    int port = gateway.port();
    List<Socket> streams = new ArrayList<>();
    try (Socket idle = ChildGateway.connect(port)) {
      assertEquals("200", ChildGateway.exchange(idle, "GET", "/healthz", null)[0]);
      // the next connections go round the instances: some hold only streams
      for (int i = 0; i < STREAMS; i++) {
        Socket s = ChildGateway.connect(port);
        streams.add(s);
        s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + BODY.length() + "\r\n\r\n" + BODY).getBytes(StandardCharsets.ISO_8859_1));
        readUntil(s.getInputStream(), "data: ");
      }
      long stopping = System.nanoTime();
      Future<Void> closed = gateway.close();
      for (Socket s : streams) {
        s.setSoTimeout(10_000);
        String rest = readUntil(s.getInputStream(), "\r\n0\r\n\r\n");
        assertTrue(rest.contains("data: [DONE]"), rest);
        s.close(); // as a client that pools nothing does, right after the last chunk
      }
      idle.setSoTimeout(15_000);
      assertEquals(-1, idle.getInputStream().read(), "the gateway closes the idle connection");
      long ms = (System.nanoTime() - stopping) / 1_000_000;
      assertTrue(ms < 10_000, "closed when the streams had ended (about 1 s), not at the 30 s grace: " + ms + " ms");
      await(closed, Duration.ofSeconds(10));
    } finally {
      for (Socket s : streams) {
        s.close();
      }
    }
  }

  /** Reads until the bytes read end with {@code end}; what was read. */
  private static String readUntil(InputStream in, String end) throws Exception {
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    while (!read.toString(StandardCharsets.ISO_8859_1).endsWith(end)) {
      int b = in.read();
      assertTrue(b != -1, () -> "closed before " + end.strip() + ": " + read.toString(StandardCharsets.ISO_8859_1));
      read.write(b);
    }
    return read.toString(StandardCharsets.ISO_8859_1);
  }
}
