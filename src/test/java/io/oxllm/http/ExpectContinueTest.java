package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.GatewayHarness;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code Expect: 100-continue}: one 100 for a body the gateway will take, and for one over
 * {@code max_body_bytes} the 413 at once, so the client never uploads what will be refused.
 */
@ExtendWith(VertxExtension.class)
class ExpectContinueTest {
  private int port;

  @BeforeEach
  void start(Vertx vertx) {
    port = await(GatewayHarness.start(vertx,
        "[server]\nhost = \"127.0.0.1\"\nport = 0\nmax_body_bytes = 2000\n[[providers]]\nname = \"echo\"\ntype = \"echo\"\n")).port();
  }

  private static String head(int contentLength) {
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + contentLength + "\r\nExpect: 100-continue\r\n\r\n";
  }

  /** Reads what the gateway sends until it has a final status line and headers. */
  private static String readHeads(InputStream in) throws Exception {
    StringBuilder got = new StringBuilder();
    int b;
    while ((b = in.read()) != -1) {
      got.append((char) b);
      String t = got.toString();
      if (t.endsWith("\r\n\r\n") && !t.substring(t.lastIndexOf("HTTP/1.1 ")).startsWith("HTTP/1.1 100 ")) {
        break;
      }
    }
    return got.toString();
  }

  @Test
  void aBodyOverTheLimitGetsItsRefusalBeforeAnyContinue() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(head(100_000_000).getBytes(StandardCharsets.ISO_8859_1));
      String heads = readHeads(s.getInputStream());
      assertTrue(heads.startsWith("HTTP/1.1 413 "), heads);
    }
  }

  @Test
  void aBodyWithinTheLimitGetsOneContinue() throws Exception {
    String body = "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(head(body.length()).getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = s.getInputStream();
      byte[] cont = in.readNBytes("HTTP/1.1 100 Continue\r\n\r\n".length());
      assertEquals("HTTP/1.1 100 Continue\r\n\r\n", new String(cont, StandardCharsets.ISO_8859_1));
      out.write(body.getBytes(StandardCharsets.UTF_8));
      String heads = readHeads(in);
      assertTrue(heads.startsWith("HTTP/1.1 200 "), () -> "one 100, then the answer: " + heads);
    }
  }
}
