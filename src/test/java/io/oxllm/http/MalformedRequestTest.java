package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.assertError;
import static io.oxllm.testing.ApiChecks.assertRequestId;
import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.LogCapture;
import io.oxllm.testing.LoopClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Requests the HTTP decoder cannot read still get SPEC section 3's answer: the JSON error and an
 * {@code x-request-id}, then the connection closes (Vert.x's default answer has an empty body).
 */
@ExtendWith(VertxExtension.class)
class MalformedRequestTest {
  private int port;
  private LoopClient http;

  @BeforeEach
  void start(Vertx vertx) {
    port = await(GatewayHarness.start(vertx, "[[providers]]\nname = \"echo\"\ntype = \"echo\"\n")).port();
    http = new LoopClient(vertx);
  }

  @Test
  void headersOverTheLimitAre431InJson() {
    Response r = http.send(port, HttpMethod.GET, "/v1/models", null, "x-big", "a".repeat(10_000));
    assertError(r, 431, "invalid_request_error", "headers_too_large");
    assertRequestId(r);
    assertEquals("close", r.header("connection"));
  }

  @Test
  void aRequestLineOverTheLimitIs414InJson() {
    Response r = http.send(port, HttpMethod.GET, "/v1/models?" + "a".repeat(5_000), null);
    assertError(r, 414, "invalid_request_error", "uri_too_long");
    assertRequestId(r);
  }

  @Test
  void garbageIs400InJsonAndTheConnectionCloses() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      in.transferTo(got); // to the end: the gateway closes the connection after the answer
      String text = got.toString(StandardCharsets.ISO_8859_1);
      assertTrue(text.startsWith("HTTP/1.1 400 "), text);
      assertTrue(text.toLowerCase().contains("\r\nx-request-id: "), text);
      assertTrue(text.contains("\"code\":\"malformed_request\""), text);
    }
  }

  @Test
  void anotherHttpVersionIs505InJsonAndTheConnectionCloses() throws Exception {
    for (String request : new String[] {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n",
        "GET /healthz HTTP/3.0\r\nHost: x\r\n\r\n"}) {
      try (Socket socket = new Socket("127.0.0.1", port)) {
        socket.setSoTimeout(5000);
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        socket.getInputStream().transferTo(got); // to the end: the gateway closes the connection after the answer
        String text = got.toString(StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("HTTP/1.1 505 "), text);
        assertTrue(text.toLowerCase().contains("\r\nx-request-id: "), text);
        assertTrue(text.contains("\"code\":\"http_version_not_supported\""), text);
        assertTrue(text.endsWith("\"code\":\"http_version_not_supported\"}}"), "one answer, then the close: " + text);
      }
    }
  }

  @Test
  void aBodyTheDecoderCannotFrameIs400InJsonAndTheConnectionCloses() throws Exception {
    try (LogCapture log = LogCapture.start(); Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      // a chunked body whose second chunk size is not hex
      out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"mod\r\nzz\r\nel\":\r\n0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      socket.getInputStream().transferTo(got);
      String text = got.toString(StandardCharsets.ISO_8859_1);
      assertTrue(text.startsWith("HTTP/1.1 400 "), text);
      assertTrue(text.toLowerCase().contains("\r\nx-request-id: "), text);
      assertTrue(text.contains("\"code\":\"malformed_request\""), text);
      assertEquals(java.util.List.of(), log.records().stream().filter(l -> l.startsWith("SEVERE")).toList());
    }
  }

  /** Sends {@code head} (and whatever follows it) on a new connection; everything until the gateway closes. */
  private String exchangeUntilClosed(String bytes) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      socket.getInputStream().transferTo(got);
      return got.toString(StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void aBodyFramedTwoWaysIsRefusedAndTheConnectionCloses() throws Exception {
    // RFC 9112 section 6: a proxy in front may frame these otherwise, and so smuggle the GET past it
    String body = "{\"model\":\"echo\",\"messages\":[]}";
    String chunked = Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
    String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    String smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (String framing : java.util.List.of(
        // Netty frames this one by the chunks and dropped the length, so it was served and the
        // connection kept (RFC 9112 section 6.1: close it)
        "Transfer-Encoding: chunked\r\nContent-Length: " + body.length() + "\r\n",
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked, identity\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
        "Transfer-Encoding: gzip, chunked\r\n")) {
      String text;
      try {
        text = exchangeUntilClosed(head + framing + "\r\n" + chunked + smuggled);
      } catch (java.net.SocketTimeoutException e) {
        throw new AssertionError("not closed after " + framing, e);
      }
      assertTrue(text.startsWith("HTTP/1.1 400 "), framing + text);
      assertTrue(text.contains("\"code\":\"malformed_request\""), text);
      assertTrue(text.toLowerCase().contains("\r\nx-request-id: "), text);
      assertEquals(1, text.split("HTTP/1.1 ", -1).length - 1, "the pipelined GET is not answered: " + text);
    }
    // HTTP/1.0 has no transfer codings at all: faulty framing, closed (it was served, the connection kept: an audit)
    String old = exchangeUntilClosed(head.replace("HTTP/1.1", "HTTP/1.0") + "Connection: keep-alive\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n" + chunked + smuggled);
    assertTrue(old.startsWith("HTTP/1.0 400 ") && old.contains("HTTP/1.0 has no Transfer-Encoding"), old);
    assertEquals(1, old.split("HTTP/1.[01] \\d{3} ", -1).length - 1, "the pipelined GET is not answered: " + old);
    String unknown = exchangeUntilClosed(head + "Transfer-Encoding: xchunked\r\nContent-Length: "
        + body.length() + "\r\n\r\n" + body);
    assertTrue(unknown.startsWith("HTTP/1.1 400 "), unknown);
    // chunked alone is fine
    String fine = exchangeUntilClosed(head + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked);
    assertTrue(fine.startsWith("HTTP/1.1 200 "), fine);
  }

  @Test
  void aMissingOrInvalidHostIs400InJsonAndTheConnectionCloses() throws Exception {
    // vertx-web's router answered these itself: no request id, and Connection: close on a
    // connection it left open
    for (String host : java.util.List.of("", "Host: a b\r\n", "Host: x:y:z\r\n")) {
      String text;
      try {
        text = exchangeUntilClosed("GET /v1/models HTTP/1.1\r\n" + host + "\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      } catch (java.net.SocketTimeoutException e) {
        throw new AssertionError("not closed with [" + host + "]", e);
      }
      assertTrue(text.startsWith("HTTP/1.1 400 "), host + text);
      assertTrue(text.contains("\"code\":\"malformed_request\""), text);
      assertTrue(text.contains("Host header"), text);
      assertTrue(text.toLowerCase().contains("\r\nx-request-id: "), text);
      assertEquals(1, text.split("HTTP/1.1 ", -1).length - 1, "the pipelined GET is not answered: " + text);
    }
    // HTTP/1.0 needs no Host
    String old = exchangeUntilClosed("GET /healthz HTTP/1.0\r\n\r\n");
    assertTrue(old.startsWith("HTTP/1.0 200 "), old);
    // the client's request id, as every other answer has it
    String withId = exchangeUntilClosed("GET /v1/models HTTP/1.1\r\nx-request-id: my-id-1\r\n\r\n");
    assertTrue(withId.startsWith("HTTP/1.1 400 "), withId);
    assertTrue(withId.toLowerCase().contains("\r\nx-request-id: my-id-1\r\n"), withId);
  }

  @Test
  void twoHostLinesAre400InJsonAndTheConnectionCloses() throws Exception {
    // RFC 9112 section 3.2: any request with two Host lines, even the same one twice, even HTTP/1.0;
    // a proxy in front may have routed by the other line
    for (String request : java.util.List.of(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 2\r\n\r\n{}",
        "GET /v1/models HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n",
        "GET /v1/models HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n")) {
      String text = exchangeUntilClosed(request + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      assertTrue(text.startsWith("HTTP/1.1 400 ") || text.startsWith("HTTP/1.0 400 "), request + text);
      assertTrue(text.contains("\"code\":\"malformed_request\""), text);
      assertTrue(text.contains("more than one Host header"), text);
      assertTrue(text.toLowerCase().contains("\r\nx-request-id: "), text);
      assertEquals(1, text.split("HTTP/1.[01] ", -1).length - 1, "the pipelined GET is not answered: " + text);
    }
  }

  @Test
  void aTargetNoRouteCanTakeIs404WithARequestId() throws Exception {
    // vertx-web fails these before any route runs, the one that assigns request ids included
    for (String line : java.util.List.of("OPTIONS * HTTP/1.1", "CONNECT x:443 HTTP/1.1")) {
      String text = exchangeUntilClosed(line + "\r\nHost: x\r\nx-request-id: star-1\r\nConnection: close\r\n\r\n");
      assertTrue(text.startsWith("HTTP/1.1 404 "), line + ": " + text);
      assertTrue(text.toLowerCase().contains("\r\nx-request-id: star-1\r\n"), text);
    }
  }
}
