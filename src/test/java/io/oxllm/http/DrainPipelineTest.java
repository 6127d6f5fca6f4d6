package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * During a graceful stop the answer that says {@code Connection: close} is a connection's last:
 * nothing may follow it (RFC 9112 section 9.6), not even an answer to a request pipelined behind it.
 */
@ExtendWith(VertxExtension.class)
class DrainPipelineTest {
  private static final String BODY = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  @Test
  void theAnswerThatSaysCloseIsTheLastOnItsConnection(Vertx vertx) throws Exception {
    TestUpstream upstream = await(TestUpstream.start(vertx)).respond(Behaviour.sseChat(6, 250)); // 1.5 s
    int port = await(GatewayHarness.start(vertx, "[server]\nport = 0\ninstances = 1\nshutdown_grace_secs = 10\n"
        + "[[providers]]\nname = \"up\"\nbase_url = \"" + upstream.baseUrl() + "\"\nmodels = [\"m\"]\n")).port();
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + BODY.length() + "\r\n\r\n" + BODY
          + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      socket.setSoTimeout(10_000);
      InputStream in = socket.getInputStream();
      StringBuilder begun = new StringBuilder();
      while (!begun.toString().contains("data: ")) { // the stream runs: the stop comes while it does
        begun.append((char) in.read());
      }
      try (Socket admin = new Socket("127.0.0.1", port)) {
        admin.getOutputStream().write("POST /admin/shutdown HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(new String(admin.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1).endsWith("202"));
      }
      ByteArrayOutputStream rest = new ByteArrayOutputStream();
      in.transferTo(rest); // until the gateway closes
      String all = begun + rest.toString(StandardCharsets.ISO_8859_1);
      assertTrue(all.contains("data: [DONE]"), "the stream ran to its end: " + all);
      assertEquals(2, all.split("HTTP/1.1 ", -1).length - 1, "the stream's answer and the first health answer: " + all);
      String last = all.substring(all.lastIndexOf("HTTP/1.1 "));
      assertTrue(last.startsWith("HTTP/1.1 200 ") && last.toLowerCase().contains("connection: close"), last);
    }
  }

  @Test
  void theConnectionThatAskedForTheStopClosesWithItsAnswer(Vertx vertx) throws Exception {
    TestUpstream upstream = await(TestUpstream.start(vertx)).respond(Behaviour.sseChat(20, 200)); // 4 s
    int port = await(GatewayHarness.start(vertx, "[server]\nport = 0\ninstances = 1\nshutdown_grace_secs = 10\n"
        + "[[providers]]\nname = \"up\"\nbase_url = \"" + upstream.baseUrl() + "\"\nmodels = [\"m\"]\n")).port();
    try (Socket socket = new Socket("127.0.0.1", port); Socket admin = new Socket("127.0.0.1", port)) {
      socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + BODY.length() + "\r\n\r\n" + BODY).getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = socket.getInputStream();
      StringBuilder begun = new StringBuilder();
      while (!begun.toString().contains("data: ")) { // the stream runs: the stop comes while it does
        begun.append((char) in.read());
      }
      admin.getOutputStream().write("POST /admin/shutdown HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
          .getBytes(StandardCharsets.ISO_8859_1));
      admin.setSoTimeout(2_000); // the stream runs on for seconds: its end must not be what closes this one
      String answer = new String(admin.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(answer.startsWith("HTTP/1.1 202") && answer.toLowerCase().contains("connection: close"), answer);
      ByteArrayOutputStream rest = new ByteArrayOutputStream();
      in.transferTo(rest);
      assertTrue(rest.toString(StandardCharsets.ISO_8859_1).contains("data: [DONE]"), "the stream ran to its end");
    }
  }
}
