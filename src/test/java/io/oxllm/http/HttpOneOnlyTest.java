package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.Gateway;
import io.oxllm.testing.GatewayHarness;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway serves HTTP/1.1 only (docs/architecture.md): Vert.x's default server would also
 * upgrade to h2c and take HTTP/2 with prior knowledge, paths nothing else here is built or tested
 * for, at the cost of two more handlers in every connection's pipeline.
 */
@ExtendWith(VertxExtension.class)
class HttpOneOnlyTest {
  private int port;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    Gateway gateway = GatewayHarness.start(vertx, "[[providers]]\nname = \"echo\"\ntype = \"echo\"\n")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    port = gateway.port();
  }

  @Test
  void anH2cUpgradeIsAnsweredInHttp1() throws Exception {
    String head = exchange("GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
        + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
    assertTrue(head.startsWith("HTTP/1.1 200 "), head);
  }

  @Test
  void http2WithPriorKnowledgeIsRefusedInHttp1() throws Exception {
    // the HTTP/2 connection preface; an HTTP/2 server answers it with a binary SETTINGS frame
    String head = exchange("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    // an HTTP/1.1 status line and the JSON error (MalformedRequestTest), not a frame; Vert.x's own
    // answer was an empty 501 in the version it was sent, "HTTP/2.0 501"
    assertTrue(head.startsWith("HTTP/1.1 505 "), head);
  }

  @Test
  void aLaterHttp1MinorVersionIsServedAsHttp11() throws Exception {
    // RFC 9110 section 2.5: a recipient reads a higher minor version as the highest it speaks;
    // Vert.x answered an empty 501
    String head = exchange("GET /healthz HTTP/1.2\r\nHost: localhost\r\n\r\n");
    assertTrue(head.startsWith("HTTP/1.1 200 "), head);
    String major = exchange("GET /healthz HTTP/3.0\r\nHost: localhost\r\n\r\n");
    assertTrue(major.startsWith("HTTP/1.1 505 "), "another major version is still not served: " + major);
  }

  /** Sends raw bytes, returns the answer up to the end of its head (or of the stream). */
  private String exchange(String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) != -1) {
        got.write(b);
        String text = got.toString(StandardCharsets.ISO_8859_1);
        if (text.endsWith("\r\n\r\n")) {
          return text;
        }
      }
      String text = got.toString(StandardCharsets.ISO_8859_1);
      assertFalse(text.isEmpty(), "the gateway closed without an answer");
      return text;
    }
  }
}
