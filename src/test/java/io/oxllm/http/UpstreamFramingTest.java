package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.LogCapture;
import io.oxllm.testing.Polling;
import io.oxllm.testing.RawUpstream;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.Timeout;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Upstream answers no well-behaved server writes, from an audit of hostile upstreams: an interim
 * status (a 1xx Vert.x does not skip, or a 101 nobody asked for) is not the answer, and its
 * connection never goes back to the pool with the real answer still to come on it (one client got
 * another's completion); a 3xx is no answer either; a head followed by nothing usable fails over,
 * since nothing has gone to the client yet.
 */
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class UpstreamFramingTest extends StreamTestBase {
  private static final String JSON_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
  private RawUpstream raw;

  @AfterEach
  void closeRaw() {
    if (raw != null) {
      await(raw.close());
    }
  }

  /** Chain {@value #CHAIN} = [r (the raw upstream), b]; "solo" = [r]. Returns the gateway's port. */
  private int start(RawUpstream.Script script, String rTimeouts) {
    raw = await(RawUpstream.start(vertx, script));
    return await(gateway(raw.provider("r", rTimeouts) + ChainToml.provider("b", b, "")
        + ChainToml.chain(CHAIN, "r", "b") + "solo = [{ provider = \"r\", model = \"" + ChainToml.MODEL + "\" }]\n"));
  }

  private Response post(int port, String model, boolean stream) {
    return await(GatewayHarness.post(client, port, "/v1/chat/completions", "{\"model\":\"" + model
        + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
  }

  private static void json(NetSocket socket, String body) {
    socket.write(RawUpstream.bytes(JSON_HEAD + "Content-Length: " + body.length() + "\r\n\r\n" + body));
  }

  /** r alone ("solo") answers 502, its attempt's error saying {@code why}. */
  private void assertSoloFails(int port, String why) {
    Response solo = post(port, "solo", false);
    assertEquals(502, solo.status(), solo::bodyAsString);
    assertTrue(solo.bodyAsString().contains("r: " + why), solo::bodyAsString);
  }

  /** b answered, after r's attempt failed. */
  private static void assertFailedOver(Response r) {
    assertEquals(200, r.status(), r::bodyAsString);
    assertEquals("b", r.header("x-oxllm-provider"), r::bodyAsString);
    assertEquals("2", r.header("x-oxllm-attempts"));
  }

  @ParameterizedTest
  @ValueSource(ints = {101, 102, 104, 199})
  void anInterimStatusIsNoAnswerAndItsConnectionIsNotReused(int status) {
    int port = start((n, socket) -> {
      if (n == 1) {
        // the interim status, then the real answer a moment later, on the same connection
        socket.write(RawUpstream.bytes("HTTP/1.1 " + status + " Interim\r\n\r\n"));
        vertx.setTimer(50, t -> json(socket, "{\"answer\":\"first\"}"));
      } else {
        json(socket, "{\"answer\":\"request " + n + "\"}");
      }
    }, "");
    try (LogCapture log = LogCapture.start()) {
      assertFailedOver(post(port, CHAIN, false));
      Polling.eventually(Duration.ofSeconds(5), () -> assertEquals(List.of(1), raw.closedConnections()));
      // closing it is ours: no SEVERE "StreamResetException" a line for each (a re-audit)
      assertTrue(log.records().stream().noneMatch(l -> l.contains("StreamReset")), () -> String.join("\n", log.records()));
    }
    Response second = post(port, "solo", false);
    assertEquals(200, second.status(), second::bodyAsString);
    assertEquals("{\"answer\":\"request 2\"}", second.bodyAsString());
    assertEquals(List.of(1, 2), raw.connectionOfRequest());
  }

  @Test
  void anInterimStatusToAStreamFailsOverToo() {
    b.respond(Behaviour.sseChat(2, 0));
    int port = start((n, socket) -> socket.write(RawUpstream.bytes("HTTP/1.1 102 Processing\r\n\r\n")), "");
    Response r = post(port, CHAIN, true);
    assertEquals(200, r.status(), r::bodyAsString);
    assertEquals("b", r.header("x-oxllm-provider"));
    assertTrue(r.bodyAsString().contains("[DONE]"), r::bodyAsString);
  }

  @Test
  void aRedirectIsNoAnswer() {
    int port = start((n, socket) -> socket.write(RawUpstream.bytes("HTTP/1.1 302 Found\r\n"
        + "Location: https://elsewhere.example/v1/chat/completions\r\nContent-Length: 0\r\n\r\n")), "");
    assertFailedOver(post(port, CHAIN, false));
    assertSoloFails(port, "status 302");
  }

  @Test
  void aHeadAndThenACutFailsOver() {
    int port = start((n, socket) -> {
      socket.write(RawUpstream.bytes(JSON_HEAD + "Content-Length: 100\r\n\r\n"));
      socket.close();
    }, "");
    assertFailedOver(post(port, CHAIN, false));
  }

  @Test
  void aHeadAndThenBadChunkingFailsOverAndSaysWhy() {
    int port = start((n, socket) -> socket.write(RawUpstream.bytes(JSON_HEAD
        + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")), "");
    assertFailedOver(post(port, CHAIN, false));
    // it said "NumberFormatException: the HTTP client refused the request's URL or a header" (a re-audit)
    assertSoloFails(port, "malformed response");
  }

  @Test
  void aHeadAndThenSilenceFailsOverAtTheIdleTimeout() {
    int port = start((n, socket) -> socket.write(RawUpstream.bytes(JSON_HEAD + "Content-Length: 100\r\n\r\n")),
        "idle_ms = 300");
    assertFailedOver(post(port, CHAIN, false));
  }

  @Test
  void aJsonHeadAndThenSilenceToAStreamRequestSaysTheHeadCame() {
    // such a body is read whole before it goes out (it may be an error, or a completion to convert):
    // first_byte_ms waits for its end, and "no first byte" was false (an audit)
    int port = start((n, socket) -> socket.write(RawUpstream.bytes(JSON_HEAD + "Content-Length: 100\r\n\r\n{\"id\":1")),
        "first_byte_ms = 300");
    Response solo = post(port, "solo", true);
    assertEquals(502, solo.status(), solo::bodyAsString);
    assertTrue(solo.bodyAsString().contains("r: no whole answer within 300 ms (the response head came;"), solo::bodyAsString);
  }

  @Test
  void bytesPastAnAnswersEndSpoilTheNextAnswerOnItsConnectionAndTheErrorSaysWhose() {
    int port = start((n, socket) -> {
      if (n == 1) {
        socket.write(RawUpstream.bytes(JSON_HEAD + "Content-Length: 2\r\n\r\n{}XYZ")); // a server miscounting
      } else {
        json(socket, "{\"answer\":\"request " + n + "\"}");
      }
    }, "");
    assertEquals("{}", post(port, "solo", false).bodyAsString());
    assertSoloFails(port, "malformed response");
    Response third = post(port, "solo", false);
    assertEquals("{\"answer\":\"request 3\"}", third.bodyAsString(), "on a new connection");
  }

  @Test
  void aBodyCutAfterItsFirstBytesIsATruncationTheClientSees() {
    int port = start((n, socket) -> {
      socket.write(RawUpstream.bytes(JSON_HEAD + "Content-Length: 100\r\n\r\n{\"answer\":"));
      vertx.setTimer(50, t -> socket.close());
    }, "");
    Throwable failure = GatewayHarness.post(client, port, "/v1/chat/completions",
        "{\"model\":\"" + CHAIN + "\",\"messages\":[]}").toCompletionStage().handle((r, e) -> e).toCompletableFuture().join();
    assertTrue(failure != null, "a body cut after bytes went out can only be told by closing the connection");
  }
}
