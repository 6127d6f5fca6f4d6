package io.oxllm.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A whole completion that an upstream answered to a request that asked for a stream, turned into
 * that stream: one chunk with every choice's message as its delta, the usage chunk when the client
 * asked for usage, and {@code [DONE]}. Some servers (and proxies in front of them) ignore
 * {@code "stream": true}; the client, reading SSE, saw no event at all and took it for an empty
 * answer, without an error, while the gateway logged it {@code ok} (an SDK audit: both OpenAI SDKs
 * yielded zero chunks). Only OpenAI's two completion objects are converted; anything else goes on
 * as it came.
 */
final class BodyAsStream {
  private BodyAsStream() {}

  /** The SSE for {@code answer} (a whole body), or null when it is not a completion object. */
  static Buffer of(JsonObject answer, boolean usageAsked) {
    Object object = answer.getValue("object");
    boolean chat = "chat.completion".equals(object);
    if (!chat && !"text_completion".equals(object) || !(answer.getValue("choices") instanceof JsonArray choices)) {
      return null;
    }
    JsonArray deltas = new JsonArray();
    for (int i = 0; i < choices.size(); i++) {
      if (!(choices.getValue(i) instanceof JsonObject choice)) {
        return null;
      }
      JsonObject delta = chat ? chatChoice(choice) : choice.copy();
      if (!delta.containsKey("index")) {
        delta.put("index", i); // a chunk's choice says which one it continues
      }
      deltas.add(delta);
    }
    Buffer sse = event(head(answer, chat).put("choices", deltas));
    if (usageAsked && answer.getValue("usage") instanceof JsonObject usage) {
      sse.appendBuffer(event(head(answer, chat).put("choices", new JsonArray()).put("usage", usage)));
    }
    return sse.appendString("data: [DONE]\n\n");
  }

  /**
   * Whether a completion {@link #of} converts carries a first token, by the stream scanner's rule
   * for a delta: a non-empty {@code content} (or a completion's {@code text}) or reasoning, or
   * tool calls.
   */
  static boolean carriesToken(JsonObject answer) {
    JsonArray choices = answer.getJsonArray("choices");
    for (int i = 0; i < choices.size(); i++) {
      JsonObject choice = choices.getJsonObject(i);
      if (!(choice.getValue("message") instanceof JsonObject m)) {
        if (hasText(choice.getValue("text"))) {
          return true;
        }
      } else if (hasText(m.getValue("content")) || hasText(m.getValue("reasoning_content"))
          || hasText(m.getValue("reasoning")) || m.getValue("tool_calls") != null) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasText(Object value) {
    return value instanceof String text && !text.isEmpty();
  }

  /** A chunk's fields but its choices, from the answer's. */
  private static JsonObject head(JsonObject answer, boolean chat) {
    JsonObject head = new JsonObject();
    if (answer.containsKey("id")) {
      head.put("id", answer.getValue("id"));
    }
    head.put("object", chat ? "chat.completion.chunk" : "text_completion");
    for (String key : List.of("created", "model", "system_fingerprint", "service_tier")) {
      if (answer.containsKey(key)) {
        head.put(key, answer.getValue(key));
      }
    }
    return head;
  }

  /** The choice with its {@code message} as its {@code delta}, each tool call with its index. */
  private static JsonObject chatChoice(JsonObject choice) {
    JsonObject out = choice.copy();
    Object message = out.remove("message");
    JsonObject delta = message instanceof JsonObject m ? m : new JsonObject();
    if (delta.getValue("tool_calls") instanceof JsonArray calls) {
      for (int i = 0; i < calls.size(); i++) {
        if (calls.getValue(i) instanceof JsonObject call && !call.containsKey("index")) {
          call.put("index", i); // a delta's tool call says which one it continues
        }
      }
    }
    return out.put("delta", delta);
  }

  private static Buffer event(JsonObject chunk) {
    return Buffer.buffer("data: ").appendBuffer(chunk.toBuffer()).appendString("\n\n");
  }
}
