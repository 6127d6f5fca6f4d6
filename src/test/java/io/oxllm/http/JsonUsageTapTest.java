package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Usage and model from a non-stream answer, from its head and tail only, however it is chunked. */
class JsonUsageTapTest {
  private static final String ANSWER = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini-2024\","
      + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + "x".repeat(20_000) + "\"},"
      + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":345,"
      + "\"total_tokens\":357,\"prompt_tokens_details\":{\"cached_tokens\":0}},\"system_fingerprint\":\"fp\"}";

  private static JsonUsageTap tap(String body, int chunk) {
    JsonUsageTap tap = new JsonUsageTap();
    for (int i = 0; i < body.length(); i += chunk) {
      tap.feed(Buffer.buffer(body.substring(i, Math.min(body.length(), i + chunk))));
    }
    tap.finish();
    return tap;
  }

  @Test
  void readsUsageAndModelWhateverTheChunking() {
    for (int chunk : new int[] {1, 7, 100, 1023, 1024, 4095, 4096, 4097, 16384, 1 << 20}) {
      JsonUsageTap t = tap(ANSWER, chunk);
      assertEquals(12, t.inputTokens(), "chunk " + chunk);
      assertEquals(345, t.outputTokens(), "chunk " + chunk);
      assertEquals("gpt-4o-mini-2024", t.model(), "chunk " + chunk);
      assertEquals(java.util.List.of("stop"), t.finishReasons(), "chunk " + chunk);
    }
  }

  @Test
  void findsKeysAtTheEdgesOfWhatItKeeps() {
    // the tail kept is exactly the last TAIL bytes and starts with a key; the head starts with one
    String start = "\"finish_reason\":\"length\",\"x\":\"";
    String end = "\"},\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}";
    String tail = start + "y".repeat(JsonUsageTap.TAIL - start.length() - end.length()) + end;
    for (int chunk : new int[] {1, 64, 4096, 1 << 20}) {
      JsonUsageTap t = tap("\"model\":\"m\"," + "z".repeat(10_000) + tail, chunk);
      assertEquals("m", t.model(), "chunk " + chunk);
      assertEquals(java.util.List.of("length"), t.finishReasons(), "chunk " + chunk);
      assertEquals(1, t.inputTokens(), "chunk " + chunk);
      assertEquals(2, t.outputTokens(), "chunk " + chunk);
    }
    JsonUsageTap cut = tap("{\"usage\"", 2); // the key is the last bytes: no value
    assertEquals(-1, cut.inputTokens());
  }

