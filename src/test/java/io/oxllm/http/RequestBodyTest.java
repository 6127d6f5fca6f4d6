package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestBodyTest {

  // ---------------------------------------------------------------- helpers

  private static Buffer buf(String s) {
    return Buffer.buffer(s.getBytes(StandardCharsets.UTF_8));
  }

  private static Buffer bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = (byte) b[i];
    }
    return Buffer.buffer(out);
  }

  /** {@code prefix + raw bytes + suffix}, the prefix and suffix as UTF-8. */
  private static Buffer spliced(String prefix, int[] raw, String suffix) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(prefix.getBytes(StandardCharsets.UTF_8));
    for (int b : raw) {
      out.write(b);
    }
    out.writeBytes(suffix.getBytes(StandardCharsets.UTF_8));
    return Buffer.buffer(out.toByteArray());
  }

  private static RequestBody ok(String json) {
    return ok(buf(json));
  }

  private static RequestBody ok(Buffer raw) {
    try {
      return RequestBody.inspect(raw);
    } catch (RequestBody.Rejected e) {
      throw new AssertionError("rejected " + raw + ": " + e.error(), e);
    }
  }

  private static ApiError rejected(Buffer raw) {
    RequestBody.Rejected e = assertThrows(RequestBody.Rejected.class, () -> RequestBody.inspect(raw),
        () -> "expected a rejection for " + Arrays.toString(raw.getBytes()));
    assertEquals(400, e.error().status());
    assertEquals("invalid_request_error", e.error().type());
    return e.error();
  }

  private static void assertInvalidJson(Buffer raw) {
    assertEquals("invalid_json", rejected(raw).code(), () -> "for " + Arrays.toString(raw.getBytes()));
  }

  private static void assertInvalidJson(String json) {
    assertEquals("invalid_json", rejected(buf(json)).code(), () -> "for " + json);
  }

  private static void assertMissingModel(String json) {
    ApiError e = rejected(buf(json));
    assertEquals("missing_model", e.code(), () -> "for " + json);
    assertEquals("model", e.param());
  }

  /** The bytes of {@code out} equal {@code expected} as UTF-8 text. */
  private static void assertBytes(String expected, Buffer out) {
    assertEquals(expected, out.toString(StandardCharsets.UTF_8));
    assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), out.getBytes());
  }

  /**
   * {@code out} is {@code in} with one occurrence of {@code oldToken} (the model value as written)
   * replaced by a JSON string literal that decodes to {@code newModel}: the bytes before and after
   * are identical.
   */
  private static void assertOnlyModelChanged(Buffer in, Buffer out, String oldToken, String newModel) {
    String inText = in.toString(StandardCharsets.UTF_8);
    byte[] a = in.getBytes();
    byte[] b = out.getBytes();
    int oldLen = oldToken.getBytes(StandardCharsets.UTF_8).length;
    List<String> tried = new ArrayList<>();
    for (int at = inText.indexOf(oldToken); at >= 0; at = inText.indexOf(oldToken, at + 1)) {
      int prefixLen = inText.substring(0, at).getBytes(StandardCharsets.UTF_8).length;
      int suffixLen = a.length - prefixLen - oldLen;
      if (b.length < prefixLen + suffixLen + 2
          || !Arrays.equals(Arrays.copyOfRange(a, 0, prefixLen), Arrays.copyOfRange(b, 0, prefixLen))
          || !Arrays.equals(Arrays.copyOfRange(a, a.length - suffixLen, a.length),
              Arrays.copyOfRange(b, b.length - suffixLen, b.length))) {
        tried.add("offset " + prefixLen + ": surrounding bytes differ");
        continue;
      }
      String token = new String(b, prefixLen, b.length - prefixLen - suffixLen, StandardCharsets.UTF_8);
      assertTrue(token.startsWith("\"") && token.endsWith("\""), () -> "spliced token " + token);
      assertEquals(newModel, new JsonArray("[" + token + "]").getString(0), "spliced token decodes back");
      return;
    }
    fail("no splice of " + oldToken + " explains the output " + tried + "\nin:  " + inText
        + "\nout: " + out.toString(StandardCharsets.UTF_8));
  }

  // ---------------------------------------------------------------- extraction

  @Test
  void extractsModelStreamAndIncludeUsage() {
    RequestBody b = ok("{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals("gpt-4o", b.model());
    assertTrue(b.stream());
    assertTrue(b.includeUsage());
  }

  @Test
  void defaultsWhenStreamFieldsAreAbsent() {
    RequestBody b = ok("{\"model\":\"m\"}");
    assertEquals("m", b.model());
    assertFalse(b.stream());
    assertFalse(b.includeUsage());
  }

  @Test
  void streamIsTrueOnlyForLiteralTrue() {
    assertFalse(ok("{\"model\":\"m\",\"stream\":false}").stream());
    assertFalse(ok("{\"model\":\"m\",\"stream\":\"true\"}").stream());
    assertFalse(ok("{\"model\":\"m\",\"stream\":1}").stream());
    assertFalse(ok("{\"model\":\"m\",\"stream\":null}").stream());
    assertTrue(ok("{\"stream\":true,\"model\":\"m\"}").stream());
  }

  /**
   * Valid JSON with an object or array where a boolean is expected is still a JSON object: it is
   * accepted (the flag is simply not true) and the walk must skip the value whole, so that keys
   * inside it are not mistaken for top-level ones.
   */
  @Test
  void nonScalarStreamValueIsSkippedWhole() {
    RequestBody obj = ok("{\"model\":\"m\",\"stream\":{\"a\":true}}");
    assertFalse(obj.stream());
    assertEquals("m", obj.model());
    assertFalse(ok("{\"model\":\"m\",\"stream\":[true]}").stream());
    assertFalse(ok("{\"stream\":[],\"model\":\"m\"}").stream());
    // a "model" key inside the stream value is neither the model nor a duplicate of it
    RequestBody nested = ok("{\"stream\":{\"model\":\"inner\"},\"model\":\"outer\",\"x\":1}");
    assertEquals("outer", nested.model());
    assertBytes("{\"stream\":{\"model\":\"inner\"},\"model\":\"X\",\"x\":1}", nested.withModel("X"));
  }

  @Test
  void nonScalarIncludeUsageValueIsSkippedWhole() {
    RequestBody b = ok("{\"model\":\"m\",\"stream_options\":{\"include_usage\":{\"a\":1}},\"stream\":true}");
    assertFalse(b.includeUsage());
    assertTrue(b.stream());
    assertFalse(ok("{\"stream_options\":{\"include_usage\":[true]},\"model\":\"m\"}").includeUsage());
    // a later include_usage inside stream_options is still read
    assertTrue(ok("{\"stream_options\":{\"include_usage\":{\"include_usage\":false},\"x\":1,"
        + "\"include_usage\":true},\"model\":\"m\"}").includeUsage());
  }

  @Test
  void includeUsageIsReadOnlyFromTopLevelStreamOptionsObject() {
    assertFalse(ok("{\"model\":\"m\",\"stream_options\":{\"include_usage\":false}}").includeUsage());
    assertFalse(ok("{\"model\":\"m\",\"stream_options\":{\"include_usage\":\"true\"}}").includeUsage());
    assertFalse(ok("{\"model\":\"m\",\"stream_options\":{\"x\":{\"include_usage\":true}}}").includeUsage());
    assertFalse(ok("{\"model\":\"m\",\"stream_options\":null}").includeUsage());
    assertFalse(ok("{\"model\":\"m\",\"stream_options\":[{\"include_usage\":true}]}").includeUsage());
    assertFalse(ok("{\"model\":\"m\",\"include_usage\":true}").includeUsage());
    assertFalse(ok("{\"model\":\"m\",\"meta\":{\"stream_options\":{\"include_usage\":true}}}").includeUsage());
    RequestBody b = ok("{\"stream_options\":{\"a\":[1,{\"include_usage\":false}],\"include_usage\":true,"
        + "\"b\":{}},\"model\":\"m\",\"stream\":true}");
    assertTrue(b.includeUsage());
    assertTrue(b.stream());
    assertEquals("m", b.model());
  }

  @Test
  void fieldsAfterStreamOptionsAreStillRead() {
    RequestBody b = ok("{\"stream_options\":{\"include_usage\":true,\"z\":[1,2]},\"stream\":true,\"model\":\"last\"}");
    assertEquals("last", b.model());
    assertTrue(b.stream());
    assertTrue(b.includeUsage());
  }

  @Test
  void rawIsTheBufferPassedIn() {
    Buffer raw = buf("{\"model\":\"m\"}");
    assertSame(raw, ok(raw).raw());
  }

  // ---------------------------------------------------------------- withModel

  @Test
  void unchangedNameReturnsTheSameBufferInstance() {
    Buffer raw = buf("{ \"model\" : \"gpt-4o\", \"n\": 1.50 }");
    RequestBody b = ok(raw);
    assertSame(raw, b.withModel("gpt-4o"));
  }

  @Test
  void changedNameIsACopyWithOnlyTheModelValueReplaced() {
    String body = "{\"model\":\"gpt-4o\",\"temperature\":0.70,\"tools\":[{\"type\":\"function\"}]}";
    Buffer raw = buf(body);
    Buffer out = ok(raw).withModel("llama3.2");
    assertNotSame(raw, out);
    assertBytes("{\"model\":\"llama3.2\",\"temperature\":0.70,\"tools\":[{\"type\":\"function\"}]}", out);
    assertBytes(body, raw); // the original is untouched
  }

  @Test
  void modelAsFirstMiddleAndLastField() {
    assertBytes("{\"model\":\"NEW\",\"a\":1,\"b\":2}", ok("{\"model\":\"old\",\"a\":1,\"b\":2}").withModel("NEW"));
    assertBytes("{\"a\":1,\"model\":\"NEW\",\"b\":2}", ok("{\"a\":1,\"model\":\"old\",\"b\":2}").withModel("NEW"));
    assertBytes("{\"a\":1,\"b\":2,\"model\":\"NEW\"}", ok("{\"a\":1,\"b\":2,\"model\":\"old\"}").withModel("NEW"));
    assertBytes("{\"model\":\"NEW\"}", ok("{\"model\":\"old\"}").withModel("NEW"));
  }

  @Test
  void newNameIsEscapedAsValidJson() {
    String body = "{\"a\":\"x\",\"model\":\"m\",\"b\":[true]}";
    Buffer raw = buf(body);
    RequestBody b = ok(raw);
    for (String name : List.of("q\"uote", "back\\slash", "both\\\"\\\\", "ünïcødé/模型", "emoji 😀",
        "ctl\n\t\u0001", "slash/and/more", "\u2028\u2029", "")) {
      Buffer out = b.withModel(name);
      assertOnlyModelChanged(raw, out, "\"m\"", name);
      JsonObject parsed = new JsonObject(out);
      assertEquals(name, parsed.getString("model"));
      assertEquals(new JsonObject(raw).put("model", name), parsed);
    }
  }

  @Test
  void escapedModelIsDecodedButTheWholeOriginalTokenIsReplaced() {
    String body = "{\"a\":1,\"model\":\"a\\\"b\",\"z\":2}";   // {"a":1,"model":"a\"b","z":2}
    RequestBody b = ok(body);
    assertEquals("a\"b", b.model());
    assertBytes("{\"a\":1,\"model\":\"x\",\"z\":2}", b.withModel("x"));

    String uni = "{\"model\":\"\\u0041\\u00e9\",\"z\":\"\\u0041\"}"; // {"model":"\u0041\u00e9","z":"\u0041"}
    RequestBody u = ok(uni);
    assertEquals("Aé", u.model());
    assertBytes("{\"model\":\"B\",\"z\":\"\\u0041\"}", u.withModel("B"));
    Buffer raw = buf(uni);
    assertSame(raw, ok(raw).withModel("Aé")); // same decoded name: nothing to change

    String surrogates = "{\"model\":\"\\ud83d\\ude00 x\\\\y\\/z\"}";
    RequestBody s = ok(surrogates);
    assertEquals("😀 x\\y/z", s.model());
    assertBytes("{\"model\":\"plain\"}", s.withModel("plain"));
  }

  @Test
  void whitespaceAroundTheColonAndValueIsKept() {
    String body = "{\n  \"messages\" : [ ] ,\n  \"model\"   :\t \"gpt\"  ,\r\n  \"x\" : 1\n}\n";
    assertBytes("{\n  \"messages\" : [ ] ,\n  \"model\"   :\t \"other\"  ,\r\n  \"x\" : 1\n}\n",
        ok(body).withModel("other"));
    String last = "  { \"model\" :\"gpt\"}  ";
    assertBytes("  { \"model\" :\"o\"}  ", ok(last).withModel("o"));
  }

  @Test
  void nonAsciiBeforeTheModelUsesByteOffsets() {
    String body = "{\"content\":\"héllo 😀 模型 \\u00e9\",\"n\":\"ß\",\"model\":\"m\",\"after\":\"ü\"}";
    RequestBody b = ok(body);
    assertEquals("m", b.model());
    assertBytes("{\"content\":\"héllo 😀 模型 \\u00e9\",\"n\":\"ß\",\"model\":\"NEW\",\"after\":\"ü\"}",
        b.withModel("NEW"));
    RequestBody c = ok("{\"model\":\"модель-😀\",\"x\":\"ü\"}");
    assertEquals("модель-😀", c.model());
    assertBytes("{\"model\":\"y\",\"x\":\"ü\"}", c.withModel("y"));
  }

  @Test
  void numbersAndUnknownFieldsKeepTheirExactText() {
    String tail = ",\"temperature\":0.1000000000000000055511151231257827,\"big\":123456789012345678901234567890,"
        + "\"e\":1E+400,\"neg\":-0.0,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\","
        + "\"parameters\":{\"model\":\"nested\"}}}],\"seed\":42,\"response_format\":{\"type\":\"json_object\"}}";
    Buffer out = ok("{\"model\":\"a\"" + tail).withModel("bb");
    assertBytes("{\"model\":\"bb\"" + tail, out);
  }

  @Test
  void nestedModelKeysAreNotTheTopLevelOne() {
    String body = "{\"metadata\":{\"model\":\"inner\",\"deep\":{\"model\":\"deeper\"}},"
        + "\"messages\":[{\"model\":\"in-array\"},[{\"model\":1}]],\"model\":\"outer\","
        + "\"tail\":{\"model\":null}}";
    RequestBody b = ok(body);
    assertEquals("outer", b.model());
    assertBytes(body.replace("\"model\":\"outer\"", "\"model\":\"X\""), b.withModel("X"));

    // Nested model keys are not duplicates of the top-level one.
    assertEquals("top", ok("{\"model\":\"top\",\"a\":{\"model\":\"x\"},\"b\":{\"model\":\"y\"}}").model());
    // The top-level object after a nested model still resolves correctly when model comes first.
    assertBytes("{\"model\":\"X\",\"a\":{\"model\":\"inner\"}}",
        ok("{\"model\":\"outer\",\"a\":{\"model\":\"inner\"}}").withModel("X"));
    // Only nested: the top level has no model.
    assertMissingModel("{\"metadata\":{\"model\":\"inner\"},\"messages\":[{\"model\":\"x\"}]}");
    // A string value that looks like a model field is just a string.
    RequestBody s = ok("{\"content\":\"\\\"model\\\":\\\"fake\\\"\",\"model\":\"real\"}");
    assertEquals("real", s.model());
    assertBytes("{\"content\":\"\\\"model\\\":\\\"fake\\\"\",\"model\":\"Z\"}", s.withModel("Z"));
  }

  @Test
  void aBodyOfManyDistinctKeysIsReadAndEditedByItsByteOffsets() {
    // field names are not interned (a body of many distinct keys held the event loop); Jackson's
    // other way to skip its name table, no canonicalising, decodes to chars and loses byte offsets
    StringBuilder keys = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      keys.append(",\"k").append(i).append("\":{\"model\":\"é").append(i).append("\"}");
    }
    String head = "{\"content\":\"héllo 😀\"" + keys;
    String body = head + ",\"model\":\"old\",\"stream\":true,\"stream_options\":{\"x\":1}}";
    assertTrue(body.length() > 64 * 1024);
    RequestBody b = ok(body);
    assertEquals("old", b.model());
    assertTrue(b.stream());
    assertBytes(head + ",\"model\":\"NEW\",\"stream\":true,\"stream_options\":{\"include_usage\":true,\"x\":1}}",
        b.forUpstream("NEW", true));
    ApiError twice = rejected(buf(head + ",\"model\":\"a\",\"model\":\"b\"}"));
    assertEquals("invalid_json", twice.code());
  }

  // ---------------------------------------------------------------- rejections

  @Test
  void aModelWithAControlCharacterIsRefused() {
    for (String model : new String[] {"echo/a\\nb", "a\\rb", "a\\u0000b", "a\\u007fb", "a\\tb"}) {
      ApiError e = rejected(buf("{\"model\":\"" + model + "\",\"messages\":[]}"));
      assertEquals("invalid_model", e.code(), () -> "for " + model);
      assertEquals("model", e.param());
    }
    assertEquals("gpt-4o é 模型", ok("{\"model\":\"gpt-4o é 模型\"}").model(), "other characters are names");
  }

  @Test
  void aModelWithALoneSurrogateIsRefused() {
    for (String model : new String[] {"p/\\ud83d", "\\ude00", "a\\ude00\\ud83d", "a\\ud83d\\ud83d\\ude00"}) {
      ApiError e = rejected(buf("{\"model\":\"" + model + "\",\"messages\":[]}"));
      assertEquals("invalid_model", e.code(), () -> "for " + model);
      assertTrue(e.message().contains("without its pair"), e.message());
    }
    assertEquals("p/\uD83D\uDE00", ok("{\"model\":\"p/\\ud83d\\ude00\"}").model(), "a pair is a character");
  }

  @Test
  void aModelLongerThan256CharactersIsRefused() {
    // it goes back in a header, the log and the metrics: a 1 MB name made a header no client could read
    String longest = "p/" + "m".repeat(254);
    assertEquals(longest, ok("{\"model\":\"" + longest + "\"}").model());
    ApiError e = rejected(buf("{\"model\":\"" + longest + "m\",\"messages\":[]}"));
    assertEquals("invalid_model", e.code());
    assertEquals("model", e.param());
    assertEquals(400, e.status());
    // characters, not UTF-16 units: 256 emoji are 512 units
    String emoji = "😀".repeat(256);
    assertEquals(emoji, ok("{\"model\":\"" + emoji + "\"}").model());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "not json",
      "[]",
      "[{\"model\":\"m\"}]",
      "\"model\"",
      "42",
      "null",
      "true",
      "",
      "   ",
      "{",
      "{\"model\":\"m\"",
      "{\"model\":\"m\",}",
      "{\"model\":\"m\"} x",
      "{\"model\":\"m\"}}",
      "{\"model\":\"m\"}{}",
      "{\"model\":\"m\"} {\"model\":\"n\"}",
      "{\"model\":\"m\"} 1",
      "{\"model\":\"m\"}]",
      "{'model':'m'}",
      "{model:\"m\"}",
      "{\"model\":\"m\",\"x\":tru}",
      "{\"model\":\"m\",\"x\":01}",
      "{\"model\":\"m\",\"x\":NaN}",
      "{\"model\":\"m\",\"x\":\"bad \\q escape\"}",
      "{\"model\":\"m\",\"x\":\"raw\ncontrol\"}",
      "{\"model\":\"m\" /* comment */}",
      "{\"model\":\"m\",\"x\":[1,2}",
  })
  void notAJsonObjectIsInvalidJson(String body) {
    assertInvalidJson(body);
  }

  @Test
  void emptyBufferIsInvalidJson() {
    assertInvalidJson(Buffer.buffer());
  }

  @Test
  void duplicateTopLevelModelIsInvalidJson() {
    assertInvalidJson("{\"model\":\"a\",\"model\":\"b\"}");
    assertInvalidJson("{\"model\":\"a\",\"x\":1,\"model\":\"a\"}");
    assertInvalidJson("{\"model\":null,\"model\":\"b\"}");
    assertInvalidJson("{\"model\":\"a\",\"model\":{}}");
    assertInvalidJson("{\"model\":\"a\",\"\\u006dodel\":\"b\"}"); // the same key, spelled with an escape
  }

  @Test
  void invalidUtf8IsInvalidJsonWherever() {
    int[][] bad = {
        {0xC0, 0x80},             // overlong NUL
        {0x80},                   // lone continuation
        {0xED, 0xA0, 0x80},       // surrogate U+D800
        {0xF4, 0x90, 0x80, 0x80}, // above U+10FFFF
        {0xFF},
        {0xE2, 0x82},             // truncated (inside a string, followed by the closing quote)
    };
    for (int[] b : bad) {
      // inside the model value
      assertInvalidJson(spliced("{\"model\":\"a", b, "\"}"));
      // inside a value the walk only skips
      assertInvalidJson(spliced("{\"model\":\"a\",\"messages\":[{\"content\":\"x", b, "\"}]}"));
      // inside a nested key
      assertInvalidJson(spliced("{\"meta\":{\"k", b, "\":1},\"model\":\"a\"}"));
    }
    // truncated 3-byte sequence at the very end of the body
    assertInvalidJson(spliced("{\"model\":\"a\"}", new int[] {0xE2, 0x82}, ""));
    assertInvalidJson(spliced("{\"model\":\"a\"} ", new int[] {0xE2}, ""));
  }

  /**
   * UTF-16 and UTF-32 bodies without a BOM are valid UTF-8 byte-wise (ASCII plus NUL bytes), but
   * they are not UTF-8 JSON: SPEC says 400 invalid_json. (The JSON library would otherwise detect
   * the encoding itself and hand back character offsets, leaving nothing to splice.)
   */
  @ParameterizedTest
  @ValueSource(strings = {"UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE"})
  void otherUnicodeEncodingsAreInvalidJson(String charset) {
    Buffer raw = Buffer.buffer("{\"model\":\"m\",\"x\":1}".getBytes(java.nio.charset.Charset.forName(charset)));
    assertInvalidJson(raw);
  }

  @Test
  void rawNulBytesAreInvalidJson() {
    assertInvalidJson(spliced("{\"model\":\"a", new int[] {0}, "\"}"));
    assertInvalidJson(spliced("{\"model\":\"a\"}", new int[] {0}, ""));
    assertInvalidJson(spliced("", new int[] {0}, "{\"model\":\"a\"}"));
  }

  @Test
  void aUtf8ByteOrderMarkIsEitherRefusedOrKeptWithACorrectSplice() {
    Buffer raw = spliced("", new int[] {0xEF, 0xBB, 0xBF}, "{\"a\":1,\"model\":\"m\"}");
    RequestBody b;
    try {
      b = RequestBody.inspect(raw);
    } catch (RequestBody.Rejected e) {
      assertEquals("invalid_json", e.error().code());
      return;
    }
    assertEquals("m", b.model());
    assertArrayEquals(spliced("", new int[] {0xEF, 0xBB, 0xBF}, "{\"a\":1,\"model\":\"X\"}").getBytes(),
        b.withModel("X").getBytes());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{}",
      "{\"messages\":[]}",
      "{\"model\":\"\"}",
      "{\"model\":1}",
      "{\"model\":1.5}",
      "{\"model\":null}",
      "{\"model\":{}}",
      "{\"model\":{\"name\":\"gpt\"}}",
      "{\"model\":[\"gpt\"]}",
      "{\"model\":true}",
      "{\"Model\":\"gpt\"}",
      "{\"model \":\"gpt\"}",
  })
  void absentEmptyOrNonStringModelIsMissingModel(String body) {
    assertMissingModel(body);
  }

  // ---------------------------------------------------------------- property

  @Test
  void randomBodiesChangeOnlyTheModel() {
    Random rnd = new Random(0x0411eL);
    for (int round = 0; round < 200; round++) {
      RandomBody rb = RandomBody.generate(rnd);
      Buffer raw = buf(rb.text);
      RequestBody b;
      try {
        b = RequestBody.inspect(raw);
      } catch (RequestBody.Rejected e) {
        fail("round " + round + " rejected: " + e.error() + "\n" + rb.text);
        return;
      }
      JsonObject original = new JsonObject(raw);
      assertEquals(original.getString("model"), b.model(), "round " + round);
      assertEquals(rb.stream, b.stream(), "round " + round);
      assertEquals(rb.includeUsage, b.includeUsage(), "round " + round);

      Buffer out = b.withModel("x");
      if ("x".equals(b.model())) {
        assertSame(raw, out);
        continue;
      }
      JsonObject changed = new JsonObject(out);
      assertEquals(original.copy().put("model", "x"), changed, () -> "round: " + rb.text);
      assertEquals(new ArrayList<>(original.fieldNames()), new ArrayList<>(changed.fieldNames()),
          "field order kept");
      assertOnlyModelChanged(raw, out, rb.modelToken, "x");
      // And the result is itself a valid request body naming the new model.
      assertEquals("x", ok(out).model());
    }
  }

  /** A random chat-like body as text, with random field order, whitespace and values. */
  private record RandomBody(String text, String modelToken, boolean stream, boolean includeUsage) {
    private static final String[] ATOMS = {
        "gpt-4o", "llama3.2", "a\"b", "back\\slash", "ünï", "😀", "模型", "x", "tab\tnl\n", "/", "",
        "meta-llama/Llama-3.2-1B-Instruct", "\u0001", "\u2028",
    };

    static RandomBody generate(Random r) {
      List<String> fields = new ArrayList<>();
      String modelName = r.nextInt(10) == 0 ? "x" : pick(r) + (r.nextBoolean() ? pick(r) : "") + "m";
      // a model naming a control character is refused (aModelWithAControlCharacterIsRefused); the
      // escapes of the rest (unicode escapes, an escaped slash or quote) still exercise the splice
      modelName = modelName.replaceAll("[\\x00-\\x1f\\x7f]", "");
      String modelToken = quote(modelName, r);
      fields.add("\"model\"" + ws(r) + ":" + ws(r) + modelToken);
      boolean stream = false;
      boolean includeUsage = false;
      if (r.nextBoolean()) {
        stream = r.nextBoolean();
        fields.add("\"stream\"" + ws(r) + ":" + ws(r) + stream);
      }
      if (r.nextInt(3) == 0) {
        includeUsage = r.nextBoolean();
        fields.add("\"stream_options\":" + ws(r) + "{" + ws(r) + "\"include_usage\":" + includeUsage
            + (r.nextBoolean() ? ",\"other\":" + value(r, 2) : "") + "}");
      }
      fields.add("\"messages\":" + ws(r) + messages(r));
      int extra = r.nextInt(6);
      for (int i = 0; i < extra; i++) {
        fields.add(quote("f" + i + pick(r), r) + ws(r) + ":" + ws(r) + value(r, 3));
      }
      if (r.nextBoolean()) {
        fields.add("\"metadata\":{\"model\":" + quote(pick(r), r) + ",\"list\":[{\"model\":" + value(r, 1) + "}]}");
      }
      Collections.shuffle(fields, r);
      StringBuilder sb = new StringBuilder(ws(r)).append('{').append(ws(r));
      for (int i = 0; i < fields.size(); i++) {
        if (i > 0) {
          sb.append(ws(r)).append(',').append(ws(r));
        }
        sb.append(fields.get(i));
      }
      sb.append(ws(r)).append('}').append(ws(r));
      return new RandomBody(sb.toString(), modelToken, stream, includeUsage);
    }

    private static String pick(Random r) {
      return ATOMS[r.nextInt(ATOMS.length)];
    }

    private static String ws(Random r) {
      return switch (r.nextInt(6)) {
        case 0 -> " ";
        case 1 -> "\n  ";
        case 2 -> "\t";
        case 3 -> "\r\n";
        default -> "";
      };
    }

    private static String messages(Random r) {
      StringBuilder sb = new StringBuilder("[");
      int n = 1 + r.nextInt(3);
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append("{\"role\":\"").append(r.nextBoolean() ? "user" : "assistant").append("\",\"content\":")
            .append(quote(pick(r) + " " + pick(r), r)).append('}');
      }
      return sb.append(']').toString();
    }

    private static String value(Random r, int depth) {
      int k = r.nextInt(depth > 0 ? 9 : 6);
      switch (k) {
        case 0:
          return quote(pick(r), r);
        case 1:
          return Integer.toString(r.nextInt(2_000_000) - 1_000_000);
        case 2:
          // exact decimal text that a double round trip would change
          return "0." + (1000000000000000000L + Math.abs(r.nextLong() % 1000000000000000000L));
        case 3:
          return r.nextBoolean() ? "true" : "false";
        case 4:
          return "null";
        case 5:
          return (r.nextBoolean() ? "-" : "") + (1 + r.nextInt(9)) + "." + r.nextInt(1000) + "e" + (r.nextInt(20) - 10);
        case 6: {
          StringBuilder sb = new StringBuilder("[");
          int n = r.nextInt(4);
          for (int i = 0; i < n; i++) {
            sb.append(i > 0 ? "," + ws(r) : "").append(value(r, depth - 1));
          }
          return sb.append(']').toString();
        }
        default: {
          StringBuilder sb = new StringBuilder("{");
          int n = r.nextInt(4);
          for (int i = 0; i < n; i++) {
            String key = r.nextInt(4) == 0 ? "model" : "k" + i;
            sb.append(i > 0 ? "," : "").append(quote(key, r)).append(':').append(ws(r)).append(value(r, depth - 1));
          }
          return sb.append('}').toString();
        }
      }
    }

    /** A JSON string literal for {@code s}; sometimes escapes characters that need no escaping. */
    private static String quote(String s, Random r) {
      StringBuilder sb = new StringBuilder("\"");
      s.codePoints().forEach(cp -> {
        if (cp == '"') {
          sb.append("\\\"");
        } else if (cp == '\\') {
          sb.append("\\\\");
        } else if (cp == '\n') {
          sb.append("\\n");
        } else if (cp == '\t') {
          sb.append("\\t");
        } else if (cp < 0x20) {
          sb.append(String.format("\\u%04x", cp));
        } else if (cp == '/' && r.nextBoolean()) {
          sb.append("\\/");
        } else if (r.nextInt(8) == 0) {
          for (char c : Character.toChars(cp)) {
            sb.append(String.format(r.nextBoolean() ? "\\u%04x" : "\\u%04X", (int) c));
          }
        } else {
          sb.appendCodePoint(cp);
        }
      });
      return sb.append('"').toString();
    }
  }

  @Test
  void randomGeneratorIsSane() {
    // Guards the property test: the generator must produce bodies Vert.x itself accepts.
    Random rnd = new Random(7);
    for (int i = 0; i < 50; i++) {
      RandomBody rb = RandomBody.generate(rnd);
      JsonObject o = new JsonObject(rb.text);
      assertTrue(o.containsKey("model"));
      assertNull(o.getValue("no-such-key"));
    }
  }

  // ---------------------------------------------------------------- forUpstream: include_usage injection

  /** forUpstream(model unchanged, inject) of {@code in} gives exactly {@code out}, and says it injects. */
  private static void assertInjects(String in, String out) {
    RequestBody b = ok(in);
    assertTrue(b.wouldInjectUsage(true), in);
    assertFalse(b.wouldInjectUsage(false), in);
    Buffer sent = b.forUpstream(b.model(), true);
    assertBytes(out, sent);
    RequestBody again = ok(sent);
    assertTrue(again.includeUsage(), out);
    assertFalse(again.wouldInjectUsage(true), "asked once, nothing more to inject: " + out);
    assertEquals(b.model(), again.model());
    // with injection off, or not injectable: the body as received
    assertSame(b.raw(), b.forUpstream(b.model(), false));
  }

  /** Nothing to inject: the very same buffer comes back, and wouldInjectUsage says so. */
  private static void assertNotInjected(String in) {
    Buffer raw = buf(in);
    RequestBody b = ok(raw);
    assertFalse(b.wouldInjectUsage(true), in);
    assertFalse(b.wouldInjectUsage(false), in);
    assertSame(raw, b.forUpstream(b.model(), true), in);
    assertSame(raw, b.forUpstream(b.model(), false), in);
  }

  @Test
  void absentStreamOptionsIsAddedBeforeTheClosingBrace() {
    assertInjects("{\"model\":\"m\",\"stream\":true}",
        "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    assertInjects("{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"}\"}],\"model\":\"m\"}",
        "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"}\"}],\"model\":\"m\""
            + ",\"stream_options\":{\"include_usage\":true}}");
    // whitespace before the brace and after the object is kept where it was
    assertInjects("\n { \"model\" : \"m\" ,\n  \"stream\" : true \n}\r\n ",
        "\n { \"model\" : \"m\" ,\n  \"stream\" : true \n,\"stream_options\":{\"include_usage\":true}}\r\n ");
    // nested objects (and a nested stream_options) do not move the top-level brace
    assertInjects("{\"model\":\"m\",\"stream\":true,\"meta\":{\"stream_options\":{\"a\":{}}}}",
        "{\"model\":\"m\",\"stream\":true,\"meta\":{\"stream_options\":{\"a\":{}}}"
            + ",\"stream_options\":{\"include_usage\":true}}");
  }

  @Test
  void includeUsageFalseOrNullIsReplacedByTrue() {
    assertInjects("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":false}}",
        "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    assertInjects("{\"model\":\"m\",\"stream_options\":{ \"a\":1 , \"include_usage\" :\tnull ,\"b\":[]},\"stream\":true}",
        "{\"model\":\"m\",\"stream_options\":{ \"a\":1 , \"include_usage\" :\ttrue ,\"b\":[]},\"stream\":true}");
    // every false/null occurrence, whichever a JSON reader lets win
    assertInjects("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true,"
            + "\"include_usage\":false,\"x\":{\"include_usage\":false},\"include_usage\":null}}",
        "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true,"
            + "\"include_usage\":true,\"x\":{\"include_usage\":false},\"include_usage\":true}}");
  }

  @Test
  void anObjectWithoutIncludeUsageGetsItAsItsFirstMember() {
    assertInjects("{\"model\":\"m\",\"stream\":true,\"stream_options\":{}}",
        "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    assertInjects("{\"model\":\"m\",\"stream\":true,\"stream_options\":{ }}",
        "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true }}");
    assertInjects("{\"stream_options\" : {\n \"x\":{\"include_usage\":false} }, \"model\":\"m\",\"stream\":true}",
        "{\"stream_options\" : {\"include_usage\":true,\n \"x\":{\"include_usage\":false} }, \"model\":\"m\",\"stream\":true}");
  }

  @Test
  void aNullStreamOptionsBecomesAnObject() {
    assertInjects("{\"model\":\"m\",\"stream_options\": null ,\"stream\":true}",
        "{\"model\":\"m\",\"stream_options\": {\"include_usage\":true} ,\"stream\":true}");
  }

  @Test
  void otherShapesAreNotTouched() {
    for (String options : List.of("\"yes\"", "[]", "[{\"include_usage\":true}]", "1", "true", "false",
        "{\"include_usage\":\"true\"}", "{\"include_usage\":1}", "{\"include_usage\":{}}",
        "{\"include_usage\":[true]}", "{\"include_usage\":false,\"include_usage\":0}")) {
      assertNotInjected("{\"model\":\"m\",\"stream\":true,\"stream_options\":" + options + "}");
    }
    // stream_options twice: which one counts depends on the reader, so neither is edited
    assertNotInjected("{\"model\":\"m\",\"stream\":true,\"stream_options\":{},\"stream_options\":{}}");
    assertNotInjected("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":false},"
        + "\"stream_options\":null}");
  }

  @Test
  void nothingIsInjectedWhenNotStreamingOrUsageWasAskedFor() {
    assertNotInjected("{\"model\":\"m\"}");
    assertNotInjected("{\"model\":\"m\",\"stream\":false}");
    assertNotInjected("{\"model\":\"m\",\"stream\":\"true\",\"stream_options\":{\"include_usage\":false}}");
    assertNotInjected("{\"model\":\"m\",\"stream\":null}");
    assertNotInjected("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    assertNotInjected("{\"model\":\"m\",\"stream_options\":{\"include_usage\":true,\"x\":1},\"stream\":true}");
    assertNotInjected("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":false,"
        + "\"include_usage\":true}}");
  }

  @Test
  void injectionOffLeavesTheStreamOptionsAlone() {
    Buffer raw = buf("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":false}}");
    RequestBody b = ok(raw);
    assertFalse(b.wouldInjectUsage(false));
    assertSame(raw, b.forUpstream("m", false));
    assertBytes("{\"model\":\"X\",\"stream\":true,\"stream_options\":{\"include_usage\":false}}",
        b.forUpstream("X", false));
    // withModel never injects
    assertSame(raw, b.withModel("m"));
    assertBytes("{\"model\":\"X\",\"stream\":true,\"stream_options\":{\"include_usage\":false}}",
        b.withModel("X"));
  }

  @Test
  void modelAndUsageAreSplicedInOnePass() {
    String before = "{\"model\":\"old\",\"stream\":true,\"stream_options\":{\"include_usage\":false}}";
    assertBytes("{\"model\":\"new-longer\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
        ok(before).forUpstream("new-longer", true));
    String after = "{\"stream_options\":null,\"stream\":true,\"model\":\"old-name\"}";
    assertBytes("{\"stream_options\":{\"include_usage\":true},\"stream\":true,\"model\":\"n\"}",
        ok(after).forUpstream("n", true));
    String absent = "{\"stream\":true,\"model\":\"a\\\"b\"}";
    assertBytes("{\"stream\":true,\"model\":\"q\\\"\",\"stream_options\":{\"include_usage\":true}}",
        ok(absent).forUpstream("q\"", true));
    String inserted = "{\"model\":\"o\",\"stream_options\":{\"x\":true},\"stream\":true}";
    assertBytes("{\"model\":\"模型\",\"stream_options\":{\"include_usage\":true,\"x\":true},\"stream\":true}",
        ok(inserted).forUpstream("模型", true));
    // the model splice alone is what withModel gives
    RequestBody b = ok(before);
    assertArrayEquals(b.withModel("zz").getBytes(), b.forUpstream("zz", false).getBytes());
  }

  @Test
  void injectionUsesByteOffsetsAfterMultiByteText() {
    assertInjects("{\"content\":\"héllo 😀 模型\",\"model\":\"ü\",\"stream\":true,\"z\":\"ß\"}",
        "{\"content\":\"héllo 😀 模型\",\"model\":\"ü\",\"stream\":true,\"z\":\"ß\""
            + ",\"stream_options\":{\"include_usage\":true}}");
    assertInjects("{\"content\":\"😀\",\"model\":\"m\",\"stream\":true,\"stream_options\":{\"n\":\"é\","
            + "\"include_usage\":false}}",
        "{\"content\":\"😀\",\"model\":\"m\",\"stream\":true,\"stream_options\":{\"n\":\"é\","
            + "\"include_usage\":true}}");
    Buffer bom = spliced("", new int[] {0xEF, 0xBB, 0xBF}, "{\"model\":\"m\",\"stream\":true}");
    RequestBody b;
    try {
      b = RequestBody.inspect(bom);
    } catch (RequestBody.Rejected e) {
      return; // refusing a BOM is fine too
    }
    assertArrayEquals(spliced("", new int[] {0xEF, 0xBB, 0xBF},
        "{\"model\":\"X\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}").getBytes(),
        b.forUpstream("X", true).getBytes());
  }

  @Test
  void randomBodiesGetUsageAskedForAndNothingElseChanged() {
    Random rnd = new Random(0x05a6eL);
    for (int round = 0; round < 300; round++) {
      RandomBody rb = RandomBody.generate(rnd);
      Buffer raw = buf(rb.text);
      RequestBody b = ok(raw);
      boolean inject = rb.stream && !rb.includeUsage;
      assertEquals(inject, b.wouldInjectUsage(true), () -> rb.text);
      Buffer out = b.forUpstream("x", true);
      if (!inject && "x".equals(b.model())) {
        assertSame(raw, out);
        continue;
      }
      JsonObject expected = new JsonObject(raw).put("model", "x");
      if (inject) {
        JsonObject options = expected.getJsonObject("stream_options");
        if (options == null) {
          expected.put("stream_options", new JsonObject().put("include_usage", true));
        } else {
          options.put("include_usage", true);
        }
      }
      JsonObject changed = new JsonObject(out);
      assertEquals(expected, changed, () -> "round: " + rb.text);
      assertEquals(new ArrayList<>(expected.fieldNames()), new ArrayList<>(changed.fieldNames()),
          "field order kept");
      RequestBody again = ok(out);
      assertEquals("x", again.model());
      assertEquals(rb.stream, again.stream());
      assertEquals(rb.includeUsage || inject, again.includeUsage());
      assertSame(out, again.forUpstream("x", true), "nothing left to change");
    }
  }

  @Test
  void choicesAreTheRequestsNWhenItIsAPositiveInteger() {
    String head = "{\"model\":\"m\",\"stream\":true";
    assertEquals(1, ok(head + "}").choices(), "absent");
    assertEquals(3, ok(head + ",\"n\":3}").choices());
    assertEquals(3, ok("{\"n\": 3, \"model\":\"m\"}").choices(), "before the model");
    for (String odd : new String[] {"0", "-2", "2.5", "0.0", "\"2\"", "null", "true", "[2]", "{\"n\":2}"}) {
      assertEquals(1, ok(head + ",\"n\":" + odd + "}").choices(), odd);
    }
    // as an upstream reads them: an integral number is that integer, a huge one is more than any stream shows
    assertEquals(2, ok(head + ",\"n\":2.0}").choices());
    assertEquals(2, ok(head + ",\"n\":2e0}").choices());
    assertEquals(Integer.MAX_VALUE, ok(head + ",\"n\":2147483648}").choices());
    assertEquals(Integer.MAX_VALUE, ok(head + ",\"n\":1e300}").choices());
    assertEquals(1, ok(head + ",\"x\":{\"n\":5}}").choices(), "only the top level's n");
  }
}
