package io.oxllm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vertx.config.spi.ConfigProcessor;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class TomlConfigProcessorTest {

  @Test
  void registeredAsServiceUnderNameToml() {
    boolean found = ServiceLoader.load(ConfigProcessor.class).stream()
        .anyMatch(p -> p.type() == TomlConfigProcessor.class && p.get().name().equals("toml"));
    assertTrue(found);
  }

  @Test
  void tablesAndArraysOfTablesBecomeJson() {
    JsonObject json = TomlConfigProcessor.parse("""
        top = "x"
        [server]
        port = 8080
        ratio = 0.5
        [[providers]]
        name = "a"
        timeouts = { connect_ms = 1 }
        [[providers]]
        name = "b"
        models = ["m1", "m2"]
        """);
    assertEquals("x", json.getString("top"));
    assertEquals(8080, json.getJsonObject("server").getInteger("port"));
    assertEquals(0.5, json.getJsonObject("server").getDouble("ratio"));
    JsonArray providers = json.getJsonArray("providers");
    assertEquals(2, providers.size());
    assertInstanceOf(JsonObject.class, providers.getValue(0));
    assertEquals(1, providers.getJsonObject(0).getJsonObject("timeouts").getInteger("connect_ms"));
    assertEquals(new JsonArray().add("m1").add("m2"), providers.getJsonObject(1).getJsonArray("models"));
  }

  @Test
  void commentOnlyTextIsEmptyObject() {
    assertEquals(new JsonObject(), TomlConfigProcessor.parse("# nothing here\n\n"));
  }

  @Test
  void syntaxErrorNamesTheLine() {
    TomlSyntaxException e = assertThrows(TomlSyntaxException.class,
        () -> TomlConfigProcessor.parse("a = 1\n\nb = \n"));
    assertEquals(3, e.line());
    assertTrue(e.getMessage().startsWith("line 3: "), e.getMessage());
  }

  @Test
  void processReturnsEmptyObjectForEmptyInput(Vertx vertx, VertxTestContext ctx) {
    new TomlConfigProcessor().process(vertx, new JsonObject(), Buffer.buffer())
        .onComplete(ctx.succeeding(json -> ctx.verify(() -> {
          assertEquals(new JsonObject(), json);
          ctx.completeNow();
        })));
  }

  @Test
  void processParsesOffTheEventLoop(Vertx vertx, VertxTestContext ctx) {
    new TomlConfigProcessor().process(vertx, new JsonObject(), Buffer.buffer("[server]\nport = 1\n"))
        .onComplete(ctx.succeeding(json -> ctx.verify(() -> {
          assertEquals(1, json.getJsonObject("server").getInteger("port"));
          ctx.completeNow();
        })));
  }

  /**
   * A syntax error is not a failed future (vertx-config would log the whole chain on every scan and
   * never notice the file being repaired): process() returns a marker that ConfigParser turns into
   * the "toml" problem, with the line and without quoting the file (which may hold keys).
   */
  @Test
  void processReportsASyntaxErrorWithItsLineAsAMarker(Vertx vertx, VertxTestContext ctx) {
    String toml = "api_key = \"sk-secret-123\"\nx = [1,\n2\ny";
    new TomlConfigProcessor().process(vertx, new JsonObject(), Buffer.buffer(toml))
        .onComplete(ctx.succeeding(json -> ctx.verify(() -> {
          String message = json.getString(TomlConfigProcessor.SYNTAX_ERROR_KEY);
          assertTrue(message != null && message.matches("line \\d+: .+"), String.valueOf(message));
          assertFalse(message.contains("sk-secret-123"), message);
          ConfigResult r = ConfigParser.parse(json, k -> null);
          assertFalse(r.ok());
          assertEquals("toml", r.problems().get(0).path());
          assertEquals(1, r.problems().size(), r.problems().toString());
          ctx.completeNow();
        })));
  }

  @Test
  void parseThrowsWithoutQuotingTheSource() {
    TomlSyntaxException e = assertThrows(TomlSyntaxException.class,
        () -> TomlConfigProcessor.parse("api_key = \"sk-secret-123\"\nx = [1,\n2\ny"));
    assertTrue(e.getMessage().matches("line \\d+: .+"), e.getMessage());
    assertNull(e.getCause(), "Jackson's exception quotes the source text");
    assertFalse(e.getMessage().contains("sk-secret-123"), e.getMessage());
  }

  @Test
  void aUtf8ByteOrderMarkIsNoContent() {
    byte[] text = "[server]\nport = 9\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] withBom = new byte[text.length + 3];
    withBom[0] = (byte) 0xEF;
    withBom[1] = (byte) 0xBB;
    withBom[2] = (byte) 0xBF;
    System.arraycopy(text, 0, withBom, 3, text.length);
    org.junit.jupiter.api.Assertions.assertEquals(TomlConfigProcessor.parse(text), TomlConfigProcessor.parse(withBom));
  }

  @Test
  void aFileNotInUtf8IsToldSoWithItsLine() {
    byte[] latin1 = "[server]\nhost = \"caf\u00e9\"\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    TomlSyntaxException e = org.junit.jupiter.api.Assertions.assertThrows(TomlSyntaxException.class,
        () -> TomlConfigProcessor.parse(latin1));
    org.junit.jupiter.api.Assertions.assertEquals("line 2: not UTF-8 (byte 0xe9); save the file as UTF-8", e.getMessage());
  }

  /** What a repeated key is reported as: the parser alone said "Duplicate key" at a later line. */
  private static String duplicate(String toml) {
    return assertThrows(TomlSyntaxException.class, () -> TomlConfigProcessor.parse(toml)).getMessage();
  }

  @Test
  void aRepeatedKeyIsNamedAtItsOwnLineWithWhereItWasFirstSet() {
    // Jackson: "line 7: Duplicate key" (the token after the value, past a blank line and a comment)
    assertEquals("line 3: duplicate key server.port (first set at line 2)",
        duplicate("[server]\nport = 8080\nport = 9090\n\n# next\n[[providers]]\nname = \"echo\"\n"));
    assertEquals("line 7: duplicate key providers[1].models (first set at line 4)",
        duplicate("[[providers]]\nmodels = []\n[[providers]]\nmodels = [\n  \"x\", # ]\n  \"y]\"]\nmodels = []\n"));
  }

  @Test
  void aRepeatedKeyIsFoundPastStringsAndValuesOverSeveralLines() {
    String toml = "title = \"\"\"\nname = \"not a key\"\n\"\"\"\n" // a key-like line inside a string
        + "\"quoted.part\" = 1\n"
        + "list = [ \"[\", '{',\n  { a = 1 } ]\n"
        + "a . b = 2 # a dotted key\n"
        + "quoted.part = 3\n" // a key in table quoted: not the key above, whose name holds a dot
        + "'a'.\"b\" = 4\n";
    assertEquals("line 9: duplicate key a.b (first set at line 7)", duplicate(toml));
  }

  @Test
  void aTableUnderAnArrayOfTablesBelongsToItsLatestElement() {
    String elements = "[[providers]]\nname = \"a\"\n[providers.timeouts]\nconnect_ms = 1\n"
        + "[[providers]]\nname = \"b\"\n[providers.timeouts]\nconnect_ms = 2\n";
    // each element's own timeouts: valid, so the repeat is the one further down (an audit)
    assertEquals("line 11: duplicate key server.port (first set at line 10)",
        duplicate(elements + "[server]\nport = 1\nport = 2\n"));
    assertEquals("line 9: duplicate key providers[1].timeouts.connect_ms (first set at line 8)",
        duplicate(elements + "connect_ms = 3\n"));
    assertEquals("line 2: duplicate key \"\" (first set at line 1)", duplicate("\"\" = 1\n\"\" = 2\n"));
  }

  @Test
  void aRepeatNotSeenByTheScanKeepsTheParsersMessage() {
    String message = duplicate("x = { a = 1, a = 2 }\n");
    assertTrue(message.endsWith("Duplicate key"), message);
  }
}
