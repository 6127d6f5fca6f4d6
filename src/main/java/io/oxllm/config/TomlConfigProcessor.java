package io.oxllm.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.vertx.config.spi.ConfigProcessor;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The {@code toml} format for vertx-config (no io.vertx TOML module exists). Registered in
 * {@code META-INF/services/io.vertx.config.spi.ConfigProcessor}. Tables become JsonObjects,
 * arrays JsonArrays; date-times stay strings and floats arrive as BigDecimal. A syntax error fails
 * the future with a {@link TomlSyntaxException} ({@code line 12: <reason>}).
 */
public class TomlConfigProcessor implements ConfigProcessor {
  // Thread-safe once configured; shared by every parse.
  private static final TomlMapper MAPPER = new TomlMapper();

  @Override
  public String name() {
    return "toml";
  }

  @Override
  public Future<JsonObject> process(Vertx vertx, JsonObject configuration, Buffer input) {
    if (input == null || input.length() == 0) {
      return Future.succeededFuture(new JsonObject());
    }
    // Parsing is CPU work on a file of unknown size: keep it off the event loop.
    byte[] bytes = input.getBytes();
    return vertx.executeBlocking(() -> {
      try {
        return parse(bytes);
      } catch (TomlSyntaxException e) {
        // Not a failed future: vertx-config would log the whole exception chain on every scan, and
        // would never report the file going back to the running content (no "change" from its
        // last good read). A marker makes both a broken and a repaired file a change that
        // reaches ConfigParser, which reports it as the "toml" problem.
        return new JsonObject().put(SYNTAX_ERROR_KEY, e.getMessage());
      }
    });
  }

  /** The key under which {@link #process} reports a syntax error; not a valid config key. */
  public static final String SYNTAX_ERROR_KEY = "__oxllm_toml_syntax_error";

  /** Parses TOML text into a JsonObject; throws {@link TomlSyntaxException} when it is not TOML. */
  public static JsonObject parse(String toml) {
    return parse(toml.getBytes(StandardCharsets.UTF_8));
  }

  /** Parses UTF-8 TOML bytes into a JsonObject; throws {@link TomlSyntaxException}. */
  public static JsonObject parse(byte[] toml) {
    Map<?, ?> map;
    try {
      map = MAPPER.readValue(toml, Map.class);
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      // no cause: Jackson's own message quotes the source text, and a config holds API keys
      throw new TomlSyntaxException(loc == null ? -1 : loc.getLineNr(), e.getOriginalMessage(), null);
    } catch (IOException e) {
      throw new TomlSyntaxException(-1, String.valueOf(e.getMessage()), null);
    }
    return map == null ? new JsonObject() : toObject(map);
  }

  // Deep conversion, so consumers only ever see JsonObject/JsonArray (never raw Map/List).
  private static JsonObject toObject(Map<?, ?> map) {
    JsonObject out = new JsonObject();
    map.forEach((k, v) -> out.put(String.valueOf(k), toJson(v)));
    return out;
  }

  private static Object toJson(Object v) {
    if (v instanceof Map<?, ?> m) {
      return toObject(m);
    }
    if (v instanceof List<?> l) {
      JsonArray a = new JsonArray();
      l.forEach(x -> a.add(toJson(x)));
      return a;
    }
    return v;
  }
}
