package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.LogCapture;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * server.body_timeout_secs: a request body that stops arriving gets 408 request_timeout and the
 * connection closes (it was held for ever); one that keeps arriving slowly is not cut.
 */
@ExtendWith(VertxExtension.class)
class BodyTimeoutTest {
  private static final String BODY = "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"slow\"}]}";
  private int port;

  @BeforeEach
  void start(Vertx vertx) {
    port = await(GatewayHarness.start(vertx, "[server]\nport = 0\ninstances = 1\nbody_timeout_secs = 1\n"
        + "[[providers]]\nname = \"echo\"\ntype = \"echo\"\n")).port();
  }

  private static String head(int length) {
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + length + "\r\n\r\n";
  }

  /** Everything the gateway sends until it closes the connection (or 10 s pass: a read timeout fails the test). */
  private static String untilClosed(Socket socket) throws Exception {
    socket.setSoTimeout(10_000);
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    in.transferTo(got);
    return got.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aBodyThatStopsArrivingGets408AndTheConnectionCloses() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write((head(BODY.length()) + BODY.substring(0, 10)).getBytes(StandardCharsets.UTF_8));
      out.flush();
      long sent = System.nanoTime();
      String answer = untilClosed(socket);
      long ms = (System.nanoTime() - sent) / 1_000_000;
      assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
      assertTrue(answer.contains("\"code\":\"request_timeout\""), answer);
      assertTrue(answer.toLowerCase().contains("\r\nx-request-id: "), answer);
      assertTrue(answer.toLowerCase().contains("\r\nconnection: close\r\n"), answer);
      assertTrue(ms >= 1_000 && ms < 4_000, "after one silent second (one check period late at most): " + ms + " ms");
    }
  }

  @Test
  void theSilenceIsTimedFromTheLastByteNotFromTheLastCheck() throws Exception {
    // a byte of progress 200 ms in, then nothing: the 408 comes a second after that byte (plus at
    // most an eighth of it), where a once-a-period check took two seconds
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write((head(BODY.length()) + BODY.substring(0, 10)).getBytes(StandardCharsets.UTF_8));
      out.flush();
      long sent = System.nanoTime();
      Thread.sleep(200);
      out.write(BODY.substring(10, 11).getBytes(StandardCharsets.UTF_8));
      out.flush();
      String answer = untilClosed(socket);
      long ms = (System.nanoTime() - sent) / 1_000_000;
      assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
      assertTrue(ms >= 1_150 && ms < 1_800, "a second after the last byte at 200 ms: " + ms + " ms");
    }
  }

  @Test
  void aSlowBodyThatKeepsArrivingIsAnswered() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
      // Connection: close, so the gateway ends the exchange by closing once it has answered
      out.write(head(body.length).replace("Host: x\r\n", "Host: x\r\nConnection: close\r\n")
          .getBytes(StandardCharsets.UTF_8));
      out.flush();
      // a few bytes every 300 ms for ~3 s: three times the timeout in all, never a silent second
      int step = (body.length + 9) / 10;
      for (int i = 0; i < body.length; i += step) {
        Thread.sleep(300);
        out.write(body, i, Math.min(step, body.length - i));
        out.flush();
      }
      String answer = untilClosed(socket);
      assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
      assertTrue(answer.contains("echo: slow"), answer);
    }
  }

  @Test
  void aWholeBodyIsNotWatchedAfterwards() throws Exception {
    // a request answered at once leaves no check behind to answer it twice or close its connection
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write((head(BODY.length()) + BODY).getBytes(StandardCharsets.UTF_8));
      out.flush();
      Thread.sleep(2_500);
      String last = head(BODY.length()).replace("Host: x\r\n", "Host: x\r\nConnection: close\r\n");
      out.write((last + BODY).getBytes(StandardCharsets.UTF_8));
      out.flush();
      String answers = untilClosed(socket);
      assertEquals(2, answers.split("HTTP/1.1 200 ", -1).length - 1, answers);
      assertTrue(!answers.contains("HTTP/1.1 408"), answers); // a status line: a random request id may hold "408"
    }
  }

  @Test
  void aClientThatLeavesInTheMiddleOfItsBodyIsNoErrorOfTheGateways() throws Exception {
    // nothing can be answered; vertx-web logged it SEVERE as "Unhandled exception in router"
    try (LogCapture log = LogCapture.start()) {
      try (Socket socket = new Socket("127.0.0.1", port)) {
        OutputStream out = socket.getOutputStream();
        out.write((head(BODY.length()) + BODY.substring(0, 10)).getBytes(StandardCharsets.UTF_8));
        out.flush();
        Thread.sleep(200); // the gateway is reading the body
      }
      // and one that resets the connection instead of closing it
      try (Socket socket = new Socket("127.0.0.1", port)) {
        socket.setSoLinger(true, 0);
        OutputStream out = socket.getOutputStream();
        out.write((head(BODY.length()) + BODY.substring(0, 10)).getBytes(StandardCharsets.UTF_8));
        out.flush();
        Thread.sleep(200);
      }
      Thread.sleep(200); // the reset reaches the gateway
      // then the gateway is still whole: a request on a new connection is answered
      try (Socket socket = new Socket("127.0.0.1", port)) {
        String last = head(BODY.length()).replace("Host: x\r\n", "Host: x\r\nConnection: close\r\n");
        socket.getOutputStream().write((last + BODY).getBytes(StandardCharsets.UTF_8));
        assertTrue(untilClosed(socket).startsWith("HTTP/1.1 200 "));
      }
      assertEquals(List.of(), log.records().stream().filter(l -> l.startsWith("SEVERE")).toList());
    }
  }
}