  @Test
  void readsUsageFromTheHeadWhenItComesBeforeALongAnswer() {
    String usageFirst = "{\"id\":\"c\",\"model\":\"m\",\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":5},"
        + "\"choices\":[{\"message\":{\"content\":\"" + "x".repeat(10_000) + "\"},\"finish_reason\":\"stop\"}]}";
    for (int chunk : new int[] {1, 1000, 1 << 20}) {
      JsonUsageTap t = tap(usageFirst, chunk);
      assertEquals(7, t.inputTokens(), "chunk " + chunk);
      assertEquals(5, t.outputTokens(), "chunk " + chunk);
    }
  }

  @Test
  void theTopLevelModelAndUsageNotOnesNestedInAChoice() {
    // an audit: a "usage" and a "model" inside the message were taken, 999/888 tokens for 7/5
    String nested = "{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,\"choices\":[{\"index\":0,\"message\":"
        + "{\"role\":\"assistant\",\"content\":\"a \\\"model\\\": here\",\"model\":\"inner-fake\",\"usage\":"
        + "{\"prompt_tokens\":999,\"completion_tokens\":888}},\"finish_reason\":\"stop\"}],\"model\":\"outer-real\","
        + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":5,\"total_tokens\":12}}";
    String usageFirst = "{\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":5},\"choices\":[{\"message\":{\"model\":"
        + "\"inner\",\"usage\":{\"prompt_tokens\":1}}}],\"model\":\"outer-real\"" + " ".repeat(5_000) + "}";
    for (String body : List.of(nested, usageFirst)) {
      for (int size : new int[] {7, body.length()}) {
        JsonUsageTap t = tap(body, size);
        assertEquals("outer-real", t.model(), body);
        assertEquals(7, t.inputTokens(), body);
        assertEquals(5, t.outputTokens(), body);
      }
    }
  }

  @Test
  void aModelWithEscapesIsDecoded() {
    // PHP's "\/", Python's ensure_ascii "\u00fc": the span had no gen_ai.response.model (a telemetry audit)
    for (String[] c : new String[][] {{"meta-llama\\/Llama-3.1-8B", "meta-llama/Llama-3.1-8B"}, {"up-\\u00fc", "up-\u00fc"},
        {"q\\\"x", "q\"x"}, {"b\\\\", "b\\"}}) {
      String body = "{\"id\":\"c\",\"model\":\"" + c[0] + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":5}}";
      for (int size : new int[] {3, body.length()}) {
        JsonUsageTap t = tap(body, size);
        assertEquals(c[1], t.model(), body);
        assertEquals(7, t.inputTokens(), body);
      }
    }
  }

  @Test
  void readsTheModelFromTheTailWhenKeysComeInAlphabeticalOrder() {
    // llama.cpp's server: "choices", "created", "id", "model", "object", …, "usage"
    String sorted = "{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"message\":{\"content\":\""
        + "x".repeat(5_000) + "\",\"role\":\"assistant\"}}],\"created\":1,\"id\":\"chatcmpl-1\","
        + "\"model\":\"llama-3.2-1b\",\"object\":\"chat.completion\",\"timings\":{\"predicted_n\":9},"
        + "\"usage\":{\"completion_tokens\":9,\"prompt_tokens\":4,\"total_tokens\":13}}";
    for (int chunk : new int[] {1, 1000, 4096, 1 << 20}) {
      JsonUsageTap t = tap(sorted, chunk);
      assertEquals("llama-3.2-1b", t.model(), "chunk " + chunk);
      assertEquals(4, t.inputTokens(), "chunk " + chunk);
      assertEquals(9, t.outputTokens(), "chunk " + chunk);
    }
  }

  @Test
  void readsAChunkWhereItLiesAndOnlyItsOwnBytes() {
    // chunks that are parts of a larger array: the tap reads the first in place, and must read
    // neither what lies before it nor after it there (keys that would win, were they read)
    String before = "{\"model\":\"before\",\"usage\":{\"prompt_tokens\":90,\"completion_tokens\":91}}";
    String after = ",\"model\":\"after\",\"finish_reason\":\"after\",\"usage\":{\"prompt_tokens\":80,\"completion_tokens\":81}}";
    String small = "{\"model\":\"m\",\"choices\":[{\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}";
    for (String body : new String[] {small, ANSWER}) {
      Buffer whole = Buffer.buffer(before + body + after);
      for (int cut : new int[] {body.length(), body.length() / 2, 1}) {
        JsonUsageTap t = new JsonUsageTap();
        t.feed(whole.slice(before.length(), before.length() + cut));
        if (cut < body.length()) {
          t.feed(whole.slice(before.length() + cut, before.length() + body.length()));
        }
        t.finish();
        boolean big = body == ANSWER;
        assertEquals(big ? 12 : 3, t.inputTokens(), "cut " + cut);
        assertEquals(big ? 345 : 4, t.outputTokens(), "cut " + cut);
        assertEquals(big ? "gpt-4o-mini-2024" : "m", t.model(), "cut " + cut);
        assertEquals(java.util.List.of("stop"), t.finishReasons(), "cut " + cut);
      }
    }
  }

  @Test
  void unknownWhenAbsentOrOdd() {
    JsonUsageTap none = tap("{\"model\":\"m\",\"choices\":[]}", 5);
    assertEquals(-1, none.inputTokens());
    assertEquals("m", none.model());
    JsonUsageTap odd = tap("{\"usage\":{\"prompt_tokens\":\"many\"}}", 3);
    assertEquals(-1, odd.inputTokens());
    assertNull(odd.model());
    JsonUsageTap truncated = tap("{\"usage\":{\"prompt_tokens\":3,\"completion_to", 4);
    assertEquals(3, truncated.inputTokens());
    assertEquals(-1, truncated.outputTokens());
    JsonUsageTap nullUsage = tap("{\"model\":\"m\",\"usage\":null}", 4);
    assertEquals(-1, nullUsage.inputTokens());
  }
}
