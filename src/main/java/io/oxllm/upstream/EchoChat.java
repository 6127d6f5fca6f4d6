package io.oxllm.upstream;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The echo provider's /chat/completions: {@value EchoResponses#PREFIX} and the text of the last
 * user message, whole or streamed word by word. Messages that are not objects are skipped; an empty
 * {@code messages} array answers {@code "echo: "}. Content parts count when {@code type} is
 * {@code "text"} and {@code text} is a string; they are joined with one space. prompt_tokens counts
 * every message's text.
 */
final class EchoChat {
  private EchoChat() {}

  static EchoResponses.Reply answer(JsonObject body, String model, String rid, long created) {
    Object m = body.getValue("messages");
    if (m == null) {
      return EchoResponses.missing("messages");
    }
    if (!(m instanceof JsonArray messages)) {
      return EchoResponses.wrongType("messages", "an array", m);
    }
    String lastUser = "";
    int promptTokens = 0;
    for (int i = 0; i < messages.size(); i++) {
      if (messages.getValue(i) instanceof JsonObject msg) {
        String text = contentText(msg.getValue("content"));
        promptTokens += EchoResponses.countWords(text);
        if ("user".equals(msg.getValue("role"))) {
          lastUser = text;
        }
      }
    }
    String reply = EchoResponses.PREFIX + lastUser;
    JsonObject usage = EchoResponses.usage(promptTokens, EchoResponses.countWords(reply));
    String id = "chatcmpl-echo-" + rid;
    if (!EchoResponses.isStream(body)) {
      JsonObject message = new JsonObject().put("role", "assistant").put("content", reply);
      JsonObject choice = new JsonObject().put("index", 0).put("message", message)
          .putNull("logprobs").put("finish_reason", "stop");
      return EchoResponses.json(200, EchoResponses.head(id, "chat.completion", created, model)
          .put("choices", new JsonArray().add(choice)).put("usage", usage));
    }
    boolean withUsage = EchoResponses.includeUsage(body);
    List<Buffer> out = new ArrayList<>();
    JsonObject roleDelta = new JsonObject().put("role", "assistant").put("content", "");
    out.add(EchoResponses.event(chunk(id, created, model, roleDelta, null, withUsage)));
    for (String piece : EchoResponses.pieces(reply)) {
      out.add(EchoResponses.event(chunk(id, created, model,
          new JsonObject().put("content", piece), null, withUsage)));
    }
    out.add(EchoResponses.event(chunk(id, created, model, new JsonObject(), "stop", withUsage)));
    JsonObject usageHead = EchoResponses.head(id, "chat.completion.chunk", created, model);
    return EchoResponses.stream(out, withUsage, usageHead, usage);
  }

  private static JsonObject chunk(String id, long created, String model, JsonObject delta,
      String finish, boolean withUsage) {
    JsonObject choice = new JsonObject().put("index", 0).put("delta", delta)
        .putNull("logprobs").put("finish_reason", finish);
    JsonObject chunk = EchoResponses.head(id, "chat.completion.chunk", created, model)
        .put("choices", new JsonArray().add(choice));
    return withUsage ? chunk.putNull("usage") : chunk;
  }

  /** Text of a message content: a string, or the text parts of a content-part array. */
  private static String contentText(Object content) {
    if (content instanceof String s) {
      return s;
    }
    if (!(content instanceof JsonArray parts)) {
      return "";
    }
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      if (parts.getValue(i) instanceof JsonObject part && "text".equals(part.getValue("type"))
          && part.getValue("text") instanceof String t) {
        texts.add(t);
      }
    }
    return String.join(" ", texts);
  }
}
