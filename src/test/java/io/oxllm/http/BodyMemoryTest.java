package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code server.body_memory_bytes} bounds the request bodies held at once, all instances together:
 * a body past it is refused unread with 503 {@code server_busy}, and every way a request can end
 * gives its body's share back.
 */
@ExtendWith(VertxExtension.class)
class BodyMemoryTest {
  private static final String HEAD = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";

  private int port;
  private TestUpstream upstream;

  private void start(Vertx vertx, long maxBody, long budget) {
    upstream = await(TestUpstream.start(vertx)).respond(Behaviour.hang());
    port = await(GatewayHarness.start(vertx, "[server]\nport = 0\ninstances = 2\nmax_body_bytes = " + maxBody
        + "\nbody_memory_bytes = " + budget + "\nbody_timeout_secs = 1\n"
        + GatewayHarness.provider("up", upstream, "slow") + "[[providers]]\nname = \"echo\"\ntype = \"echo\"\n")).port();
  }

  /** A chat body of exactly {@code size} bytes for {@code model}. */
  private static String body(String model, int size) {
    String start = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"";
    String end = "\"}]}";
    return start + "x".repeat(size - start.length() - end.length()) + end;
  }

  private static String withLength(String body) {
    return HEAD + "Content-Length: " + body.length() + "\r\n\r\n" + body;
  }

  private static String chunked(String body) {
    return HEAD + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
  }

