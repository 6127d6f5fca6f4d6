package io.oxllm.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.upstream.EchoResponses.Reply;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class EchoResponsesTest {
  private static final String DONE = "data: [DONE]\n\n";

  private static Reply call(String path, String body) {
    return EchoResponses.answer(path, new JsonObject(body), "echo-model", "r1", 1700000000L);
  }

  private static JsonObject json(Reply r) {
    assertEquals(EchoResponses.JSON_TYPE, r.contentType());
    assertEquals(1, r.chunks().size());
    return new JsonObject(r.chunks().get(0));
  }

  /** Checks SSE framing and returns the parsed events (without [DONE]). */
  private static List<JsonObject> events(Reply r) {
    assertEquals(200, r.status());
    assertEquals(EchoResponses.SSE_TYPE, r.contentType());
    List<Buffer> chunks = r.chunks();
    assertEquals(DONE, chunks.get(chunks.size() - 1).toString());
    List<JsonObject> out = new ArrayList<>();
    for (Buffer b : chunks.subList(0, chunks.size() - 1)) {
      String s = b.toString();
      assertTrue(s.startsWith("data: ") && s.endsWith("\n\n"), s);
      String payload = s.substring(6, s.length() - 2);
      assertFalse(payload.contains("\n"), s);
      out.add(new JsonObject(payload));
    }
    return out;
  }

  private static void assertError(Reply r, int status, String param) {
    assertEquals(status, r.status());
    JsonObject err = json(r).getJsonObject("error");
    assertNotNull(err);
    assertEquals("invalid_request_error", err.getString("type"));
    assertEquals(param, err.getValue("param"));
    assertTrue(err.containsKey("code"));
    assertFalse(err.getString("message").isEmpty());
  }

  // ---- chat ---------------------------------------------------------------------------------

  @Test
  void chatNonStream() {
    JsonObject o = json(call("/chat/completions", """
        {"model":"x","messages":[{"role":"system","content":"be brief"},
         {"role":"user","content":"first one"},{"role":"assistant","content":"ok"},
         {"role":"user","content":"hello there world"}]}"""));
    assertEquals("chatcmpl-echo-r1", o.getString("id"));
    assertEquals("chat.completion", o.getString("object"));
    assertEquals(1700000000L, o.getLong("created"));
    assertEquals("echo-model", o.getString("model"));
    JsonObject choice = o.getJsonArray("choices").getJsonObject(0);
    assertEquals(0, choice.getInteger("index"));
    assertEquals("stop", choice.getString("finish_reason"));
    assertEquals("assistant", choice.getJsonObject("message").getString("role"));
    assertEquals("echo: hello there world", choice.getJsonObject("message").getString("content"));
    JsonObject u = o.getJsonObject("usage");
    assertEquals(2 + 2 + 1 + 3, u.getInteger("prompt_tokens"));
    assertEquals(4, u.getInteger("completion_tokens"));
    assertEquals(12, u.getInteger("total_tokens"));
  }

  @Test
  void chatWithoutUserMessageEchoesEmpty() {
    JsonObject o = json(call("/chat/completions",
        "{\"messages\":[{\"role\":\"system\",\"content\":\"x\"},\"junk\",{\"role\":\"user\"}]}"));
    assertEquals("echo: ",
        o.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content"));
    assertEquals(1, o.getJsonObject("usage").getInteger("completion_tokens"));
  }

  @Test
  void chatMultimodalParts() {
    JsonObject o = json(call("/chat/completions", """
        {"messages":[{"role":"user","content":[{"type":"text","text":"what is"},
         {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},
         {"type":"text","text":"this?"}]}]}"""));
    assertEquals("echo: what is this?",
        o.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content"));
    assertEquals(3, o.getJsonObject("usage").getInteger("prompt_tokens"));
  }

  @Test
  void chatStreamWithoutUsage() {
    List<JsonObject> ev = events(call("/chat/completions",
        "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"one two three\"}]}"));
    assertEquals(1 + 4 + 1, ev.size()); // role, 4 words, finish
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < ev.size(); i++) {
      JsonObject e = ev.get(i);
      assertEquals("chat.completion.chunk", e.getString("object"));
      assertEquals("chatcmpl-echo-r1", e.getString("id"));
      assertFalse(e.containsKey("usage"));
      JsonObject choice = e.getJsonArray("choices").getJsonObject(0);
      JsonObject delta = choice.getJsonObject("delta");
      if (i == 0) {
        assertEquals("assistant", delta.getString("role"));
        assertEquals("", delta.getString("content"));
      } else if (i < ev.size() - 1) {
        text.append(delta.getString("content"));
        assertNull(choice.getValue("finish_reason"));
      } else {
        assertTrue(delta.isEmpty());
        assertEquals("stop", choice.getString("finish_reason"));
      }
    }
    assertEquals("echo: one two three", text.toString());
    assertEquals("two ", ev.get(3).getJsonArray("choices").getJsonObject(0)
        .getJsonObject("delta").getString("content"));
  }

  @Test
  void chatStreamWithUsage() {
    List<JsonObject> ev = events(call("/chat/completions", """
        {"stream":true,"stream_options":{"include_usage":true},
         "messages":[{"role":"user","content":"a  b\\nc"}]}"""));
    JsonObject last = ev.get(ev.size() - 1);
    assertTrue(last.getJsonArray("choices").isEmpty());
    assertEquals(new JsonObject("{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}"),
        last.getJsonObject("usage"));
    StringBuilder text = new StringBuilder();
    for (JsonObject e : ev.subList(0, ev.size() - 1)) {
      assertTrue(e.containsKey("usage"));
      assertNull(e.getValue("usage"));
      Object c = e.getJsonArray("choices").getJsonObject(0).getJsonObject("delta").getValue("content");
      text.append(c == null ? "" : c);
    }
    assertEquals("echo: a  b\nc", text.toString()); // exact, odd whitespace included
    assertEquals("stop",
        ev.get(ev.size() - 2).getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
  }

  @Test
  void specialCharactersRoundTrip() {
    String nasty = "say \"hi\"\n\t\\ <é 日本 😀> \u0001";
    JsonObject body = new JsonObject().put("messages",
        new JsonArray().add(new JsonObject().put("role", "user").put("content", nasty)));
    Reply r = EchoResponses.answer("/chat/completions", body, "m", "r", 1);
    assertEquals("echo: " + nasty, json(r).getJsonArray("choices").getJsonObject(0)
        .getJsonObject("message").getString("content"));
    body.put("stream", true);
    StringBuilder text = new StringBuilder();
    for (JsonObject e : events(EchoResponses.answer("/chat/completions", body, "m", "r", 1))) {
      Object c = e.getJsonArray("choices").getJsonObject(0).getJsonObject("delta").getValue("content");
      text.append(c == null ? "" : c);
    }
    assertEquals("echo: " + nasty, text.toString());
  }

  // ---- completions --------------------------------------------------------------------------

  @Test
  void completionsNonStream() {
    JsonObject o = json(call("/completions", "{\"prompt\":\"tell me\"}"));
    assertEquals("cmpl-echo-r1", o.getString("id"));
    assertEquals("text_completion", o.getString("object"));
    JsonObject choice = o.getJsonArray("choices").getJsonObject(0);
    assertEquals("echo: tell me", choice.getString("text"));
    assertEquals(0, choice.getInteger("index"));
    assertTrue(choice.containsKey("logprobs"));
    assertNull(choice.getValue("logprobs"));
    assertEquals("stop", choice.getString("finish_reason"));
    assertEquals(new JsonObject("{\"prompt_tokens\":2,\"completion_tokens\":3,\"total_tokens\":5}"),
        o.getJsonObject("usage"));
    JsonObject arr = json(call("/completions", "{\"prompt\":[\"a b\",\"c\"]}"));
    assertEquals("echo: a b c", arr.getJsonArray("choices").getJsonObject(0).getString("text"));
  }

  @Test
  void completionsStream() {
    String body = "{\"prompt\":\"x y\",\"stream\":true%s}";
    List<JsonObject> plain = events(call("/completions", body.formatted("")));
    assertEquals(3 + 1, plain.size());
    StringBuilder text = new StringBuilder();
    for (JsonObject e : plain) {
      assertEquals("text_completion", e.getString("object"));
      assertFalse(e.containsKey("usage"));
      text.append(e.getJsonArray("choices").getJsonObject(0).getString("text"));
    }
    assertEquals("echo: x y", text.toString());
    assertEquals("stop", plain.get(3).getJsonArray("choices").getJsonObject(0)
        .getString("finish_reason"));

    List<JsonObject> withUsage = events(call("/completions",
        body.formatted(",\"stream_options\":{\"include_usage\":true}")));
    assertEquals(plain.size() + 1, withUsage.size());
    JsonObject last = withUsage.get(withUsage.size() - 1);
    assertTrue(last.getJsonArray("choices").isEmpty());
    assertEquals(5, last.getJsonObject("usage").getInteger("total_tokens"));
  }

  // ---- embeddings ---------------------------------------------------------------------------

  private static float[] floats(JsonObject item) {
    JsonArray a = item.getJsonArray("embedding");
    float[] v = new float[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.getNumber(i).floatValue();
    }
    return v;
  }

  @Test
  void embeddingsFloat() {
    JsonObject o = json(call("/embeddings", "{\"input\":\"hello world\"}"));
    assertEquals("list", o.getString("object"));
    assertEquals("echo-model", o.getString("model"));
    assertEquals(new JsonObject("{\"prompt_tokens\":2,\"total_tokens\":2}"), o.getJsonObject("usage"));
    JsonObject item = o.getJsonArray("data").getJsonObject(0);
    assertEquals("embedding", item.getString("object"));
    assertEquals(0, item.getInteger("index"));
    float[] v = floats(item);
    assertEquals(EchoResponses.EMBEDDING_DIMENSIONS, v.length);
    assertEquals(16, v.length);
    double sum = 0;
    for (float f : v) {
      assertTrue(f >= -1 && f <= 1);
      sum += f * f;
    }
    assertEquals(1.0, Math.sqrt(sum), 1e-5);
    float[] again = floats(json(call("/embeddings",
        "{\"input\":\"hello world\",\"encoding_format\":\"float\"}")).getJsonArray("data").getJsonObject(0));
    assertArrayEquals(v, again);
    float[] other = floats(json(call("/embeddings", "{\"input\":\"hello world!\"}"))
        .getJsonArray("data").getJsonObject(0));
    assertFalse(java.util.Arrays.equals(v, other));
  }

  @Test
  void embeddingsBase64MatchesFloat() {
    float[] v = floats(json(call("/embeddings", "{\"input\":\"caf\u00e9\"}"))
        .getJsonArray("data").getJsonObject(0));
    String b64 = json(call("/embeddings", "{\"input\":\"caf\u00e9\",\"encoding_format\":\"base64\"}"))
        .getJsonArray("data").getJsonObject(0).getString("embedding");
    ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(b64)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(16 * 4, buf.remaining());
    float[] decoded = new float[16];
    for (int i = 0; i < 16; i++) {
      decoded[i] = buf.getFloat();
    }
    assertArrayEquals(v, decoded);
  }

  @Test
  void embeddingsArrayInputs() {
    JsonArray data = json(call("/embeddings", "{\"input\":[\"a\",\"b c\",\"a\"]}")).getJsonArray("data");
    assertEquals(3, data.size());
    for (int i = 0; i < 3; i++) {
      assertEquals(i, data.getJsonObject(i).getInteger("index"));
    }
    assertArrayEquals(floats(data.getJsonObject(0)), floats(data.getJsonObject(2)));
    assertFalse(java.util.Arrays.equals(floats(data.getJsonObject(0)), floats(data.getJsonObject(1))));

    JsonObject tokens = json(call("/embeddings", "{\"input\":[1,2,3]}"));
    assertEquals(1, tokens.getJsonArray("data").size());
    assertEquals(3, tokens.getJsonObject("usage").getInteger("prompt_tokens"));
    JsonObject batches = json(call("/embeddings", "{\"input\":[[1,2],[3]]}"));
    assertEquals(2, batches.getJsonArray("data").size());
    assertEquals(1, batches.getJsonArray("data").getJsonObject(1).getInteger("index"));
  }

  // ---- errors -------------------------------------------------------------------------------

  @Test
  void invalidInputs() {
    assertError(call("/chat/completions", "{}"), 400, "messages");
    assertError(call("/chat/completions", "{\"messages\":\"hi\"}"), 400, "messages");
    assertError(call("/completions", "{\"prompt\":null}"), 400, "prompt");
    assertError(call("/completions", "{\"prompt\":{\"a\":1}}"), 400, "prompt");
    assertError(call("/embeddings", "{}"), 400, "input");
    assertError(call("/embeddings", "{\"input\":[]}"), 400, "input");
    assertError(call("/embeddings", "{\"input\":true}"), 400, "input");
    assertError(call("/embeddings", "{\"input\":[\"a\",{}]}"), 400, "input[1]");
    assertError(call("/embeddings", "{\"input\":\"a\",\"encoding_format\":\"int8\"}"), 400,
        "encoding_format");
    assertError(call("/embeddings", "{\"input\":\"a\",\"encoding_format\":5}"), 400,
        "encoding_format");
    assertError(call("/rerank", "{}"), 404, null);
    assertError(EchoResponses.answer(null, null, null, null, 0), 404, null);
    assertEquals("missing_required_parameter",
        json(call("/chat/completions", "{}")).getJsonObject("error").getString("code"));
  }

  @Test
  void wrongTypesNeverThrow() {
    String[] bodies = {
      "{\"messages\":[1,null,[],{\"role\":5,\"content\":{\"x\":1}},{\"role\":\"user\",\"content\":[1,{\"type\":\"text\",\"text\":7}]}],\"stream\":\"yes\"}",
      "{\"messages\":[],\"stream\":true,\"stream_options\":\"x\"}",
      "{\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":\"true\"}}",
      "{\"prompt\":[1,[2,3],\"x\"],\"stream\":true}",
      "{\"prompt\":\"\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
      "{\"input\":[[\"x\"]]}",
      "{\"input\":\"\"}",
    };
    for (String p : new String[] {"/chat/completions", "/completions", "/embeddings"}) {
      for (String b : bodies) {
        Reply r = call(p, b);
        assertTrue(r.status() == 200 || r.status() == 400, p + " " + b + " -> " + r.status());
        for (Buffer c : r.chunks()) {
          String s = c.toString();
          new JsonObject(s.startsWith("data: ") ? s.substring(6).trim().replace("[DONE]", "{}") : s);
        }
      }
    }
    JsonObject o = json(call("/chat/completions",
        "{\"messages\":[{\"role\":\"user\",\"content\":[1,{\"type\":\"text\",\"text\":7}]}]}"));
    assertEquals("echo: ",
        o.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content"));
  }

  @Test
  void piecesReproduceText() {
    for (String s : new String[] {"echo: ", "echo: a", "echo:  a \n b\t", "echo:"}) {
      assertEquals(s, String.join("", EchoResponses.pieces(s)));
      assertEquals(EchoResponses.countWords(s), EchoResponses.pieces(s).size());
    }
    assertEquals(List.of("echo: ", "a ", "b"), EchoResponses.pieces("echo: a b"));
  }

  @Test
  void aLongReplyStreamsSeveralWordsAPieceAndStillReproducesTheText() {
    String exact = "echo: " + "w ".repeat(EchoResponses.MAX_STREAM_PIECES - 2) + "w"; // MAX words in all
    assertEquals(EchoResponses.MAX_STREAM_PIECES, EchoResponses.pieces(exact).size());
    String text = "echo: " + "a ".repeat(500_000) + " \n";
    List<String> pieces = EchoResponses.pieces(text);
    assertTrue(pieces.size() <= EchoResponses.MAX_STREAM_PIECES, pieces.size() + " pieces");
    assertEquals(text, String.join("", pieces));
    // one event a word made this stream 100 MB (the audit's 1 MB message); now about its text's size
    long bytes = 0;
    for (Buffer chunk : call("/chat/completions", "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
        + "a ".repeat(500_000) + "\"}]}").chunks()) {
      bytes += chunk.length();
    }
    assertTrue(bytes < 1_300_000, bytes + " bytes");
  }

  @Test
  void embeddingsTakeAtMost2048Inputs() {
    String most = "{\"input\":[" + "\"a\",".repeat(2047) + "\"a\"]}";
    assertEquals(2048, json(call("/embeddings", most)).getJsonArray("data").size());
    Reply over = call("/embeddings", "{\"input\":[" + "\"a\",".repeat(2048) + "\"a\"]}");
    assertError(over, 400, "input");
    assertEquals("Invalid 'input': an array of at most 2048 inputs is allowed, got 2049.",
        json(over).getJsonObject("error").getString("message"));
    // one input of many token ids is one vector
    assertEquals(1, json(call("/embeddings", "{\"input\":[" + "1,".repeat(5000) + "1]}")).getJsonArray("data").size());
  }
}
