package io.oxllm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvExpanderTest {
  private static final Map<String, String> ENV =
      Map.of("HOST", "example.com", "KEY", "sk-123", "EMPTY", "");

  private final List<ConfigProblem> problems = new ArrayList<>();

  private JsonObject expand(JsonObject in) {
    return EnvExpander.expand(in, ENV::get, problems);
  }

  private String expandOne(String value) {
    return expand(new JsonObject().put("v", value)).getString("v");
  }

  @Test
  void expandsVariablesInNestedTablesAndArrays() {
    JsonObject in = new JsonObject()
        .put("url", "https://${HOST}/v1")
        .put("providers", new JsonArray()
            .add(new JsonObject().put("api_key", "${KEY}").put("port", 8080))
            .add(new JsonObject().put("headers", new JsonObject().put("X-A", "a-${KEY}-b"))))
        .put("list", new JsonArray().add("${HOST}").add(new JsonArray().add("${KEY:-x}")));
    JsonObject out = expand(in);
    assertEquals(List.of(), problems);
    assertEquals("https://example.com/v1", out.getString("url"));
    JsonArray providers = out.getJsonArray("providers");
    assertEquals("sk-123", providers.getJsonObject(0).getString("api_key"));
    assertEquals(8080, providers.getJsonObject(0).getInteger("port"));
    assertEquals("a-sk-123-b",
        providers.getJsonObject(1).getJsonObject("headers").getString("X-A"));
    assertEquals("example.com", out.getJsonArray("list").getString(0));
    assertEquals("sk-123", out.getJsonArray("list").getJsonArray(1).getString(0));
    // The input is not modified.
    assertEquals("https://${HOST}/v1", in.getString("url"));
  }

  @Test
  void defaultAppliesWhenUnsetOrEmpty() {
    assertEquals("fallback", expandOne("${NOPE:-fallback}"));
    assertEquals("fallback", expandOne("${EMPTY:-fallback}"));
    assertEquals("", expandOne("${NOPE:-}"));
    assertEquals("sk-123", expandOne("${KEY:-fallback}"));
    assertEquals("http://h:1/x", expandOne("${NOPE:-http://h:1/x}"));
    assertEquals(List.of(), problems);
  }

  @Test
  void aReferenceInsideADefaultIsAProblemNotLiteralText() {
    // it read as the default "${NOPE2" then "}": /v1/models listed a model named ${NOPE2}
    assertEquals("${NOPE:-${NOPE2}}", expandOne("${NOPE:-${NOPE2}}"));
    assertEquals(1, problems.size(), problems::toString);
    assertTrue(problems.get(0).message().contains("cannot hold another ${...}"), problems::toString);
  }

  @Test
  void setButEmptyVariableWithoutDefaultIsEmpty() {
    assertEquals("[]", expandOne("[${EMPTY}]"));
    assertEquals(List.of(), problems);
  }

  @Test
  void severalReferencesInOneString() {
    assertEquals("example.com:sk-123:d", expandOne("${HOST}:${KEY}:${X:-d}"));
  }

  @Test
  void dollarWithoutBraceIsLiteralAndDoubleDollarEscapes() {
    assertEquals("cost $5 and $HOST", expandOne("cost $5 and $HOST"));
    assertEquals("literal ${HOST}", expandOne("literal $${HOST}"));
    assertEquals(List.of(), problems);
  }

  @Test
  void keysAreNeverExpanded() {
    JsonObject out = expand(new JsonObject().put("${HOST}", "${HOST}"));
    assertEquals("example.com", out.getString("${HOST}"));
  }

  @Test
  void missingVariableNamesVariableAndKeyPath() {
    JsonObject in = new JsonObject().put("providers", new JsonArray()
        .add(new JsonObject().put("api_key", "ok"))
        .add(new JsonObject().put("api_key", "${OPENAI_API_KEY}")));
    JsonObject out = expand(in);
    assertEquals(1, problems.size());
    assertEquals("providers[1].api_key", problems.get(0).path());
    assertTrue(problems.get(0).message().contains("OPENAI_API_KEY"), problems.get(0).message());
    // Left unexpanded rather than silently blanked.
    assertEquals("${OPENAI_API_KEY}", out.getJsonArray("providers").getJsonObject(1)
        .getString("api_key"));
  }

  @Test
  void missingVariableInArrayHasIndexedPath() {
    expand(new JsonObject().put("auth", new JsonObject()
        .put("api_keys", new JsonArray().add("a").add("${MISSING}"))));
    assertEquals(List.of("auth.api_keys[1]"), problems.stream().map(ConfigProblem::path).toList());
    assertTrue(problems.get(0).message().contains("MISSING"));
  }

  @Test
  void malformedReferencesAreProblems() {
    assertEquals("${KEY", expandOne("${KEY"));
    assertEquals("${a-b}", expandOne("${a-b}"));
    assertEquals("${}", expandOne("${}"));
    assertEquals(3, problems.size());
    assertTrue(problems.get(0).message().contains("unterminated"));
    assertTrue(problems.get(1).message().contains("invalid variable name \"a-b\""));
  }

  @Test
  void valuesNeverAppearInMessages() {
    expand(new JsonObject().put("v", "${KEY}${MISSING}"));
    assertEquals(1, problems.size());
    assertTrue(!problems.get(0).message().contains("sk-123"));
  }
}
