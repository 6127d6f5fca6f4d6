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
  void aByteOrderMarkBeforeTheFirstEventIsNotPartOfItsFieldName() {
    // the SSE spec's parser skips one at the stream's start; read as "\uFEFFdata", the first
    // event had no data, so no first token was seen (an audit of hostile upstreams)
    byte[] bytes = utf8("\uFEFF" + CHAT);
    for (int cut = 1; cut < 8; cut++) {
      assertEquals(CHAT_FACTS, feed(bytes, SseScanner.DEFAULT_MAX_EVENT_BYTES, cut), "cut at " + cut);
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
  void aReasoningDeltaIsTheFirstToken() {
    String reasoning = "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Let\"}}]}\n\n";
    String content = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n";
    for (String field : List.of("reasoning_content", "reasoning")) {
      SseScanner s = scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES);
      s.feed(Buffer.buffer(reasoning.replace("reasoning_content", field)));
      long first = s.firstTokenNanos();
      assertTrue(s.sawFirstToken(), field);
      s.feed(Buffer.buffer(content));
      assertEquals(first, s.firstTokenNanos(), field + ": the thought came first");
    }
  }

  @Test
  void aLastDoneWithoutItsBlankLineIsKnownAndSoIsWhatEndsIt() {
    String[][] cases = {
        // fed, then: inside a [DONE] event?, what ends the event
        {"data: a\n\ndata: [DONE]", "true", "\n\n"},
        {"data: a\n\ndata:[DONE]\n", "true", "\n"},
        {"data: a\r\n\r\ndata: [DONE]\r\n", "true", "\n"},
        {"data: a\r\rdata: [DONE]\r", "true", "\r\n"},
        {"data: a\n\nid: 9\ndata: [DONE]\n", "true", "\n"},
        {"data: a\n\ndata: [DONE]\ndata: more\n", "false", "\n"},
        {"data: a\n\ndata: [DON", "false", "\n\n"},
        {"data: a\n\n", "false", "\n"},
    };
    for (String[] c : cases) {
      SseScanner s = new SseScanner(System::nanoTime, 64 * 1024);
      s.feed(Buffer.buffer(c[0]));
      assertEquals(Boolean.parseBoolean(c[1]), s.endsInsideDoneEvent(), c[0]);
      assertEquals(c[2], s.eventEnd(), c[0]);
    }
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
            new Facts(7, true, false, null, null, List.of(), -1, -1, null, 0)),
        Arguments.of("a count that is a float or beyond a long is no count",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12.0,"
                + "\"completion_tokens\":18446744073709551616}}\n\n",
            new Facts(1, false, false, null, null, List.of(), -1, -1, null, 0)),
        Arguments.of("a count beyond an int is still a count",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4294967296,"
                + "\"completion_tokens\":9223372036854775807}}\n\n",
            new Facts(1, false, false, null, null, List.of(), 4294967296L, Long.MAX_VALUE, null, 0)));
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
        Arguments.of("nor an empty one", "data: {\"error\":\"\",\"choices\":[]}\n\n" + ok, null),
        Arguments.of("error in a later event", ok + "data: {\"error\":{\"message\":\"x\"}}\n\n",
            null),
        Arguments.of("malformed first event", "data: {\"error\":{\"message\":\"x\"\n\n", null),
        Arguments.of("[DONE] first", "data: [DONE]\n\ndata: {\"error\":\"x\"}\n\n", null),
        // an SSE event of type error is one whatever its data says (audit: it was relayed as an answer)
        Arguments.of("event error, text data", "event: error\ndata: upstream overloaded\n\n", "upstream overloaded"),
        Arguments.of("event error, JSON message", "event:error\ndata: {\"message\":\"boom\"}\n\n", "boom"),
        Arguments.of("event error, error object", "event: error\ndata: {\"error\":{\"message\":\"x\"}}\n\n", "x"),
        Arguments.of("event error, other JSON", "event: error\ndata: {\"code\":7}\n\n", "{\"code\":7}"),
        Arguments.of("another event type", "event: errors\ndata: {\"a\":1}\n\n", null),
        Arguments.of("event error later", ok + "event: error\ndata: boom\n\n", null));
  }

  static Stream<Arguments> laterErrors() {
    String ok = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n";
    String done = "data: [DONE]\n\n";
    return Stream.of(
        Arguments.of("none", ok + ok + done, null),
        Arguments.of("an error member", ok + "data: {\"error\":{\"message\":\"The server had an error\"}}\n\n" + done,
            "The server had an error"),
        Arguments.of("a string error", ok + "data: {\"error\":\"overloaded\"}\n\n", "overloaded"),
        Arguments.of("the first of two", ok + "data: {\"error\":\"one\"}\n\n" + "data: {\"error\":\"two\"}\n\n", "one"),
        Arguments.of("a null error is none", ok + "data: {\"error\":null,\"choices\":[]}\n\n" + done, null),
        Arguments.of("nor an empty one", ok + "data: {\"error\":\"\",\"choices\":[]}\n\n"
            + "data: {\"error\":{},\"choices\":[]}\n\n" + "data: {\"error\":false}\n\n" + done, null),
        Arguments.of("an event of type error", ok + "event: error\ndata: upstream overloaded\n\n", "upstream overloaded"),
        Arguments.of("an event of type error, JSON", ok + "event: error\ndata: {\"error\":{\"message\":\"x\"}}\n\n", "x"),
        Arguments.of("the first event's is not a later one", "data: {\"error\":\"first\"}\n\n" + ok, null),
        Arguments.of("after [DONE] too", ok + done + "data: {\"error\":\"late\"}\n\n", "late"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("laterErrors")
  void anErrorAfterTheFirstEventIsKnown(String name, String stream, String message) {
    for (String s : List.of(stream, stream.replace("\n", "\r\n"))) {
      for (int chunk : new int[] {1, 7, s.length()}) {
        SseScanner scanner = new SseScanner();
        byte[] b = utf8(s);
        for (int i = 0; i < b.length; i += chunk) {
          scanner.feed(Buffer.buffer(Arrays.copyOfRange(b, i, Math.min(b.length, i + chunk))));
        }
        assertEquals(message, scanner.laterErrorMessage(), name + ", chunk " + chunk);
      }
    }
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
        Arguments.of("{\"delta\":{\"reasoning_content\":\"hm\"}}", false, true, true),
        Arguments.of("{\"delta\":{\"reasoning\":\"hm\"}}", false, true, true),
        Arguments.of("{\"delta\":{\"reasoning\":\"\"}}", false, true, false),
        Arguments.of("{\"delta\":{\"reasoning_content\":\"hm\"}}", false, false, false),
        Arguments.of("{\"error\":{\"message\":\"x\"}}", false, false, true),
        Arguments.of("{\"error\" : \"x\"}", false, false, true),
        Arguments.of("{\"error\":null,\"choices\":[]}", false, false, false),
        Arguments.of("{\"delta\":{\"content\":\"error\"}}", false, false, false),
        Arguments.of("\"", true, true, false));
  }

  @ParameterizedTest
  @MethodSource("sniffs")
  void sniffingSkipsMidStreamDeltas(String json, boolean wantModel, boolean wantToken,
      boolean parse) {
    byte[] b = utf8("  " + json + "  ");
    assertEquals(parse, JsonSniffer.worthParsing(b, 2, b.length - 4, wantModel, wantToken));
  }

  // ---------------------------------------------------------------- event ends (feed with a listener)

  /** One reported event end, its offset made absolute in the stream. */
  record End(int at, boolean usageOnly) {}

  /** Feeds bytes cut at the given ascending offsets, collecting every event end as an {@link End}. */
  static List<End> ends(SseScanner s, byte[] bytes, int... cuts) {
    List<End> out = new java.util.ArrayList<>();
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : bytes.length;
      int base = from;
      int length = to - from;
      s.feed(Buffer.buffer().appendBytes(bytes, from, length), (end, usageOnly) -> {
        assertTrue(end > 0 && end <= length, () -> "end " + end + " outside the chunk of " + length);
        out.add(new End(base + end, usageOnly));
      });
      from = to;
    }
    return out;
  }

  /** Where {@link #CHAT} with {@code eol} line ends has its events end: after each blank line. */
  static List<End> chatEnds(String eol) {
    String stream = CHAT.replace("\n", eol);
    String blank = eol + eol;
    List<End> expected = new java.util.ArrayList<>();
    int event = 0;
    for (int at = stream.indexOf(blank); at >= 0; at = stream.indexOf(blank, at + blank.length())) {
      int end = utf8(stream.substring(0, at + blank.length())).length; // for CRLF: after its LF
      expected.add(new End(end, event == 4)); // the fifth event is the usage-only chunk
      event++;
    }
    assertEquals(6, expected.size());
    return expected;
  }

  /**
   * The ends expected when the stream is cut at {@code cuts}: as for the whole stream, except that
   * an event whose blank line's CR ends a chunk is reported there (not held for the next chunk),
   * and the LF that starts the next chunk is then reported as a block of its own, with the
   * event's usageOnly.
   */
  static List<End> cutEnds(List<End> whole, byte[] bytes, int... cuts) {
    List<End> out = new java.util.ArrayList<>();
    for (End e : whole) {
      int lf = e.at() - 1;
      if (bytes[lf] == '\n' && lf > 0 && bytes[lf - 1] == '\r'
          && Arrays.stream(cuts).anyMatch(c -> c == lf)) {
        out.add(new End(lf, e.usageOnly()));
        out.add(new End(e.at(), e.usageOnly()));
      } else {
        out.add(e);
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lineEndings")
  void eventEndsAreTheSameForEverySplit(String name, String eol) {
    byte[] bytes = utf8(CHAT.replace("\n", eol));
    List<End> expected = chatEnds(eol);
    SseScanner whole = scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES);
    assertEquals(expected, ends(whole, bytes), "whole");
    assertEquals(CHAT_FACTS, facts(whole), "the facts are recorded as without a listener");
    for (int cut = 1; cut < bytes.length; cut++) {
      SseScanner s = scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES);
      assertEquals(cutEnds(expected, bytes, cut), ends(s, bytes, cut), "split " + cut);
      assertEquals(CHAT_FACTS, facts(s), "split " + cut);
    }
    int[] everyByte = java.util.stream.IntStream.range(1, bytes.length).toArray();
    SseScanner bytewise = scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES);
    assertEquals(cutEnds(expected, bytes, everyByte), ends(bytewise, bytes, everyByte), "byte at a time");
    assertEquals(12, bytewise.inputTokens());
    assertEquals(3, bytewise.outputTokens());
  }

  @Test
  void eventEndsAgreeForRandomSplitsIntoManyChunks() {
    byte[] bytes = utf8(CHAT.replace("\n", "\r\n"));
    List<End> expected = chatEnds("\r\n");
    Random random = new Random(7);
    for (int round = 0; round < 300; round++) {
      int[] cuts = random.ints(1 + random.nextInt(20), 1, bytes.length).sorted().distinct()
          .toArray();
      assertEquals(cutEnds(expected, bytes, cuts),
          ends(scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES), bytes, cuts),
          () -> "cuts " + Arrays.toString(cuts));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lineEndings")
  void eventEndsAtTheScannersInternalWindowBoundaries(String name, String eol) {
    // one chunk, scanned in windows: put each byte of the first blank line on the boundary
    String usage = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1}}" + eol + eol;
    String done = "data: [DONE]" + eol + eol;
    // with limit 100 the first window is 101 bytes, then the oversize event is skipped in windows
    int[][] limitAndBoundary = {{SseScanner.DEFAULT_MAX_EVENT_BYTES, SseScanner.WINDOW},
        {100, 101 + SseScanner.WINDOW}};
    for (int[] lb : limitAndBoundary) {
      for (int shift = -3; shift <= 2; shift++) {
        int pad = lb[1] - utf8("data: \"\"" + eol).length + shift;
        String first = "data: \"" + "p".repeat(pad) + "\"" + eol + eol;
        byte[] bytes = utf8(first + usage + done);
        int a = utf8(first).length;
        int b = a + utf8(usage).length;
        List<End> expected = List.of(new End(a, false), new End(b, true), new End(bytes.length, false));
        assertEquals(expected, ends(scanner(lb[0]), bytes), "limit " + lb[0] + ", shift " + shift);
      }
    }
  }

  @Test
  void feedWithoutAListenerStillWorksAfterOneWithIt() {
    byte[] bytes = utf8(CHAT);
    int cut = bytes.length / 2;
    SseScanner s = scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES);
    List<End> seen = new java.util.ArrayList<>();
    s.feed(Buffer.buffer().appendBytes(bytes, 0, cut), (end, usageOnly) -> seen.add(new End(end, usageOnly)));
    s.feed(Buffer.buffer().appendBytes(bytes, cut, bytes.length - cut)); // no listener: nobody told
    assertEquals(chatEnds("\n").stream().filter(e -> e.at() <= cut).toList(), seen);
    assertEquals(CHAT_FACTS, facts(s));
  }

  static Stream<Arguments> usageOnlyEvents() {
    return Stream.of(
        Arguments.of("usage-only chunk", "{\"choices\":[],\"usage\":{\"prompt_tokens\":1}}", true),
        Arguments.of("with whitespace", "{ \"choices\" : [ ] , \"usage\" : { } }", true),
        Arguments.of("usage first", "{\"usage\":{\"total_tokens\":2},\"id\":\"x\",\"choices\":[]}", true),
        Arguments.of("usage with a choice", "{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":1}}", false),
        Arguments.of("null usage", "{\"choices\":[],\"usage\":null}", false),
        Arguments.of("no choices field (usage alone, as some servers send it)", "{\"usage\":{\"prompt_tokens\":1}}", true),
        Arguments.of("choices not an array", "{\"choices\":{},\"usage\":{\"prompt_tokens\":1}}", false),
        Arguments.of("usage not an object", "{\"choices\":[],\"usage\":[1]}", false),
        Arguments.of("an ordinary delta", "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}",
            false),
        Arguments.of("[DONE]", "[DONE]", false),
        Arguments.of("malformed", "{\"choices\":[],\"usage\":{", false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("usageOnlyEvents")
  void usageOnlyIsAUsageObjectWithNoOrEmptyChoices(String name, String json, boolean usageOnly) {
    String first = "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n";
    for (String event : List.of("data: " + json + "\n\n",
        "id: 4\ndata: " + json.replace(",", ",\ndata: ") + "\r\n\r\n")) { // several data lines
      byte[] bytes = utf8(first + event + ": ping\n\n");
      List<End> got = ends(scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES), bytes);
      int firstEnd = utf8(first).length;
      int eventEnd = firstEnd + utf8(event).length;
      assertEquals(List.of(new End(firstEnd, false), new End(eventEnd, usageOnly),
          new End(bytes.length, false)), got, event);
    }
    // as the first event of a stream too
    byte[] alone = utf8("data: " + json + "\n\n");
    assertEquals(List.of(new End(alone.length, usageOnly)),
        ends(scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES), alone));
  }

  @Test
  void blankLinesAndCommentBlocksEndToo() {
    byte[] bytes = utf8("\n: keep-alive\n\nevent: ping\n\ndata: [DONE]\n\n\n");
    assertEquals(List.of(new End(1, false), new End(15, false), new End(28, false),
        new End(42, false), new End(43, false)),
        ends(scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES), bytes));
  }

  @ParameterizedTest(name = "chunk size {0}")
  @ValueSource(ints = {1, 7, 100, 4096, 9000, 1_000_000})
  void oversizeEventsEndWhereTheyEndAndAreNeverUsageOnly(int chunkSize) {
    int limit = 1024;
    String bigUsage = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"note\":\""
        + "u".repeat(3000) + "\"}}\r\n\r\n"; // usage-only but too big to inspect
    String usage = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6}}\n\n";
    String stream = bigEvent(20_000) + usage + bigUsage + usage + "data: [DONE]\n\n";
    byte[] bytes = utf8(stream);
    int a = utf8(bigEvent(20_000)).length;
    int b = a + utf8(usage).length;
    int c = b + utf8(bigUsage).length;
    int d = c + utf8(usage).length;
    List<End> expected = List.of(new End(a, false), new End(b, true), new End(c, false),
        new End(d, true), new End(bytes.length, false));
    int[] cuts = java.util.stream.IntStream.iterate(chunkSize, i -> i < bytes.length, i -> i + chunkSize)
        .toArray();
    SseScanner s = scanner(limit);
    assertEquals(cutEnds(expected, bytes, cuts), ends(s, bytes, cuts));
    assertEquals(5, s.inputTokens());
    assertEquals(6, s.outputTokens());
    assertEquals(5, s.events());
    // the oversize usage event is not inspected, however the stream is cut
    byte[] upToBig = Arrays.copyOf(bytes, c);
    SseScanner t = scanner(limit);
    int[] cutsBefore = Arrays.stream(cuts).filter(i -> i < upToBig.length).toArray();
    assertEquals(cutEnds(expected.subList(0, 3), upToBig, cutsBefore), ends(t, upToBig, cutsBefore));
    assertEquals(5, t.inputTokens());
  }

  @Test
  void maxEventBytesIsTheLimitGiven() {
    assertEquals(SseScanner.DEFAULT_MAX_EVENT_BYTES, new SseScanner().maxEventBytes());
    assertEquals(77, scanner(77).maxEventBytes());
  }

  @Test
  void itKnowsWhetherTheBytesSoFarEndInsideAnEvent() {
    String[][] cases = {
        // fed pieces, then: inside an event?, inside one with data?
        {"data: a\n\n", "false", "false"},
        {"data: a\r\n\r\n", "false", "false"},
        {"data: a\r\n\r", "false", "false"},
        {"data: a\n\ndata: {\"cho", "true", "true"},
        {"data: a\n\ndata: b\n", "true", "true"},
        {"data: a\n\n: ping\n", "true", "false"},
        {"data: a\n\nevent: x", "true", "false"},
        {"data: " + "y".repeat(70_000), "true", "true"}, // over the inspection limit: skipped, still inside
        // a last line cut inside the name "data" is a data line cut short
        {"data: a\n\nd", "true", "true"},
        {"data: a\n\nda", "true", "true"},
        {"data: a\n\n: ping\ndat", "true", "true"},
        {"data: a\r\n\r\ndat", "true", "true"},
        {"data: a\n\ndx", "true", "false"},
        {"data: a\n\nda\n", "true", "false"}, // a whole line "da" is a field of its own, ignored
        {"data: a\n\n: da", "true", "false"},
        {": " + "y".repeat(70_000) + "\nda", "true", "true"}, // the same in an event over the limit
        {": " + "y".repeat(70_000) + "\nev", "true", "false"},
    };
    for (String[] c : cases) {
      SseScanner s = new SseScanner(System::nanoTime, 64 * 1024);
      s.feed(Buffer.buffer(c[0]));
      assertEquals(Boolean.parseBoolean(c[1]), s.endsInsideEvent(), c[0]);
      assertEquals(Boolean.parseBoolean(c[2]), s.endsInsideDataEvent(), c[0]);
    }
  }

  @Test
  void itCountsEachChoiceThatFinishedOnceByItsIndex() {
    String[][] cases = {
        // events, then: finished choices
        {"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n", "0"},
        {"data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n", "1"}, // no index: choice 0
        {"data: {\"choices\":[{\"index\":1,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n", "1"},
        {"data: {\"choices\":[{\"index\":1,\"finish_reason\":\"stop\"}]}\n\n"
            + "data: {\"choices\":[{\"index\":1,\"finish_reason\":\"length\"}]}\n\n", "1"},
        {"data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"},{\"index\":1,\"finish_reason\":\"stop\"}]}\n\n", "2"},
        {"data: {\"choices\":[{\"index\":2,\"finish_reason\":\"stop\"}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"finish_reason\":null}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"}]}\n\n", "2"},
        // only choices asked for count (n = 3 here): not 5, -1, a huge or a non-integer index
        {"data: {\"choices\":[{\"index\":5,\"finish_reason\":\"stop\"},{\"index\":-1,\"finish_reason\":\"stop\"},"
            + "{\"index\":2147483647,\"finish_reason\":\"stop\"},{\"index\":1.0,\"finish_reason\":\"stop\"}]}\n\n", "0"},
        {"data: {\"choices\":[{\"index\":2,\"finish_reason\":\"stop\"},{\"index\":3,\"finish_reason\":\"stop\"}]}\n\n", "1"},
    };
    for (String[] c : cases) {
      SseScanner s = scanner(SseScanner.DEFAULT_MAX_EVENT_BYTES);
      s.feed(Buffer.buffer(c[0]));
      assertEquals(Integer.parseInt(c[1]), s.finishedChoices(3), c[0]);
    }
  }
}
