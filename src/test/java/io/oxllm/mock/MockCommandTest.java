package io.oxllm.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The command line of {@code oxllm mock}, in-process (no signal handlers are installed by these paths). */
@ExtendWith(VertxExtension.class)
class MockCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
  private final PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);

  @Test
  void flagsParseInBothSpellings() {
    MockCommand.Options o = MockCommand.parse(new String[] {"mock", "-host", "0.0.0.0", "--port", "0",
        "-instances", "2", "--ttft-ms", "10", "--chunks=5", "-gap-ms", "0", "--size", "9", "--fail-rate", "0.3",
        "--fail-status", "429", "--retry-after", "2", "--fault", "cut:4"});
    assertEquals("0.0.0.0", o.host());
    assertEquals(0, o.port());
    assertEquals(2, o.instances());
    assertEquals(new MockKnobs(10, 5, 0, 9, 0.3, 429, "2", MockKnobs.Fault.parse("cut:4")), o.knobs());
    MockCommand.Options d = MockCommand.parse(new String[] {"mock"});
    assertEquals(9090, d.port());
    assertEquals("127.0.0.1", d.host());
    assertEquals(MockKnobs.DEFAULTS, d.knobs());
  }

  @Test
  void usageErrorsExitTwoWithoutStarting() {
    assertEquals(2, MockCommand.run(new String[] {"mock", "--speed", "3"}, outStream, errStream));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown option '--speed'"));
    assertEquals(2, MockCommand.run(new String[] {"mock", "--fault", "explode"}, outStream, errStream));
    assertEquals(2, MockCommand.run(new String[] {"mock", "-port"}, outStream, errStream));
    assertThrows(IllegalArgumentException.class, () -> MockCommand.parse(new String[] {"mock", "-port", "70000"}));
    assertEquals("", out.toString(StandardCharsets.UTF_8));
    assertEquals(0, MockCommand.run(new String[] {"mock", "-h"}, outStream, errStream));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("--fail-rate"));
  }

  @Test
  void portZeroPrintsTheActualPortOnOneLine(Vertx vertx) {
    MockUpstream mock = MockCommand.launch(
        MockCommand.parse(new String[] {"mock", "-port", "0", "-instances", "2", "--size", "7"}), outStream, errStream);
    try {
      String printed = out.toString(StandardCharsets.UTF_8);
      Matcher m = Pattern.compile("oxllm mock listening on http://127\\.0\\.0\\.1:(\\d+)/v1\\R").matcher(printed);
      assertTrue(m.matches(), "stdout was: " + printed);
      int port = Integer.parseInt(m.group(1));
      assertNotEquals(0, port);
      assertEquals(port, mock.port());
      MockClient client = new MockClient(vertx, port);
      assertEquals("ok", client.get("/healthz").json().getString("status"));
      assertEquals(7, client.post("/v1/chat/completions", "{}").json().getJsonArray("choices").getJsonObject(0)
          .getJsonObject("message").getString("content").length());
    } finally {
      MockClient.await(mock.close());
    }
  }
}
