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

  /** Everything the gateway sends until it closes the connection (fails if it does not within 5 s). */
  private String untilClosed(String request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void aRefusalBeforeTheBodyClosesTheConnectionOfAClientWaitingForContinue() throws Exception {
    // the client sends no body without a 100, so Vert.x would wait for it until idle_timeout_secs
    String text = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
        + "Content-Length: 100\r\nExpect: 100-continue\r\n\r\n";
    for (String request : java.util.List.of(head(100_000_000), text)) {
      String answer = untilClosed(request);
      assertTrue(answer.startsWith("HTTP/1.1 413 ") || answer.startsWith("HTTP/1.1 415 "), answer);
      assertTrue(answer.toLowerCase().contains("\r\nconnection: close\r\n"), answer);
      assertTrue(answer.contains("\"error\""), answer);
    }
  }

  @Test
  void anExpectationOtherThanContinueIs417InJson() throws Exception {
    String body = "{\"model\":\"echo\",\"messages\":[]}";
    for (String expect : java.util.List.of("something-else", "100-continue, foo", "")) {
      String request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length() + "\r\nExpect: " + expect + "\r\nConnection: close\r\n\r\n" + body;
      String answer = untilClosed(request);
      assertTrue(answer.startsWith("HTTP/1.1 417 "), answer);
      assertTrue(answer.contains("\"code\":\"expectation_failed\""), answer);
      assertTrue(answer.contains("'Expect: " + expect + "'"), answer);
      assertTrue(answer.toLowerCase().contains("\r\nx-request-id: "), answer);
      assertTrue(answer.toLowerCase().contains("\r\ncontent-type: application/json"), answer);
    }
  }
}
