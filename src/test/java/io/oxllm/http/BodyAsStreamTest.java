package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A whole completion, answered to a stream request, as the stream an SDK reads. */
class BodyAsStreamTest {
  private static final String TOOLS = "{\"id\":\"c9\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt\","
      + "\"system_fingerprint\":\"fp\",\"choices\":["
      + "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
      + "{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}},"
      + "{\"id\":\"t2\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]},"
      + "\"logprobs\":null,\"finish_reason\":\"tool_calls\"},"
      + "{\"index\":1,\"message\":{\"role\":\"assistant\",\"content\":\"no tools\",\"refusal\":null},\"finish_reason\":\"stop\"}],"
      + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":5,\"total_tokens\":14}}";

  /** The events' data, in order. */
  private static List<String> events(Buffer sse) {
    List<String> out = new ArrayList<>();
    for (String event : sse.toString().split("\n\n")) {
      assertEquals("data: ", event.substring(0, 6), event);
      out.add(event.substring(6));
    }
    return out;
  }

  private static List<Buffer> chunked(String body, int size) {
    List<Buffer> out = new ArrayList<>();
    for (int i = 0; i < body.length(); i += size) {
      out.add(Buffer.buffer(body.substring(i, Math.min(body.length(), i + size))));
    }
    return out;
  }

  @Test
  void everyChoiceIsOneDeltaAndEachToolCallSaysItsIndex() {
    for (int size : new int[] {7, TOOLS.length()}) {
      List<String> events = events(BodyAsStream.of(ErrorBody.object(chunked(TOOLS, size)), true));
      assertEquals(3, events.size(), events::toString);
      JsonObject chunk = new JsonObject(events.get(0));
      assertEquals("chat.completion.chunk", chunk.getString("object"));
      assertEquals("c9", chunk.getString("id"));
      assertEquals("gpt", chunk.getString("model"));
      assertEquals("fp", chunk.getString("system_fingerprint"));
      assertNull(chunk.getValue("usage"));
      JsonArray choices = chunk.getJsonArray("choices");
      JsonObject first = choices.getJsonObject(0);
      assertEquals("tool_calls", first.getString("finish_reason"));
      JsonArray calls = first.getJsonObject("delta").getJsonArray("tool_calls");
      assertEquals(0, calls.getJsonObject(0).getInteger("index"));
      assertEquals(1, calls.getJsonObject(1).getInteger("index"));
      assertEquals("{\"a\":1}", calls.getJsonObject(0).getJsonObject("function").getString("arguments"));
      assertNull(first.getValue("message"));
      assertEquals("no tools", choices.getJsonObject(1).getJsonObject("delta").getString("content"));
      JsonObject usage = new JsonObject(events.get(1));
      assertEquals(0, usage.getJsonArray("choices").size());
      assertEquals(14, usage.getJsonObject("usage").getInteger("total_tokens"));
      assertEquals("[DONE]", events.get(2));
    }
  }

  @Test
  void theUsageChunkOnlyWhenTheClientAskedForIt() {
    List<String> events = events(BodyAsStream.of(new JsonObject(TOOLS), false));
    assertEquals(2, events.size(), events::toString);
    assertEquals("[DONE]", events.get(1));
  }

  @Test
  void aLegacyCompletionStaysOneWithItsText() {
    String legacy = "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","
        + "\"choices\":[{\"text\":\"hello\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"length\"}]}";
    List<String> events = events(BodyAsStream.of(new JsonObject(legacy), true));
    assertEquals(2, events.size(), events::toString);
    JsonObject chunk = new JsonObject(events.get(0));
    assertEquals("text_completion", chunk.getString("object"));
    String noIndex = "{\"object\":\"chat.completion\",\"choices\":[{\"message\":{\"content\":\"a\"}},{\"message\":{}}]}";
    JsonArray indexed = new JsonObject(events(BodyAsStream.of(new JsonObject(noIndex), false)).get(0)).getJsonArray("choices");
    assertEquals(0, indexed.getJsonObject(0).getInteger("index"), "a choice without its index gets its place");
    assertEquals(1, indexed.getJsonObject(1).getInteger("index"));
    assertEquals("hello", chunk.getJsonArray("choices").getJsonObject(0).getString("text"));
  }

  @Test
  void aFirstTokenIsContentTextOrToolCallsAsAStreamsDeltaWouldHave() {
    assertTrue(BodyAsStream.carriesToken(new JsonObject(TOOLS)), "tool calls with content null");
    String chat = "{\"object\":\"chat.completion\",\"choices\":[{\"message\":{\"content\":%s}}]}";
    String legacy = "{\"object\":\"text_completion\",\"choices\":[{\"text\":%s}]}";
    for (String said : List.of("\"hi\"", "\"\"", "null")) {
      boolean token = said.equals("\"hi\"");
      assertEquals(token, BodyAsStream.carriesToken(new JsonObject(String.format(chat, said))), said);
      assertEquals(token, BodyAsStream.carriesToken(new JsonObject(String.format(legacy, said))), said);
    }
    assertFalse(BodyAsStream.carriesToken(new JsonObject("{\"object\":\"chat.completion\",\"choices\":[{}]}")));
    assertTrue(BodyAsStream.carriesToken(new JsonObject("{\"object\":\"chat.completion\",\"choices\":[{\"message\":"
        + "{\"content\":\"\",\"reasoning_content\":\"hm\"}}]}")), "a reasoning model's first token is its first thought");
  }

  @Test
  void anythingElseIsNotConverted() {
    for (String body : List.of("{\"object\":\"list\",\"data\":[]}", "{\"choices\":[]}",
        "{\"object\":\"chat.completion\"}", "{\"object\":\"chat.completion\",\"choices\":[1]}")) {
      assertNull(BodyAsStream.of(new JsonObject(body), true), body);
    }
    for (String body : List.of("[1,2]", "not json", "")) {
      assertNull(ErrorBody.object(List.of(Buffer.buffer(body))), "no JSON object, nothing to convert: " + body);
    }
  }
}
