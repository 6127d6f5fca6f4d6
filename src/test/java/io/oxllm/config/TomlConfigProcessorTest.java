package io.oxllm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  @Test
  void processFailsWithLineOnSyntaxError(Vertx vertx, VertxTestContext ctx) {
    new TomlConfigProcessor().process(vertx, new JsonObject(), Buffer.buffer("x = [1,\n2\ny"))
        .onComplete(ctx.failing(err -> ctx.verify(() -> {
          assertInstanceOf(TomlSyntaxException.class, err);
          assertTrue(err.getMessage().matches("line \\d+: .+"), err.getMessage());
          ctx.completeNow();
        })));
  }
}
