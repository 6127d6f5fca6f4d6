package io.oxllm.upstream;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The echo provider's /completions: {@value EchoResponses#PREFIX} and the prompt, whole or streamed
 * word by word. An array {@code prompt} is joined with one space into a single prompt (one choice,
 * no batching); token-id integers join as their decimal text.
 */
final class EchoCompletions {
  private EchoCompletions() {}

  static EchoResponses.Reply answer(JsonObject body, String model, String rid, long created) {
    Object p = body.getValue("prompt");
    String prompt = p == null ? null : promptText(p);
    if (p == null) {
      return EchoResponses.missing("prompt");
    } else if (prompt == null) {
      return EchoResponses.wrongType("prompt", "a string or an array", p);
    }
    String reply = EchoResponses.PREFIX + prompt;
    JsonObject usage = EchoResponses.usage(EchoResponses.countWords(prompt), EchoResponses.countWords(reply));
    String id = "cmpl-echo-" + rid;
    if (!EchoResponses.isStream(body)) {
      return EchoResponses.json(200, EchoResponses.head(id, "text_completion", created, model)
          .put("choices", new JsonArray().add(choice(reply, "stop"))).put("usage", usage));
    }
    boolean withUsage = EchoResponses.includeUsage(body);
    List<Buffer> out = new ArrayList<>();
    for (String piece : EchoResponses.pieces(reply)) {
      out.add(EchoResponses.event(chunk(id, created, model, piece, null, withUsage)));
    }
    out.add(EchoResponses.event(chunk(id, created, model, "", "stop", withUsage)));
    JsonObject usageHead = EchoResponses.head(id, "text_completion", created, model);
    return EchoResponses.stream(out, withUsage, usageHead, usage);
  }

  private static JsonObject choice(String text, String finish) {
    return new JsonObject().put("text", text).put("index", 0).putNull("logprobs")
        .put("finish_reason", finish);
  }

  private static JsonObject chunk(String id, long created, String model, String text,
      String finish, boolean withUsage) {
    JsonObject chunk = EchoResponses.head(id, "text_completion", created, model)
        .put("choices", new JsonArray().add(choice(text, finish)));
    return withUsage ? chunk.putNull("usage") : chunk;
  }

  /** A prompt's text: strings as is, token ids as decimals, arrays joined by a space; null if a part has another type. */
  private static String promptText(Object p) {
    if (p instanceof String s) {
      return s;
    }
    if (p instanceof Number n) {
      return n.toString();
    }
    if (!(p instanceof JsonArray arr)) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < arr.size(); i++) {
      String part = promptText(arr.getValue(i));
      if (part == null) {
        return null;
      }
      parts.add(part);
    }
    return String.join(" ", parts);
  }
}
