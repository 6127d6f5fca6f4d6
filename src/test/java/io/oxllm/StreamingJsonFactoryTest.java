package io.oxllm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import org.junit.jupiter.api.Test;

/** Vert.x's JSON goes through Jackson's streaming codec, found by its service file. */
class StreamingJsonFactoryTest {

  @Test
  void vertxUsesTheStreamingCodecThoughDatabindIsOnTheClassPath() {
    assertSame(JacksonCodec.class, Json.CODEC.getClass());
  }

  @Test
  void jsonObjectsRoundTripThroughIt() {
    JsonObject o = new JsonObject("{\"a\":[1,2.5,\"x\",null,{\"b\":true}],\"c\":9223372036854775807}");
    assertEquals(o, new JsonObject(o.encode()));
    assertEquals(Long.MAX_VALUE, o.getLong("c"));
    assertEquals("{\"error\":{\"message\":\"m\"}}",
        new JsonObject().put("error", new JsonObject().put("message", "m")).encode());
  }
}
