package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.StreamRecorder;
import io.vertx.junit5.Timeout;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An HTTP/1.0 client that asks for keep-alive (ApacheBench's -k, old proxies) and an answer whose
 * length the gateway cannot give: HTTP/1.0 has no chunks, so only the connection's close can end
 * such a body. It stayed open, and the client waited for the idle timeout (an audit: 60 s for a
 * 401 whose body had a key replaced).
 */
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class HttpOneZeroClientTest extends StreamTestBase {
  private static final String KEY = "sk-live-0123456789abcdef";

  /** Sends {@code request}, reads until the gateway closes; fails if that takes over 5 s. */
  private static String untilClosed(int port, String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) != -1; ) {
          got.write(buf, 0, n);
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the answer's end never came: " + got.toString(StandardCharsets.UTF_8));
      }
      return got.toString(StandardCharsets.UTF_8);
    }
  }

  private static String post(String json) {
    return "POST /v1/chat/completions HTTP/1.0\r\nConnection: keep-alive\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json;
  }

  @Test
  void anErrorBodyWithAKeyReplacedEndsWithTheConnection() throws Exception {
    a.respond(Behaviour.json(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + "\"}}", Map.of()));
    int port = await(gateway(ChainToml.provider("a", a, "") + "api_key = \"" + KEY + "\"\n" + ChainToml.chain(CHAIN, "a")));
    String text = untilClosed(port, post("{\"model\":\"" + CHAIN + "\",\"messages\":[]}"));
    assertTrue(text.startsWith("HTTP/1.0 401 "), text);
    assertTrue(text.endsWith("Incorrect API key provided: [redacted]\"}}"), text);
  }

  @Test
  void aStreamEndsWithTheConnection() throws Exception {
    a.respond(Behaviour.sseChat(3, 10));
    int port = await(onlyA(""));
    String text = untilClosed(port, post(StreamRecorder.chatBody(CHAIN)));
    assertTrue(text.startsWith("HTTP/1.0 200 "), text);
    assertTrue(text.endsWith("data: [DONE]\n\n"), text);
  }
}
