package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * server.idle_timeout_secs: a client connection with no request running (none yet, its answer
 * sent, or a head still trickling in) is closed after the period; a request in progress is not
 * cut however long its answer takes. The period here is 1 s; the gateway looks once a second, so
 * a close comes 1 to 2 s after the connection went idle.
 */
@ExtendWith(VertxExtension.class)
class IdleConnectionTest {
  private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]%s}";
  private TestUpstream upstream;
  private int port;

  private void start(Vertx vertx, int idleSecs) {
    upstream = await(TestUpstream.start(vertx));
    port = await(GatewayHarness.start(vertx, "[server]\nport = 0\ninstances = 1\nidle_timeout_secs = " + idleSecs
        + "\n[[providers]]\nname = \"up\"\nbase_url = \"" + upstream.baseUrl() + "\"\nmodels = [\"m\"]\n")).port();
  }

  /** Everything the gateway sends until it closes the connection, and when that was (ms after {@code since}). */
  private record Closed(String text, long ms) {}

  private static Closed untilClosed(Socket socket, long since) throws IOException {
    socket.setSoTimeout(10_000);
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    in.transferTo(got);
    return new Closed(got.toString(StandardCharsets.UTF_8), (System.nanoTime() - since) / 1_000_000);
  }

  private static void send(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static String post(String model, String extra) {
    String body = CHAT.formatted(model, extra);
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
        + body.length() + "\r\n\r\n" + body;
  }

  private static void assertClosedAfterThePeriod(Closed closed) {
    assertTrue(closed.ms() >= 1_000 && closed.ms() < 3_500, "closed 1 to 2 s after going idle: " + closed.ms() + " ms");
  }

  @Test
  void aConnectionThatSendsNothingIsClosed(Vertx vertx) throws Exception {
    start(vertx, 1);
    try (Socket socket = new Socket("127.0.0.1", port)) {
      Closed closed = untilClosed(socket, System.nanoTime());
      assertEquals("", closed.text());
      assertClosedAfterThePeriod(closed);
    }
  }

  @Test
  void aHeadSentALineAtATimeDoesNotKeepItOpen(Vertx vertx) throws Exception {
    start(vertx, 1);
    try (Socket socket = new Socket("127.0.0.1", port)) {
      long opened = System.nanoTime();
      send(socket, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
      Thread drip = new Thread(() -> {
        try {
          for (int i = 0; i < 50; i++) { // a header line every 200 ms, for 10 s: bytes keep arriving
            Thread.sleep(200);
            send(socket, "x-slow-" + i + ": y\r\n");
          }
        } catch (IOException | InterruptedException e) {
          // closed by the gateway: what the test waits for
        }
      });
      drip.start();
      Closed closed = untilClosed(socket, opened);
      drip.interrupt();
      assertEquals("", closed.text());
      assertClosedAfterThePeriod(closed);
    }
  }

  @Test
  void aKeepAliveConnectionIsClosedAPeriodAfterItsAnswer(Vertx vertx) throws Exception {
    start(vertx, 1);
    try (Socket socket = new Socket("127.0.0.1", port)) {
      Thread.sleep(600); // idle before the request too: the period starts again after the answer
      send(socket, post("m", ""));
      long sent = System.nanoTime();
      Closed closed = untilClosed(socket, sent);
      assertTrue(closed.text().startsWith("HTTP/1.1 200 "), closed.text());
      assertTrue(closed.text().contains("Hello from the test upstream"), closed.text());
      assertClosedAfterThePeriod(closed);
    }
  }

  @Test
  void anAnsweredRequestWhoseDeclaredBodyNeverComesIsClosed(Vertx vertx) throws Exception {
    start(vertx, 1);
    try (Socket socket = new Socket("127.0.0.1", port)) {
      // answered at once; Vert.x then waits for the 10 bytes before it reads a next request
      send(socket, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n");
      Closed closed = untilClosed(socket, System.nanoTime());
      assertTrue(closed.text().startsWith("HTTP/1.1 200 "), closed.text());
      assertClosedAfterThePeriod(closed);
    }
  }

  @Test
  void anAnswerLongerThanThePeriodIsNotCut(Vertx vertx) throws Exception {
    start(vertx, 1);
    upstream.respond(Behaviour.delayHeaders(2_500, Behaviour.chat("late but whole")));
    try (Socket socket = new Socket("127.0.0.1", port)) {
      send(socket, post("m", ""));
      long sent = System.nanoTime();
      Closed closed = untilClosed(socket, sent);
      assertTrue(closed.text().startsWith("HTTP/1.1 200 "), closed.text());
      assertTrue(closed.text().contains("late but whole"), closed.text());
      assertTrue(closed.ms() >= 3_500, "the answer came after 2.5 s, the close 1 to 2 s later: " + closed.ms() + " ms");
    }
  }

  @Test
  void aStreamLongerThanThePeriodIsNotCut(Vertx vertx) throws Exception {
    start(vertx, 1);
    upstream.respond(Behaviour.sseChat(6, 500)); // 3 s of events
    try (Socket socket = new Socket("127.0.0.1", port)) {
      send(socket, post("m", ",\"stream\":true"));
      Closed closed = untilClosed(socket, System.nanoTime());
      assertTrue(closed.text().startsWith("HTTP/1.1 200 "), closed.text());
      assertTrue(closed.text().contains("data: [DONE]"), closed.text());
      assertTrue(closed.ms() >= 4_000, "the stream took 3 s, the close came 1 to 2 s later: " + closed.ms() + " ms");
    }
  }

  @Test
  void aStreamPipelinedBehindAnotherIsNotCut(Vertx vertx) throws Exception {
    start(vertx, 1);
    upstream.respond(Behaviour.sseChat(4, 500)); // 2 s of events each
    try (Socket socket = new Socket("127.0.0.1", port)) {
      // Vert.x starts the second request when the first answer ends, before it says so
      String stream = post("m", ",\"stream\":true");
      send(socket, stream + stream);
      Closed closed = untilClosed(socket, System.nanoTime());
      assertEquals(2, closed.text().split("data: \\[DONE]", -1).length - 1, closed.text());
      assertTrue(closed.ms() >= 5_000, "the streams took 4 s, the close came 1 to 2 s later: " + closed.ms() + " ms");
    }
  }

  @Test
  void zeroKeepsAnIdleConnectionOpen(Vertx vertx) throws Exception {
    start(vertx, 0);
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(2_500);
      assertThrows(SocketTimeoutException.class, () -> socket.getInputStream().read());
      send(socket, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertTrue(untilClosed(socket, System.nanoTime()).text().startsWith("HTTP/1.1 200 "));
    }
  }
}
