package io.oxllm.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.toml.TomlFactory;
import io.vertx.config.spi.ConfigProcessor;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The {@code toml} format for vertx-config (no io.vertx TOML module exists). Registered in
 * {@code META-INF/services/io.vertx.config.spi.ConfigProcessor}. Tables become JsonObjects,
 * arrays JsonArrays; date-times stay strings and floats arrive as BigDecimal. A syntax error fails
 * the future with a {@link TomlSyntaxException} ({@code line 12: <reason>}).
 */
public class TomlConfigProcessor implements ConfigProcessor {
  // Thread-safe once configured; shared by every parse. The factory's parser walks the tree the
  // TOML parser built, and the walk below turns its tokens into JsonObjects: no ObjectMapper and its
  // deserializers, hundreds of classes loaded for one parse (docs/performance-history.md, "Idle
  // memory").
  private static final TomlFactory FACTORY = new TomlFactory();

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
    // a UTF-8 byte order mark (Windows Notepad writes one) is no content: it read as "Unknown token"
    int from = toml.length >= 3 && toml[0] == (byte) 0xEF && toml[1] == (byte) 0xBB && toml[2] == (byte) 0xBF ? 3 : 0;
    try (JsonParser p = FACTORY.createParser(toml, from, toml.length - from)) {
      return p.nextToken() == JsonToken.START_OBJECT ? object(p) : new JsonObject();
    } catch (JsonProcessingException e) {
      requireUtf8(toml, from); // what broke may be the encoding: said plainly, only when something did
      if ("Duplicate key".equals(e.getOriginalMessage())) {
        TomlSyntaxException named = TomlDuplicateKeys.find(new String(toml, from, toml.length - from, StandardCharsets.UTF_8));
        if (named != null) {
          throw named;
        }
      }
      JsonLocation loc = e.getLocation();
      // no cause: Jackson's own message quotes the source text, and a config holds API keys
      throw new TomlSyntaxException(loc == null ? -1 : loc.getLineNr(), e.getOriginalMessage(), null);
    } catch (IOException e) {
      requireUtf8(toml, from); // Jackson's CharConversionException: "Invalid UTF-8 start byte …"
      throw new TomlSyntaxException(-1, String.valueOf(e.getMessage()), null);
    }
  }

  /**
   * TOML is UTF-8: a file in another encoding (Latin-1, UTF-16) is told so with its line, where
   * Jackson said "Invalid UTF-8 start byte 0xff (at char #18, byte #-1)".
   */
  private static void requireUtf8(byte[] toml, int from) {
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(toml, from, toml.length - from);
    java.nio.charset.CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
    java.nio.CharBuffer out = java.nio.CharBuffer.allocate(1024);
    while (true) {
      java.nio.charset.CoderResult r = utf8.decode(in, out.clear(), true); // overflow: on with the next 1024
      if (r.isError()) {
        int bad = in.position(); // the decoder stops in front of the malformed bytes
        int line = 1;
        for (int i = from; i < bad; i++) {
          line += toml[i] == '\n' ? 1 : 0;
        }
        throw new TomlSyntaxException(line, String.format("not UTF-8 (byte 0x%02x); save the file as UTF-8", toml[bad] & 0xff), null);
      }
      if (r.isUnderflow()) {
        return; // all of it decoded
      }
    }
  }

  // The parser is on START_OBJECT; reads up to its END_OBJECT.
  private static JsonObject object(JsonParser p) throws IOException {
    JsonObject out = new JsonObject();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      out.put(key, value(p, p.nextToken()));
    }
    return out;
  }

  private static JsonArray array(JsonParser p) throws IOException {
    JsonArray out = new JsonArray();
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      out.add(value(p, t));
    }
    return out;
  }

  // Integers as Integer/Long/BigInteger and floats as the tree holds them (BigDecimal); date-times
  // are strings, as TOML's text gave them.
  private static Object value(JsonParser p, JsonToken t) throws IOException {
    return switch (t) {
      case START_OBJECT -> object(p);
      case START_ARRAY -> array(p);
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getNumberValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      default -> p.getText(); // no other token in a value's place with the default features
    };
  }
}