  private Socket send(String bytes) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    socket.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
    return socket;
  }

  /** One answer: its head, lower-cased, and its body (by Content-Length). */
  private static String readAnswer(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new AssertionError("closed before an answer: " + head);
      }
      head.append((char) c);
    }
    String lower = head.toString().toLowerCase(Locale.ROOT);
    int at = lower.indexOf("content-length: ");
    int length = Integer.parseInt(lower.substring(at + 16, lower.indexOf("\r\n", at)).trim());
    return lower + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static void assertStatus(int status, String answer) {
    assertTrue(answer.startsWith("http/1.1 " + status + " "), answer.substring(0, Math.min(answer.length(), 400)));
  }

  private String exchange(String bytes) throws IOException {
    try (Socket socket = send(bytes)) {
      return readAnswer(socket.getInputStream());
    }
  }

  @Test
  void aBodyPastTheBudgetIsRefusedUnreadUntilTheHeldOnesAnswerEnds(Vertx vertx) throws Exception {
    start(vertx, 60_000, 100_000);
    try (Socket held = send(withLength(body("slow", 60_000)))) { // the upstream never answers it
      await(upstream.awaitRequests(1));

      // 60 000 + 60 000 passes 100 000, on either instance: refused before a byte of its body is read
      try (Socket refused = send(HEAD + "Content-Length: 60000\r\n\r\n")) {
        String answer = readAnswer(refused.getInputStream());
        assertTrue(answer.startsWith("http/1.1 503 "), answer);
        assertTrue(answer.contains("\"code\":\"server_busy\""), answer);
        assertTrue(answer.contains("retry-after: 1\r\n"), answer);
      }
      // 60 000 + 40 000 fits: read whole, then answered (a model no one serves: the echo's answer
      // would count too, anEchoAnswerWrittenWholeCountsUntilItsClientHasReadIt)
      String fits = exchange(withLength(body("nope", 40_000)));
      assertTrue(fits.startsWith("http/1.1 404 ") && fits.contains("model_not_found"), fits.substring(0, 60));
      assertEquals(1, upstream.requestCount(), "the refused request went nowhere");
      assertTrue(metrics().contains("\noxllm_request_bodies_held_bytes 60000\n"), this::metrics);
      assertTrue(metrics().contains("\noxllm_request_bodies_limit_bytes 100000\n"), this::metrics);
    }
    // the held request's client left: its connection's close gives its 60 000 back
    eventually(Duration.ofSeconds(5), () -> {
      String again = exchange(withLength(body("echo", 60_000)));
      assertTrue(again.startsWith("http/1.1 200 "), again.substring(0, 60));
    });
    eventually(Duration.ofSeconds(5), () -> assertTrue(metrics().contains("\noxllm_request_bodies_held_bytes 0\n")));
  }

  @Test
  void aCommittedStreamGivesItsBodyBackWhileItRuns(Vertx vertx) throws Exception {
    start(vertx, 60_000, 100_000);
    upstream.respond(Behaviour.stallAfter(1, 0)); // one event, then silence: the stream stays open
    String stream = body("slow", 60_000 - 14).replaceFirst("\\{", "{\"stream\":true,");
    try (Socket streaming = send(withLength(stream))) {
      InputStream in = streaming.getInputStream();
      String head = new String(in.readNBytes(12), StandardCharsets.ISO_8859_1);
      assertEquals("HTTP/1.1 200", head); // committed: no other attempt can follow, so the body may go
      eventually(Duration.ofSeconds(5), () -> assertTrue(metrics().contains("\noxllm_request_bodies_held_bytes 0\n"),
          this::metrics));
      // 60 000 + 60 000 would pass 100 000 if the running stream still counted its body
      String next = exchange(withLength(body("echo", 60_000)));
      assertTrue(next.startsWith("http/1.1 200 "), next.substring(0, 60));
      assertEquals(1, upstream.requestCount());
    }
  }

  /**
   * The echo writes its whole answer at once, so one a client does not read stays in the gateway:
   * its bytes take the body's place in the budget until they have gone to the kernel. The count
   * was given back as the answer was written, so such answers to clients that do not read were
   * held past the budget.
   */
  @Test
  void anEchoAnswerWrittenWholeCountsUntilItsClientHasReadIt(Vertx vertx) throws Exception {
    start(vertx, 6_000_000, 10_000_000);
    try (Socket unread = new Socket()) {
      unread.setReceiveBufferSize(8192); // the answer outgrows the socket buffers between us (4 MB at most)
      unread.connect(new java.net.InetSocketAddress("127.0.0.1", port));
      unread.setSoTimeout(10_000);
      unread.getOutputStream().write(withLength(body("echo", 6_000_000)).getBytes(StandardCharsets.ISO_8859_1));
      // its answer, 6 MB and a little more than its body
      eventually(Duration.ofSeconds(5), () -> assertTrue(heldBytes() > 6_000_000, this::metrics));
      String refused = exchange(withLength(body("echo", 5_000_000))); // 6 + 5 passes 10
      assertStatus(503, refused);
      assertTrue(refused.contains("\"code\":\"server_busy\""), refused);

      String answer = readAnswer(unread.getInputStream()); // all of it read: the count goes
      assertStatus(200, answer);
      assertTrue(answer.endsWith("\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}"),
          answer.substring(answer.length() - 200));
    }
    eventually(Duration.ofSeconds(5), () -> assertEquals(0, heldBytes()));
    assertStatus(200, exchange(withLength(body("echo", 5_000_000))));
  }

  private long heldBytes() {
    String m = metrics();
    String name = "\noxllm_request_bodies_held_bytes ";
    int at = m.indexOf(name) + name.length();
    return Long.parseLong(m.substring(at, m.indexOf('\n', at)));
  }

  /** {@code GET /metrics}, as Prometheus would scrape it. */
  private String metrics() {
    try {
      String answer = exchange("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      return answer.substring(answer.indexOf("\r\n\r\n") + 4);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aRefusedBodyIsDroppedAndTheConnectionAndTheAnswersAroundItStay(Vertx vertx) throws Exception {
    start(vertx, 60_000, 100_000);
    try (Socket held = send(withLength(body("slow", 60_000)))) {
      await(upstream.awaitRequests(1));
      String healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
      try (Socket pipelined = send(healthz + withLength(body("echo", 60_000)) + healthz + withLength(body("echo", 100)))) {
        InputStream in = pipelined.getInputStream();
        assertStatus(200, readAnswer(in));
        String refused = readAnswer(in);
        assertStatus(503, refused);
        assertTrue(refused.contains("\"code\":\"server_busy\"") && refused.contains("retry-after: 1\r\n"), refused);
        assertTrue(!refused.contains("connection: close"), refused);
        assertStatus(200, readAnswer(in)); // the refused body was read past, unkept: the next request is framed
        assertStatus(200, readAnswer(in));
      }
    }
  }

  @Test
  void everyWayARequestEndsGivesItsBodyBack(Vertx vertx) throws Exception {
    int limit = 50_000; // max_body_bytes too: a body of that size goes only when nothing else is held
    start(vertx, limit, limit);
    HttpClient client = GatewayHarness.client(vertx);

    assertEquals(200, await(GatewayHarness.post(client, port, "/v1/chat/completions", body("echo", 1_000))).status());
    assertEquals(400, await(GatewayHarness.post(client, port, "/v1/chat/completions", "{\"model\":")).status());
    assertEquals(404, await(GatewayHarness.post(client, port, "/v1/chat/completions", body("nope", 1_000))).status());
    assertStatus(200, exchange(chunked(body("echo", 2_000))));
    // an echo answer's count comes back as its last write's future completes, on its event loop,
    // which a client reading it and sending on, to the other instance, can beat by a hair
    eventually(Duration.ofSeconds(5), () -> assertEquals(0, heldBytes()));
    assertStatus(413, exchange(chunked(body("echo", limit + 1)))); // counted as the whole budget
    assertStatus(413, exchange(withLength(body("echo", limit + 1))));
    // the chunked one counts as max_body_bytes, the whole budget: it goes only if the first is given
    // back first (not an echo: its answer counts until sent, which is after this read's requests)
    try (Socket pipelined = send(withLength(body("nope", 20_000)) + chunked(body("echo", 20_000)))) {
      InputStream in = pipelined.getInputStream();
      assertStatus(404, readAnswer(in));
      assertStatus(200, readAnswer(in));
    }
    try (Socket halfSent = send(HEAD + "Content-Length: 40000\r\n\r\n{\"model\":\"echo\"")) {
      OutputStream out = halfSent.getOutputStream();
      out.flush(); // and leaves in the middle of its body
    }
    try (Socket leaves = send(withLength(body("slow", 10_000)))) {
      await(upstream.awaitRequests(1)); // and leaves while the upstream has it
    }
    try (Socket stalls = send(HEAD + "Content-Length: 30000\r\n\r\n{")) {
      String answer = readAnswer(stalls.getInputStream()); // body_timeout_secs
      assertTrue(answer.startsWith("http/1.1 408 "), answer);
    }

    // all of it back (the closes are seen on the event loops a moment later)
    eventually(Duration.ofSeconds(5), () -> {
      String whole = exchange(withLength(body("echo", limit)));
      assertTrue(whole.startsWith("http/1.1 200 "), whole.substring(0, 60));
    });
  }
}
