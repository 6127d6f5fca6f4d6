package io.oxllm.sse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SseScannerTest {
  private static final String HEAD =
      "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
          + "\"model\":\"gpt-4o-ünï-🌍\",\"system_fingerprint\":\"fp_1\",\"choices\":";

  /** A realistic chat stream: role, content deltas (multi-byte), stop, usage-only, [DONE]. */
  static final String CHAT = String.join("",
      "data: " + HEAD + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
          + "\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
      "data: " + HEAD + "[{\"index\":0,\"delta\":{\"content\":\"Hé 世界\"},"
          + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
      "data: " + HEAD + "[{\"index\":0,\"delta\":{\"content\":\" 🌍!\"},"
          + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
      "data: " + HEAD + "[{\"index\":0,\"delta\":{},\"logprobs\":null,"
          + "\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
      "data: " + HEAD + "[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,"
          + "\"total_tokens\":15}}\n\n",
      "data: [DONE]\n\n");

  /** Everything the scanner reports, comparable across chunkings. */
  record Facts(int events, boolean done, boolean error, String errorMessage, String finish,
      List<String> finishes, long in, long out, String model, long firstToken) {}

  /** The expected facts of {@link #CHAT}; the test clock reads 1000 + events() at first token. */
  static final Facts CHAT_FACTS = new Facts(6, true, false, null, "stop", List.of("stop"), 12, 3,
      "gpt-4o-ünï-🌍", 1002);

  /** A scanner whose clock reads 1000 + the number of events counted so far. */
  static SseScanner scanner(int limit) {
    SseScanner[] box = new SseScanner[1];
    box[0] = new SseScanner(() -> 1000L + box[0].events(), limit);
    return box[0];
  }

  static Facts facts(SseScanner s) {
    return new Facts(s.events(), s.sawDone(), s.firstEventIsError(), s.firstErrorMessage(),
        s.finishReason(), s.finishReasons(), s.inputTokens(), s.outputTokens(),
        s.responseModel(), s.firstTokenNanos());
  }

  /** Feeds bytes cut at the given ascending offsets. */
  static Facts feed(byte[] bytes, int limit, int... cuts) {
    SseScanner s = scanner(limit);
    int from = 0;
    for (int cut : cuts) {
      s.feed(Buffer.buffer().appendBytes(bytes, from, cut - from));
      from = cut;
    }
    s.feed(Buffer.buffer().appendBytes(bytes, from, bytes.length - from));
    return facts(s);
  }

  static Facts whole(String stream) {
    return feed(utf8(stream), SseScanner.DEFAULT_MAX_EVENT_BYTES);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Whole, byte by byte, and at every single split point: all must agree with {@code expected}. */
  static void assertAllChunkings(String stream, Facts expected) {
    byte[] bytes = utf8(stream);
    assertEquals(expected, feed(bytes, SseScanner.DEFAULT_MAX_EVENT_BYTES), "whole");
    SseScanner bytewise = scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES);
    for (byte b : bytes) {
      bytewise.feed(Buffer.buffer(new byte[] {b}));
    }
    assertEquals(expected, facts(bytewise), "byte at a time");
    for (int cut = 1; cut < bytes.length; cut++) {
      assertEquals(expected, feed(bytes, SseScanner.DEFAULT_MAX_EVENT_BYTES, cut), "split " + cut);
    }
  }

  static Stream<Arguments> lineEndings() {
    return Stream.of(Arguments.of("LF", "\n"), Arguments.of("CRLF", "\r\n"),
        Arguments.of("CR", "\r"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lineEndings")
  void chatStreamGivesSameFactsForEveryChunking(String name, String eol) {
    assertAllChunkings(CHAT.replace("\n", eol), CHAT_FACTS);
  }

  @Test
  void randomChunkingsAgree() {
    byte[] bytes = utf8(CHAT.replace("\n", "\r\n"));
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      int[] cuts = random.ints(1 + random.nextInt(12), 1, bytes.length).sorted().distinct()
          .toArray();
      assertEquals(CHAT_FACTS, feed(bytes, SseScanner.DEFAULT_MAX_EVENT_BYTES, cuts));
    }
  }

  @Test
  void firstTokenTimeIsTakenWhenTheEventCompletes() {
    byte[] bytes = utf8(CHAT);
    int secondEnd = CHAT.indexOf("\n\n", CHAT.indexOf("\n\n") + 2);
    int cut = utf8(CHAT.substring(0, secondEnd + 1)).length; // between the two LFs
    SseScanner s = scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES);
    s.feed(Buffer.buffer().appendBytes(bytes, 0, cut));
    assertEquals(1, s.events());
    assertEquals(0, s.firstTokenNanos());
    assertFalse(s.sawFirstToken());
    s.feed(Buffer.buffer().appendBytes(bytes, cut, 1));
    assertEquals(2, s.events());
    assertEquals(1002, s.firstTokenNanos());
    assertTrue(s.sawFirstToken());
  }

  @Test
  void defaultConstructorUsesNanoTime() {
    long before = System.nanoTime();
    SseScanner s = new SseScanner();
    s.feed(Buffer.buffer(CHAT));
    assertTrue(s.firstTokenNanos() - before >= 0);
    assertEquals(CHAT_FACTS.model(), s.responseModel());
  }

  static Stream<Arguments> streams() {
    String c = "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},"
        + "\"finish_reason\":null}]}\n\n";
    String stop = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
    return Stream.of(
        Arguments.of("multi-line data joined with LF",
            "data: {\"model\":\"m\",\n" + "data:\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"
                + "data:[DONE]\n\n",
            new Facts(2, true, false, null, null, List.of(), -1, -1, "m", 1001)),
        Arguments.of("comments, keep-alives and field-only blocks do not count",
            ": keep-alive\n\n:OPENROUTER PROCESSING\r\n\r\nevent: ping\nid: 7\nretry: 100\n\n"
                + "id: 1\nevent: message\n: note\nretry: 5\n" + c + ": keep-alive\n\n" + stop
                + "data: [DONE]\n\n",
            new Facts(3, true, false, null, "stop", List.of("stop"), -1, -1, "m", 1001)),
        Arguments.of("empty data fields count, 'data ' with a space is another field",
            "data\n\ndata:\n\ndata \n\ndata: [DONE]\n\n",
            new Facts(3, true, false, null, null, List.of(), -1, -1, null, 0)),
        Arguments.of("mixed line endings", c.replace("\n\n", "\r\n\n") + "data: [DONE]\r\r",
            new Facts(2, true, false, null, null, List.of(), -1, -1, "m", 1001)),
        Arguments.of("no [DONE]: clean end after finish_reason", c + stop,
            new Facts(2, false, false, null, "stop", List.of("stop"), -1, -1, "m", 1001)),
        Arguments.of("incomplete last event is not counted", c + "data: [DONE]\n",
            new Facts(1, false, false, null, null, List.of(), -1, -1, "m", 1001)),
        Arguments.of("completions (text) stream",
            "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"model\":\"instruct\","
                + "\"choices\":[{\"text\":\"\",\"index\":0,\"finish_reason\":null}]}\n\n"
                + "data: {\"choices\":[{\"text\":\"Once\",\"index\":0,\"finish_reason\":null}]}\n\n"
                + "data: {\"choices\":[{\"text\":\" upon\",\"index\":0,"
                + "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":5,"
                + "\"completion_tokens\":2}}\n\ndata: [DONE]\n\n",
            new Facts(4, true, false, null, "length", List.of("length"), 5, 2, "instruct", 1002)),
        Arguments.of("tool_calls delta is the first token",
            "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"role\":\"assistant\","
                + "\"content\":null},\"finish_reason\":null}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},"
                + "\"finish_reason\":null}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
            new Facts(3, false, false, null, "tool_calls", List.of("tool_calls"), -1, -1, "m",
                1002)),
        Arguments.of("usage null in deltas, last non-null usage wins",
            "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\n"
                + "data: {\"choices\":[{\"delta\":{}}],\"usage\":null}\n\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":9}}\n\n",
            new Facts(4, false, false, null, null, List.of(), 7, 9, null, 1001)),
        Arguments.of("whitespace in JSON does not hide facts",
            "data: {\"choices\": []}\n\n"
                + "data: { \"model\" : \"m\", \"choices\" : [ { \"delta\" : { \"content\" :\n"
                + "data: \"x\" } , \"finish_reason\" : \"stop\" } ], \"usage\" : {"
                + " \"prompt_tokens\" : 2 , \"completion_tokens\" : 4 } }\n\n",
            new Facts(2, false, false, null, "stop", List.of("stop"), 2, 4, "m", 1002)),
        Arguments.of("n=2: distinct finish reasons in order, last one wins",
            "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"b\"},"
                + "\"finish_reason\":\"length\"}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"},"
                + "{\"index\":2,\"finish_reason\":\"length\"}]}\n\n",
            new Facts(2, false, false, null, "length", List.of("length", "stop"), -1, -1, null,
                1001)),
        Arguments.of("malformed JSON never throws, still counts",
            "data: {not json\n\ndata: {\"model\":\"x\",,}\n\ndata: \"str\"\n\ndata: 123\n\n"
                + "data: {\"choices\":\"no\",\"usage\":[1],\"model\":7}\n\n"
                + "data: {\"choices\":[1,null,{\"delta\":3,\"finish_reason\":5}],"
                + "\"usage\":{\"prompt_tokens\":\"x\"}}\n\ndata: [DONE]\n\n",
            new Facts(7, true, false, null, null, List.of(), -1, -1, null, 0)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("streams")
  void streamFacts(String name, String stream, Facts expected) {
    assertAllChunkings(stream, expected);
  }

  static Stream<Arguments> firstEvents() {
    String ok = "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n";
    return Stream.of(
        Arguments.of("error object", "data: {\"error\":{\"message\":\"Rate limit reached\","
            + "\"type\":\"rate_limit_error\",\"code\":429}}\n\n", "Rate limit reached"),
        Arguments.of("error string after comments", ": hi\n\ndata: {\"error\":\"boom\"}\n\n", "boom"),
        Arguments.of("error without message: raw JSON", "data: {\"error\":{\"code\":500}}\n\n",
            "{\"code\":500}"),
        Arguments.of("error with non-text message", "data: {\"error\":{\"message\":42}}\n\n", "42"),
        Arguments.of("null error is no error", "data: {\"error\":null}\n\n" + ok, null),
        Arguments.of("error in a later event", ok + "data: {\"error\":{\"message\":\"x\"}}\n\n",
            null),
        Arguments.of("malformed first event", "data: {\"error\":{\"message\":\"x\"\n\n", null),
        Arguments.of("[DONE] first", "data: [DONE]\n\ndata: {\"error\":\"x\"}\n\n", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("firstEvents")
  void firstEventError(String name, String stream, String message) {
    for (String s : List.of(stream, stream.replace("\n", "\r\n"))) {
      Facts f = whole(s);
      assertEquals(message != null, f.error(), name);
      assertEquals(message, f.errorMessage(), name);
    }
  }

  static String bigEvent(int contentBytes) {
    return "data: {\"model\":\"big\",\"choices\":[{\"delta\":{\"content\":\"" + "x".repeat(contentBytes)
        + "\"},\"finish_reason\":\"length\"}]}\n\n";
  }

  @ParameterizedTest(name = "chunk size {0}")
  @ValueSource(ints = {1, 7, 100, 4096, 1_000_000})
  void oversizeEventIsCountedNotBufferedAndTheNextIsParsed(int chunkSize) {
    int limit = 1024;
    String next = "id: 3\ndata: {\"model\":\"after\",\"choices\":[{\"delta\":{\"content\":\"y\"},"
        + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}"
        + "\r\n\r\n";
    String comment = ":" + "c".repeat(5000) + "\n\n"; // oversize, but no data: not an event
    byte[] bytes = utf8(comment + bigEvent(20_000) + next + "data: [DONE]\n\n");
    SseScanner s = scanner(limit);
    int maxCarried = 0;
    int maxCapacity = 0;
    for (int from = 0; from < bytes.length; from += chunkSize) {
      s.feed(Buffer.buffer().appendBytes(bytes, from, Math.min(chunkSize, bytes.length - from)));
      maxCarried = Math.max(maxCarried, s.carriedBytes());
      maxCapacity = Math.max(maxCapacity, s.capacity());
    }
    assertTrue(maxCarried <= limit, "carried " + maxCarried);
    assertTrue(maxCapacity <= SseScanner.WINDOW, "capacity " + maxCapacity);
    // The big event is counted but uninspected: no "length", no model "big", no token from it.
    assertEquals(new Facts(3, true, false, null, "stop", List.of("stop"), 1, 2, "after", 1002),
        facts(s));
  }

  @Test
  void oversizeDataDetectedAcrossTheLimitAndBareDataLine() {
    // The data field starts only after the limit was hit, or is a bare "data" line.
    String late = ":" + "c".repeat(300) + "\nid: 1\ndata: " + "z".repeat(300) + "\n\n";
    String bare = ":" + "c".repeat(300) + "\ndata\n\n";
    String none = "event: " + "e".repeat(300) + "\nda\n\n";
    for (int cut = 1; cut < 300; cut += 7) {
      assertEquals(1, feed(utf8(late), 64, cut).events(), "late " + cut);
      assertEquals(1, feed(utf8(bare), 64, cut).events(), "bare " + cut);
      assertEquals(0, feed(utf8(none), 64, cut).events(), "none " + cut);
    }
    for (String s : List.of(late, bare, none)) { // split right around the bare field names
      int at = s.lastIndexOf("\nd") + 1;
      for (int cut = at; cut <= Math.min(at + 5, s.length()); cut++) {
        assertEquals(s == none ? 0 : 1, feed(utf8(s), 64, cut).events(), s.substring(at));
      }
    }
  }

  @Test
  void largeEventUnderTheLimitIsInspectedAndMemoryIsGivenBack() {
    SseScanner s = new SseScanner(() -> 5L);
    byte[] bytes = utf8(bigEvent(300_000));
    for (int from = 0; from < bytes.length; from += 1500) {
      s.feed(Buffer.buffer().appendBytes(bytes, from, Math.min(1500, bytes.length - from)));
    }
    assertEquals("length", s.finishReason());
    assertEquals(5L, s.firstTokenNanos());
    assertTrue(s.capacity() <= 64 * 1024, "capacity " + s.capacity());
  }

  @Test
  void midStreamDeltasAreNotParsed() {
    StringBuilder sb = new StringBuilder();
    String delta = "data: " + HEAD + "[{\"index\":0,\"delta\":{\"content\":\"tok\"},"
        + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n";
    String[] events = CHAT.split("(?<=\n\n)");
    sb.append(events[0]).append(events[1]);
    sb.append(delta.repeat(500));
    for (int i = 2; i < events.length; i++) {
      sb.append(events[i]);
    }
    SseScanner s = scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES);
    s.feed(Buffer.buffer(sb.toString()));
    assertEquals(new Facts(506, true, false, null, "stop", List.of("stop"), 12, 3,
        CHAT_FACTS.model(), 1002), facts(s));
    // first event, first token, finish_reason, usage: the 501 other deltas cost a byte scan only
    assertEquals(4, s.parses());
  }

  @Test
  void manyEventsInOneLargeChunk() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      sb.append("data: {\"choices\":[{\"delta\":{\"content\":\"t").append(i).append("\"}}]}\n\n");
    }
    sb.append("data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    Facts f = whole(sb.toString());
    assertEquals(2002, f.events());
    assertEquals("stop", f.finish());
    assertTrue(f.done());
  }

  @Test
  void feedDoesNotRetainTheCallersBuffer() {
    byte[] bytes = utf8(CHAT);
    int cut = bytes.length / 2 + 3; // inside an event
    SseScanner s = scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES);
    Buffer first = Buffer.buffer().appendBytes(bytes, 0, cut);
    s.feed(first);
    for (int i = 0; i < first.length(); i++) {
      first.setByte(i, (byte) 'X'); // the caller reuses / releases its buffer
    }
    Buffer rest = Buffer.buffer().appendBytes(bytes, cut, bytes.length - cut);
    s.feed(rest);
    assertEquals(CHAT_FACTS, facts(s));
    assertArrayEquals(Arrays.copyOfRange(bytes, cut, bytes.length), rest.getBytes(),
        "feed() does not modify the chunk");
  }

  @Test
  void nothingFedMeansNothingSeen() {
    SseScanner s = new SseScanner();
    s.feed(Buffer.buffer());
    assertEquals(new Facts(0, false, false, null, null, List.of(), -1, -1, null, 0), facts(s));
    assertNull(s.finishReason());
  }

  static Stream<Arguments> sniffs() {
    String delta = "{\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":"
        + "{\"content\":\"finish_reason usage model\"},\"logprobs\":null,\"finish_reason\":null}],"
        + "\"usage\":null}";
    return Stream.of(
        Arguments.of(delta, false, false, false),
        Arguments.of(delta, true, false, true),
        Arguments.of(delta, false, true, true),
        Arguments.of("{\"choices\":[{\"delta\":{\"content\":\"\"}}]}", false, true, false),
        Arguments.of("{\"choices\":[{\"delta\":{\"content\":null}}]}", false, true, false),
        Arguments.of("{\"choices\":[{\"finish_reason\":\"stop\"}]}", false, false, true),
        Arguments.of("{\"choices\":[{\"finish_reason\" :\n \"stop\"}]}", false, false, true),
        Arguments.of("{\"choices\":[],\"usage\":{\"prompt_tokens\":1}}", false, false, true),
        Arguments.of("{\"finish_reason\":\"tool_calls\"}", false, true, true),
        Arguments.of("{\"x\":\"tool_calls\",\"y\":\"model\",\"z\":\"usage\"}", true, true, false),
        Arguments.of("{\"delta\":{\"tool_calls\":[{\"index\":0}]}}", false, true, true),
        Arguments.of("{\"choices\":[{\"text\":\"a\"}]}", false, true, true),
        Arguments.of("\"", true, true, false));
  }

  @ParameterizedTest
  @MethodSource("sniffs")
  void sniffingSkipsMidStreamDeltas(String json, boolean wantModel, boolean wantToken,
      boolean parse) {
    byte[] b = utf8("  " + json + "  ");
    assertEquals(parse, JsonSniffer.worthParsing(b, 2, b.length - 4, wantModel, wantToken));
  }
}
