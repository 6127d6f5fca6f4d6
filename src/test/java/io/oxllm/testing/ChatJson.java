package io.oxllm.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Builds realistic OpenAI chat JSON (completions and stream chunks) for {@link Behaviour}. */
final class ChatJson {
  static final String MODEL = "test-model";
  static final int PROMPT_TOKENS = 3;
  private static final AtomicLong IDS = new AtomicLong();

  private ChatJson() {}

  static String newId() {
    return "chatcmpl-test-" + IDS.incrementAndGet();
  }

  static long now() {
    return System.currentTimeMillis() / 1000;
  }

  /** Number of whitespace-separated words; stands in for a tokenizer. */
  static int words(String text) {
    String t = text == null ? "" : text.trim();
    return t.isEmpty() ? 0 : t.split("\\s+").length;
  }

  static JsonObject usage(int completionTokens) {
    return new JsonObject()
        .put("prompt_tokens", PROMPT_TOKENS)
        .put("completion_tokens", completionTokens)
        .put("total_tokens", PROMPT_TOKENS + completionTokens);
  }

  /** A non-stream {@code chat.completion} with {@code text} as the assistant message. */
  static String completion(String text) {
    JsonObject choice = new JsonObject()
        .put("index", 0)
        .put("message", new JsonObject().put("role", "assistant").put("content", text))
        .put("logprobs", null)
        .put("finish_reason", "stop");
    return new JsonObject()
        .put("id", newId())
        .put("object", "chat.completion")
        .put("created", now())
        .put("model", MODEL)
        .put("choices", new JsonArray().add(choice))
        .put("usage", usage(words(text)))
        .encode();
  }

  /** The content of stream chunk {@code i} (0-based). */
  static String token(int i) {
    return "tok" + i + " ";
  }

  /** The text a client assembles from {@code n} content chunks. */
  static String streamText(int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(token(i));
    }
    return sb.toString();
  }

  private static JsonObject chunk(String id, long created, JsonObject delta, String finish) {
    JsonObject choice = new JsonObject()
        .put("index", 0)
        .put("delta", delta)
        .put("logprobs", null)
        .put("finish_reason", finish); // null until the last chunk, as OpenAI sends it
    return new JsonObject()
        .put("id", id)
        .put("object", "chat.completion.chunk")
        .put("created", created)
        .put("model", MODEL)
        .put("choices", new JsonArray().add(choice));
  }

  /**
   * Stream events (the part after {@code data: }): {@code contentChunks} content deltas, then
   * optionally a {@code finish_reason: "stop"} chunk, a usage chunk and {@code [DONE]}.
   */
  static List<String> stream(int contentChunks, boolean finish, boolean usage, boolean done) {
    String id = newId();
    long created = now();
    List<String> events = new ArrayList<>();
    for (int i = 0; i < contentChunks; i++) {
      JsonObject delta = new JsonObject();
      if (i == 0) {
        delta.put("role", "assistant"); // OpenAI announces the role on the first delta
      }
      delta.put("content", token(i));
      events.add(chunk(id, created, delta, null).encode());
    }
    if (finish) {
      events.add(chunk(id, created, new JsonObject(), "stop").encode());
    }
    if (usage) {
      // stream_options.include_usage: a final chunk with empty choices and the totals
      events.add(new JsonObject()
          .put("id", id)
          .put("object", "chat.completion.chunk")
          .put("created", created)
          .put("model", MODEL)
          .put("choices", new JsonArray())
          .put("usage", usage(contentChunks))
          .encode());
    }
    if (done) {
      events.add("[DONE]");
    }
    return events;
  }
}
